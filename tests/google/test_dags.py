"""ga4_<site> / gsc_<site> DAGs: generated only for configured sites, and a real `airflow dags test`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.sdk.exceptions import AirflowFailException

from linkwarehouse.assets import ga4_asset, gsc_asset
from linkwarehouse.dag_defaults import no_retry_when_permanent
from linkwarehouse.google.errors import ErrorKind, GoogleApiError, GoogleCredentialsError, IncompleteDayError
from linkwarehouse.google.standin import GoogleStandIn

from .conftest import BASE, GSC_SITE, PROPERTY, key_json

ROOT = Path(__file__).resolve().parents[2]
DAG_FILE = ROOT / "dags" / "google_data.py"
SITES = {
    "sites": [
        {"name": "shop", "start_urls": ["https://shop.example/"],
         "ga4": {"property_id": "42", "catchup": True, "start_date": "2026-10-01", "lookback_days": 3},
         "gsc": {"site_url": "sc-domain:shop.example"}, "schedule": {"google": "30 6 * * *"}},
        {"name": "blog", "start_urls": ["https://blog.example/"], "gsc": {"site_url": "https://blog.example/"}},
        {"name": "docs", "start_urls": ["https://docs.example/"]},
    ]
}  # fmt: skip


def load(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sites: dict[str, Any] | None) -> DagBag:
    if sites is None:
        monkeypatch.delenv("LINKWAREHOUSE_CONFIG", raising=False)
    else:
        config = tmp_path / "sites.yaml"
        config.write_text(json.dumps(sites))
        monkeypatch.setenv("LINKWAREHOUSE_CONFIG", str(config))
    return DagBag(dag_folder=str(DAG_FILE))


def test_one_dag_per_configured_source(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bag = load(monkeypatch, tmp_path, SITES)
    assert bag.import_errors == {}
    assert sorted(bag.dag_ids) == ["ga4_shop", "gsc_blog", "gsc_shop"]
    ga4 = bag.dags["ga4_shop"]
    assert ga4.schedule == "30 6 * * *"
    assert ga4.catchup is True and ga4.start_date == datetime.fromisoformat("2026-10-01T00:00:00+00:00")
    gsc = bag.dags["gsc_blog"]
    assert gsc.schedule == "@daily" and gsc.catchup is False
    assert gsc.start_date == datetime.fromisoformat("2026-01-01T00:00:00+00:00")
    assert bag.dags["ga4_shop"].get_task("verify").outlets == [ga4_asset("shop")]
    assert bag.dags["gsc_shop"].get_task("verify").outlets == [gsc_asset("shop")]
    assert bag.dags["gsc_blog"].get_task("verify").outlets == [gsc_asset("blog")]


@pytest.mark.parametrize("dag_id", ["ga4_shop", "gsc_shop", "gsc_blog"])
def test_dag_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, dag_id: str) -> None:
    dag = load(monkeypatch, tmp_path, SITES).dags[dag_id]
    assert dag.max_active_runs == 1 and dag.doc_md and {"linkwarehouse", "google"} <= set(dag.tags)
    assert [t.task_id for t in dag.tasks] == ["window", "extract", "verify"]
    assert dag.get_task("extract").max_active_tis_per_dagrun == 2
    for task in dag.tasks:
        assert task.retries >= 2 and task.owner == "linkwarehouse"


def test_committed_demo_config_gets_both_google_dags(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bag = load(monkeypatch, tmp_path, None)
    assert bag.import_errors == {} and sorted(bag.dag_ids) == ["ga4_demo", "gsc_demo"]


@pytest.mark.integration
def test_airflow_dags_test_publishes_the_refresh_window(
    tmp_path: Path, standin: GoogleStandIn, key_info: dict[str, Any]
) -> None:
    key_path = tmp_path / "sa.json"
    key_path.write_text(key_json(key_info))
    config = tmp_path / "sites.yaml"
    site = {"name": "shop", "start_urls": [BASE],
            "gsc": {"site_url": GSC_SITE, "conn_id": "google_test", "data_state": "all"},
            "ga4": {"property_id": PROPERTY, "conn_id": "google_test"}}  # fmt: skip
    config.write_text(json.dumps({"sites": [site]}))
    extra = {"key_path": str(key_path), "api_endpoint": standin.base_url, "token_uri": standin.token_uri}
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # Airflow executes every non-ignored plugins/**/*.py as a top-level module; the package is
        # installed anyway, so this run does not depend on plugins/.airflowignore.
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(tmp_path / "plugins"),
        "LINKWAREHOUSE_CONFIG": str(config),
        "LINKWAREHOUSE_LAKE": str(tmp_path / "lake"),
        "AIRFLOW_CONN_GOOGLE_TEST": json.dumps({"conn_type": "google_cloud_platform", "extra": extra}),
    }
    airflow = str(Path(sys.executable).with_name("airflow"))
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    run = subprocess.run(
        [airflow, "dags", "test", "gsc_shop", "2026-11-28"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]

    published = sorted(
        str(p.parent.relative_to(tmp_path / "lake")) for p in (tmp_path / "lake").rglob("_SUCCESS")
    )
    days = ["2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27"]
    assert published == [
        f"{table}/site=shop/date={day}" for table in ("gsc_page_queries", "gsc_pages") for day in days
    ]
    rows = {
        day: json.loads((tmp_path / f"lake/gsc_pages/site=shop/date={day}/_SUCCESS").read_text())["rows"]
        for day in days
    }
    assert rows == {
        "2026-11-24": 5,
        "2026-11-25": 5,
        "2026-11-26": 5,
        "2026-11-27": 0,
    }  # final, fresh x2, none yet
    logs = run.stdout + run.stderr + "".join(p.read_text() for p in (tmp_path / "airflow").rglob("*.log"))
    assert "Returned value was: {'site': 'shop', 'source': 'gsc', 'days': [" in logs
    pem = [line for line in key_info["private_key"].splitlines() if line and not line.startswith("-----")]
    for secret in [*pem, key_info["private_key_id"], *standin.issued_tokens]:
        assert secret not in logs


@pytest.mark.parametrize(
    ("error", "fails_at_once"),
    [
        (GoogleApiError("ga4 site 'shop' property 1: HTTP 403", ErrorKind.AUTH, 403), True),
        (GoogleApiError("gsc site 'shop' property x: HTTP 400", ErrorKind.INVALID, 400), True),
        (GoogleCredentialsError("no connection 'google_cloud_default'"), True),
        (GoogleApiError("ga4 site 'shop' property 1: HTTP 503", ErrorKind.SERVER, 503), False),
        (IncompleteDayError("gsc site 'shop': row returned twice"), False),
    ],
)
def test_permanent_google_errors_skip_the_task_retries(error: Exception, fails_at_once: bool) -> None:
    expected = AirflowFailException if fails_at_once else type(error)
    with pytest.raises(expected, match=re.escape(str(error))), no_retry_when_permanent():
        raise error

"""ga4_<site> / gsc_<site> DAGs: generated only for configured sites, and a real `airflow dags test`."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.sdk.exceptions import AirflowFailException, AirflowRescheduleException

from linkwarehouse.assets import ga4_asset, gsc_asset
from linkwarehouse.dag_defaults import MAX_RESCHEDULES, no_retry_when_permanent, reschedule_when_asked
from linkwarehouse.google.errors import (
    DayNotFinalError,
    ErrorKind,
    GoogleApiError,
    GoogleCredentialsError,
    IncompleteDayError,
    RetryLater,
)
from linkwarehouse.google.standin import Fault, GoogleStandIn

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


def airflow_env(tmp_path: Path, standin: GoogleStandIn, key_info: dict[str, Any], gsc: dict) -> dict:
    key_path = tmp_path / "sa.json"
    key_path.write_text(key_json(key_info))
    config = tmp_path / "sites.yaml"
    site = {"name": "shop", "start_urls": [BASE],
            "gsc": {"site_url": GSC_SITE, "conn_id": "google_test", **gsc},
            "ga4": {"property_id": PROPERTY, "conn_id": "google_test"}}  # fmt: skip
    config.write_text(json.dumps({"sites": [site]}))
    extra = {"key_path": str(key_path), "api_endpoint": standin.base_url, "token_uri": standin.token_uri}
    return {
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


def manifests_of(lake: Path, day: str) -> dict[str, Any]:
    return json.loads((lake / f"gsc_pages/site=shop/date={day}/_SUCCESS").read_text())


@pytest.mark.integration
def test_airflow_dags_test_publishes_the_refresh_window(
    tmp_path: Path, standin: GoogleStandIn, key_info: dict[str, Any]
) -> None:
    # The first request is answered 429 with Retry-After: 2, longer than the 0.5 s a worker may
    # sleep here: the extract task must hand its worker back and be rescheduled, not sleep.
    standin.reset(faults={1: Fault("429", retry_after="2")})
    env = airflow_env(tmp_path, standin, key_info, {"data_state": "all", "max_sleep_seconds": 0.5})
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

    lake = tmp_path / "lake"
    published = sorted(str(p.parent.relative_to(lake)) for p in lake.rglob("_SUCCESS"))
    # data_state all: the newest day is 2 days before the run, the last one over in Pacific time.
    days = ["2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26"]
    assert published == [
        f"{table}/site=shop/date={day}" for table in ("gsc_page_queries", "gsc_pages") for day in days
    ]
    # The stand-in's first incomplete day is 2026-11-25 (its today, 11-27, minus 2); this holds
    # for any machine clock after that date, the end of the freshness question's range.
    states = {day: (manifests_of(lake, day)["rows"], manifests_of(lake, day)["freshness"]) for day in days}
    assert states == {
        "2026-11-23": (5, "final"),
        "2026-11-24": (5, "final"),
        "2026-11-25": (5, "provisional"),
        "2026-11-26": (5, "provisional"),
    }
    logs = run.stdout + run.stderr + "".join(p.read_text() for p in (tmp_path / "airflow").rglob("*.log"))
    assert "Returned value was: {'site': 'shop', 'source': 'gsc', 'days': [" in logs
    assert "'provisional_days': ['2026-11-25', '2026-11-26']" in logs
    assert "Google asks to wait 2s, longer than the 0.5s a worker may sleep: worker released" in logs
    with sqlite3.connect(tmp_path / "airflow" / "airflow.db") as db:
        rescheduled = db.execute(
            "select ti.task_id, ti.state from task_reschedule tr join task_instance ti on ti.id = tr.ti_id"
        ).fetchall()
    assert rescheduled == [("extract", "success")]
    pem = [line for line in key_info["private_key"].splitlines() if line and not line.startswith("-----")]
    for secret in [*pem, key_info["private_key_id"], *standin.issued_tokens]:
        assert secret not in logs

    # Two days later the window reaches Search Console's today, which has no data yet: verify
    # fails the run rather than publish an empty day as a day without traffic.
    standin.reset()
    run = subprocess.run(
        [airflow, "dags", "test", "gsc_shop", "2026-11-30"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    logs = run.stdout + run.stderr
    assert run.returncode != 0
    assert (
        "DayNotFinalError: gsc site 'shop': Search Console has not finalised 2026-11-27 (first incomplete "
        "date 2026-11-25), 2026-11-28 (first incomplete date 2026-11-25) and returned no rows"
    ) in logs
    assert sorted(c.body["startDate"] for c in standin.calls if c.body["dimensions"] == ["date"]) == [
        "2026-11-25", "2026-11-26", "2026-11-27", "2026-11-28",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("error", "fails_at_once"),
    [
        (GoogleApiError("ga4 site 'shop' property 1: HTTP 403", ErrorKind.AUTH, 403), True),
        (GoogleApiError("gsc site 'shop' property x: HTTP 400", ErrorKind.INVALID, 400), True),
        (GoogleCredentialsError("no connection 'google_cloud_default'"), True),
        (GoogleApiError("ga4 site 'shop' property 1: HTTP 503", ErrorKind.SERVER, 503), False),
        (IncompleteDayError("gsc site 'shop': row returned twice"), False),
        (DayNotFinalError("gsc site 'shop': Search Console has not finalised 2026-11-27"), True),
    ],
)
def test_permanent_google_errors_skip_the_task_retries(error: Exception, fails_at_once: bool) -> None:
    expected = AirflowFailException if fails_at_once else type(error)
    with pytest.raises(expected, match=re.escape(str(error))), no_retry_when_permanent():
        raise error


def test_long_waits_reschedule_the_task_instead_of_sleeping() -> None:
    retry_at = datetime(2026, 11, 27, 20, 15, tzinfo=UTC)
    error = RetryLater("gsc site 'shop': HTTP 403 quotaExceeded", ErrorKind.QUOTA_LOAD, 403, retry_at, 900.0)
    with (
        pytest.raises(AirflowRescheduleException) as err,
        reschedule_when_asked({"task_reschedule_count": 0}),
    ):
        raise error
    assert err.value.reschedule_date == retry_at and err.value.__cause__ is error
    # After MAX_RESCHEDULES in a row the wait fails the try: the task's retries take over.
    with pytest.raises(RetryLater), reschedule_when_asked({"task_reschedule_count": MAX_RESCHEDULES}):
        raise error
    with pytest.raises(ValueError, match="not a wait"), reschedule_when_asked({}):
        raise ValueError("not a wait")

"""crawl_<site>: a crawl that cannot be published fails its Airflow task with the crawler's reason."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from airflow.sdk.exceptions import AirflowFailException

from linkwarehouse.crawl_runner import CrawlFailed
from linkwarehouse.dag_defaults import RETRIES_ENV, no_retry_when_permanent

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("permanent", "raised"), [(True, AirflowFailException), (False, CrawlFailed)])
def test_a_refusal_no_retry_can_cure_skips_the_task_retries(permanent: bool, raised: type) -> None:
    with pytest.raises(raised, match="every start URL was refused"), no_retry_when_permanent():
        raise CrawlFailed("site 'x': every start URL was refused", permanent=permanent)


@pytest.mark.integration
def test_airflow_task_fails_when_every_start_url_is_refused(tmp_path: Path) -> None:
    """The measured failure: loopback as start URL exited 0 and published an all-error crawl."""
    config = tmp_path / "sites.yaml"
    config.write_text(json.dumps({"sites": [{"name": "internal", "start_urls": ["http://0x7f.1:9/"]}]}))
    lake = tmp_path / "lake"
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(tmp_path / "plugins"),
        "LINKWAREHOUSE_CONFIG": str(config),
        "LINKWAREHOUSE_LAKE": str(lake),
        RETRIES_ENV: "2",  # the refusal is permanent: the task must not wait for its retries
    }
    airflow = str(Path(sys.executable).with_name("airflow"))
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    run = subprocess.run(
        [airflow, "dags", "test", "crawl_internal", "2026-11-28"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    logs = run.stdout + run.stderr + "".join(p.read_text() for p in (tmp_path / "airflow").rglob("*.log"))
    assert run.returncode != 0, logs[-3000:]
    assert (
        "site 'internal': every start URL was refused, nothing was crawled or published: "
        "http://127.0.0.1:9/ (ssrf_refused: 127.0.0.1)"
    ) in logs
    assert "AirflowFailException" in logs
    assert [path for path in lake.rglob("*") if path.is_file()] == []

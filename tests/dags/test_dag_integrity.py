"""Every DAG file imports, and the DAGs have the ids, schedules and defaults we promise."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.sdk import Asset, AssetAny

from linkwarehouse.assets import WAREHOUSE, crawl_asset, ga4_asset, gsc_asset
from linkwarehouse.lake.sweep import STALE_AFTER

ROOT = Path(__file__).resolve().parents[2]
DAGS = ROOT / "dags"


def load(monkeypatch: pytest.MonkeyPatch, config: Path | None = None) -> DagBag:
    if config is not None:
        monkeypatch.setenv("LINKWAREHOUSE_CONFIG", str(config))
    else:
        monkeypatch.delenv("LINKWAREHOUSE_CONFIG", raising=False)
    return DagBag(dag_folder=str(DAGS))


@pytest.fixture(scope="module")
def bag() -> DagBag:
    with pytest.MonkeyPatch.context() as monkeypatch:
        return load(monkeypatch)


def test_no_import_errors(bag: DagBag) -> None:
    assert bag.import_errors == {}


def test_expected_dags(bag: DagBag) -> None:
    assert sorted(bag.dag_ids) == ["crawl_demo", "ga4_demo", "gsc_demo", "link_alerts", "warehouse_build"]


def test_schedules(bag: DagBag) -> None:
    assert bag.dags["crawl_demo"].timetable.expression == "0 0 * * *"
    warehouse = bag.dags["warehouse_build"].timetable.asset_condition
    assert isinstance(warehouse, AssetAny)
    assert list(warehouse.objects) == [crawl_asset("demo"), ga4_asset("demo"), gsc_asset("demo")]
    alerts = bag.dags["link_alerts"].timetable.asset_condition
    assert list(alerts.objects) == [WAREHOUSE]


def test_crawl_emits_its_asset(bag: DagBag) -> None:
    task = bag.dags["crawl_demo"].get_task("crawl")
    assert task.outlets == [Asset(name="crawl_demo", uri="linkwarehouse://lake/crawl/demo")]
    assert bag.dags["warehouse_build"].get_task("build").outlets == [WAREHOUSE]


# dag id: (execution_timeout of every task, dagrun_timeout), as docs/reliability.md states them
TIMEOUTS = {
    "crawl_demo": (timedelta(hours=12), timedelta(hours=13)),
    "ga4_demo": (timedelta(hours=2), timedelta(hours=12)),
    "gsc_demo": (timedelta(hours=2), timedelta(hours=12)),
    "warehouse_build": (timedelta(hours=4), timedelta(hours=5)),
    "link_alerts": (timedelta(minutes=30), timedelta(hours=1)),
}


@pytest.mark.parametrize("dag_id", ["crawl_demo", "ga4_demo", "gsc_demo", "warehouse_build", "link_alerts"])
def test_defaults(bag: DagBag, dag_id: str) -> None:
    dag = bag.dags[dag_id]
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert "linkwarehouse" in dag.tags
    assert dag.doc_md
    task_budget, run_budget = TIMEOUTS[dag_id]
    assert dag.dagrun_timeout == run_budget
    for task in dag.tasks:
        assert task.retries >= 2
        assert task.owner == "linkwarehouse"
        assert task.execution_timeout == task_budget


def test_the_lake_sweep_outwaits_every_task() -> None:
    """Claims the sweep cannot check (another machine) expire after STALE_AFTER: it must be
    longer than any task may run, or a live crawl elsewhere could lose its staging."""
    longest = max(task for task, _ in TIMEOUTS.values())
    assert 2 * longest <= STALE_AFTER


def test_one_crawl_dag_per_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "sites.yaml"
    config.write_text(
        "sites:\n"
        "  - name: shop\n    start_urls: ['https://shop.example/']\n    schedule: {crawl: '0 3 * * 1'}\n"
        "  - name: blog\n    start_urls: ['https://blog.example/']\n    schedule: {crawl: null}\n"
        "    gsc: {site_url: 'sc-domain:blog.example'}\n"
    )
    bag = load(monkeypatch, config)
    assert bag.import_errors == {}
    assert sorted(bag.dag_ids) == ["crawl_blog", "crawl_shop", "gsc_blog", "link_alerts", "warehouse_build"]
    assert bag.dags["crawl_shop"].timetable.expression == "0 3 * * 1"
    assert type(bag.dags["crawl_blog"].timetable).__name__ == "NullTimetable"
    condition = bag.dags["warehouse_build"].timetable.asset_condition
    assert list(condition.objects) == [crawl_asset("shop"), crawl_asset("blog"), gsc_asset("blog")]


def test_invalid_config_is_an_import_error_naming_file_site_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "sites.yaml"
    config.write_text(
        "sites:\n  - name: shop\n    start_urls: ['https://shop.example/']\n    crawl: {concurrency: -1}\n"
    )
    bag = load(monkeypatch, config)
    assert sorted(bag.import_errors) == sorted(str(p) for p in DAGS.glob("*.py"))
    for message in bag.import_errors.values():
        assert f"{config}: site 'shop': crawl.concurrency: Input should be greater than 0" in message

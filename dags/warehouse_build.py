"""
### warehouse_build: dbt build of the lake into DuckDB, then atomic publish

Runs whenever any site publishes a crawl, GA4 or Search Console data. `dbt build` (models
and tests) writes a run-private file under `warehouse/build/`; after sanity checks against the
lake manifests it replaces `warehouse/marts.duckdb` atomically and refreshes
`warehouse/exports/*.parquet`. BI clients reading the old file are never blocked. One run at a
time: DuckDB allows one writer.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag, get_current_context, task

from linkwarehouse.assets import WAREHOUSE, warehouse_inputs
from linkwarehouse.config import load_sites
from linkwarehouse.dag_defaults import BUDGETS, START_DATE, default_args, path_safe
from linkwarehouse.settings import load_settings
from linkwarehouse.warehouse import build_warehouse

SETTINGS = load_settings()
SITES = load_sites(SETTINGS.config_path)


@dag(
    doc_md=__doc__,
    schedule=warehouse_inputs(SITES.sites),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=["linkwarehouse", "warehouse"],
    default_args=default_args(timedelta(minutes=2), BUDGETS["warehouse_build"]),
    dagrun_timeout=BUDGETS["warehouse_build"].run,
)
def warehouse_build():
    @task(outlets=[WAREHOUSE])
    def build() -> dict:
        run_id = path_safe(get_current_context()["run_id"])
        return build_warehouse(SETTINGS, run_id=run_id).summary()

    build()


warehouse_build()

"""
### crawl_&lt;site&gt;: crawl one configured site into the lake

One DAG per site in `config/sites.yaml` (or `$LINKWAREHOUSE_CONFIG`). The crawl runs as a
Scrapy subprocess and publishes `crawl/*` partitions for a new `crawl_id` (one per DAG run, so
a retry rewrites its own partition). Emits the site's crawl Asset, which schedules
`warehouse_build`.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag, get_current_context, task

from linkwarehouse.assets import crawl_asset
from linkwarehouse.config import SiteConfig, load_sites
from linkwarehouse.crawl_runner import crawl_id_for, run_crawl
from linkwarehouse.dag_defaults import BUDGETS, START_DATE, default_args, no_retry_when_permanent
from linkwarehouse.settings import load_settings

SETTINGS = load_settings()
SITES = load_sites(SETTINGS.config_path)


def crawl_dag(site: SiteConfig):
    @dag(
        dag_id=f"crawl_{site.name}",
        doc_md=__doc__,
        schedule=site.schedule.crawl,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        tags=["linkwarehouse", "crawl", site.name],
        default_args=default_args(timedelta(minutes=5), BUDGETS["crawl"]),
        dagrun_timeout=BUDGETS["crawl"].run,
    )
    def crawl_site():
        @task(outlets=[crawl_asset(site.name)])
        def crawl() -> dict:
            run_after = get_current_context()["dag_run"].run_after
            with no_retry_when_permanent():  # e.g. every start URL refused by the SSRF guard
                return run_crawl(site.name, crawl_id_for(run_after), SETTINGS)

        crawl()

    return crawl_site()


for _site in SITES.sites:
    globals()[f"crawl_{_site.name}"] = crawl_dag(_site)

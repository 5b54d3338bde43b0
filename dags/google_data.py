"""
### ga4_&lt;site&gt; / gsc_&lt;site&gt;: daily GA4 and Search Console pulls into the lake

Generated for each site in `config/sites.yaml` with a `ga4:` or `gsc:` block (sites without
one get no DAG). Every run re-fetches the last `lookback_days` (default 4) up to the day before
its data interval ends, because Google revises recent days; Search Console's window ends
`min_age_days` earlier (4 with `data_state: final`, 2 with `all`) and also re-fetches every
published day Google had not finalised, however old. One mapped task per day fetches every
page of that day and publishes its `(site, date)` partitions atomically, replacing any earlier
version; a quota wait longer than `max_sleep_seconds` frees the worker and reschedules the task
for the time Google names. `verify` checks that every day is published - and, for Search
Console, not an empty day Google has not finalised - and emits the site's Asset, which
`warehouse_build` can be scheduled on. Set `catchup: true` and `start_date` in the site's
block, or use `airflow backfill create`, to fill history (a backfill run fetches only its own
day, plus provisional days). Credentials come from the block's `conn_id` (Google connection
style) or `GOOGLE_APPLICATION_CREDENTIALS`.
"""

from __future__ import annotations

from datetime import date, timedelta

import pendulum
from airflow.sdk import dag, get_current_context, task

from linkwarehouse.assets import ga4_asset, gsc_asset
from linkwarehouse.config import SiteConfig, load_sites
from linkwarehouse.dag_defaults import (
    BUDGETS,
    default_args,
    no_retry_when_permanent,
    reschedule_when_asked,
)
from linkwarehouse.google import jobs
from linkwarehouse.settings import load_settings

SETTINGS = load_settings()
SITES = load_sites(SETTINGS.config_path)
ASSETS = {"ga4": ga4_asset, "gsc": gsc_asset}
DEFAULT_START = date(2026, 1, 1)


def google_dag(site: SiteConfig, source: jobs.Source):
    config = getattr(site, source)
    start = config.start_date or DEFAULT_START

    @dag(
        dag_id=f"{source}_{site.name}",
        doc_md=__doc__,
        schedule=site.schedule.google,
        start_date=pendulum.datetime(start.year, start.month, start.day, tz="UTC"),
        catchup=config.catchup,
        max_active_runs=1,
        tags=["linkwarehouse", "google", source, site.name],
        default_args=default_args(timedelta(minutes=15), BUDGETS["google"]),
        dagrun_timeout=BUDGETS["google"].run,
    )
    def pull():
        @task
        def window() -> list[str]:
            context = get_current_context()
            run = context["dag_run"]
            end = context.get("data_interval_end") or run.run_after
            return jobs.window(source, site.name, end, SETTINGS, backfill=run.run_type == "backfill")

        @task(max_active_tis_per_dagrun=2, execution_timeout=timedelta(hours=2))
        def extract(day: str) -> dict:
            with no_retry_when_permanent(), reschedule_when_asked(get_current_context()):
                return jobs.extract_days(source, site.name, [day], settings=SETTINGS)[0]

        @task(outlets=[ASSETS[source](site.name)])
        def verify(days: list[str], extracted: list[dict]) -> dict:
            with no_retry_when_permanent():
                return jobs.verify_published(source, site.name, days, SETTINGS)

        days = window()
        verify(days, extract.expand(day=days))

    return pull()


for _site in SITES.sites:
    for _source in ("ga4", "gsc"):
        if getattr(_site, _source) is not None:
            globals()[f"{_source}_{_site.name}"] = google_dag(_site, _source)

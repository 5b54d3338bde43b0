"""
### link_alerts: notify about new orphan pages

Runs after each warehouse publish. For every site with an alert route, the URLs that became
orphans in its latest crawl form one batch, sent once through the site's webhook connection
(an Airflow HTTP connection, e.g. `AIRFLOW_CONN_LINKWAREHOUSE_WEBHOOK`) and recorded in the
lake so reruns never alert twice.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag, get_current_context, task

from linkwarehouse.alerts import new_orphan_batches, send_alert
from linkwarehouse.assets import WAREHOUSE
from linkwarehouse.config import load_sites
from linkwarehouse.dag_defaults import BUDGETS, START_DATE, default_args
from linkwarehouse.settings import load_settings

SETTINGS = load_settings()
SITES = load_sites(SETTINGS.config_path)


@dag(
    doc_md=__doc__,
    schedule=[WAREHOUSE],
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=["linkwarehouse", "alerts"],
    default_args=default_args(timedelta(minutes=1), BUDGETS["link_alerts"]),
    dagrun_timeout=BUDGETS["link_alerts"].run,
)
def link_alerts():
    @task
    def find_new_orphans() -> list[dict]:
        return new_orphan_batches(SETTINGS, SITES)

    @task(map_index_template="{{ task.op_kwargs['batch']['site'] }}")
    def notify(batch: dict) -> dict:
        return send_alert(batch, get_current_context(), SETTINGS)

    notify.expand(batch=find_new_orphans())


link_alerts()

"""Local end-to-end runs of the real DAGs: the demo and ``make run`` for any sites file.

Both drive Airflow through :class:`~linkwarehouse.local_airflow.LocalAirflow` in the order the
scheduler would (crawls, then ``warehouse_build``, then ``link_alerts``). The demo also serves
the demo site and an alert webhook on 127.0.0.1 and stops them whatever happens.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from linkwarehouse.config import SitesFile, load_sites
from linkwarehouse.lake.writer import delete_site
from linkwarehouse.local_airflow import LocalAirflow
from linkwarehouse.settings import Settings

DEMO_SITE = "demo"
WEBHOOK_ENV = "AIRFLOW_CONN_LINKWAREHOUSE_WEBHOOK"

Echo = Callable[[str], None]


@contextmanager
def terminate_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt so ``finally`` blocks stop servers and children."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def pipeline_dag_ids(sites: SitesFile, *, google: bool = True) -> list[str]:
    """DAG ids in the order the scheduler's Asset triggers would run them.

    Google data first, so the crawl can fetch URLs known only from GA4/Search Console.
    """
    dag_ids = []
    for site in sites.sites:
        if google:
            dag_ids += [f"{source}_{site.name}" for source in ("ga4", "gsc") if getattr(site, source)]
        dag_ids.append(f"crawl_{site.name}")
    return [*dag_ids, "warehouse_build", "link_alerts"]


def run_dags(airflow: LocalAirflow, dag_ids: list[str], label: str, echo: Echo) -> dict[str, float]:
    """Run DAGs one after the other, as their Asset schedules would."""
    timings: dict[str, float] = {}
    for dag_id in dag_ids:
        echo(f"  [{label}] {dag_id} ...")
        timings[dag_id] = airflow.run_dag(dag_id)
        echo(f"  [{label}] {dag_id} done in {timings[dag_id]:.0f}s")
    return timings


@dataclass
class DemoResult:
    """What a demo run produced: where, how long, and the alerts the webhook received."""

    base_url: str
    site_dirs: dict[int, Path]
    alerts: list[dict[str, Any]]
    timings: dict[str, float] = field(default_factory=dict)


def run_demo(settings: Settings, *, airflow_home: Path | None = None, echo: Echo = print) -> DemoResult:
    """Crawl version 1 (baseline) then version 2 (pages lost their links) of the demo site.

    Round 1 also pulls GA4 and Search Console data from local stand-ins of the Google APIs.
    """
    from linkwarehouse.demo import DemoSiteServer, WebhookReceiver, write_site
    from linkwarehouse.google.demo import start_demo_google

    started = time.monotonic()
    sites = SitesFile(sites=[load_sites(settings.config_path).site(DEMO_SITE)])
    echo(f"  resetting the demo site's history in {settings.lake_root}")
    delete_site(settings.lake_root, DEMO_SITE)
    site_dirs = {
        version: write_site(settings.state_dir / f"site-v{version}", version=version).path
        for version in (1, 2)
    }
    timings: dict[str, float] = {}

    with terminate_on_sigterm(), WebhookReceiver() as receiver:
        server = DemoSiteServer(site_dirs[1])
        server.start()
        google = None
        airflow = None
        try:
            base_url = server.base_url
            google = start_demo_google(base_url, settings.state_dir)
            env = {
                "DEMO_SITE_URL": base_url,
                WEBHOOK_ENV: json.dumps({"conn_type": "http", "host": receiver.base_url}),
                **google.env(),
            }
            airflow = LocalAirflow(settings, extra_env=env, home=airflow_home, echo=echo)
            echo(f"  demo site (version 1) at {base_url}/ · alert webhook at {receiver.base_url}/")
            google_url = google.server.base_url.rstrip("/")
            echo(f"  Google Analytics 4 and Search Console stand-ins at {google_url}/")
            airflow.migrate()
            echo("Round 1: GA4 and Search Console data, then a baseline crawl of the demo site")
            round1 = run_dags(airflow, pipeline_dag_ids(sites), "round 1", echo)
            timings.update({f"round1/{k}": v for k, v in round1.items()})
            port = server.port
            server.stop()
            server = DemoSiteServer(site_dirs[2], port=port)
            server.start()
            echo("Round 2: version 2 of the site dropped the last links to a few pages")
            round2 = run_dags(airflow, pipeline_dag_ids(sites, google=False), "round 2", echo)
            timings.update({f"round2/{k}": v for k, v in round2.items()})
        finally:
            server.stop()
            if google is not None:
                google.stop()
            if airflow is not None:
                airflow.close()
        alerts = list(receiver.received)
    timings["total"] = time.monotonic() - started
    return DemoResult(base_url=base_url, site_dirs=site_dirs, alerts=alerts, timings=timings)


def run_sites(settings: Settings, sites: SitesFile, *, echo: Echo = print) -> dict[str, float]:
    """``make run``: crawl every site of a config, build, alert. No servers are started."""
    with terminate_on_sigterm():
        airflow = LocalAirflow(settings, echo=echo)
        try:
            airflow.migrate()
            return run_dags(airflow, pipeline_dag_ids(sites), "run", echo)
        finally:
            airflow.close()

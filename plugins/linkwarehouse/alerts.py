"""Find new-orphan batches in the published warehouse and send each once.

A batch is the set of URLs that became orphans in a site's latest crawl (``orphan_events``,
event ``new``). Each sent batch is recorded in the lake (``alerts/sent``), so re-running the
alert DAG, or a warehouse rebuild without a new crawl, never alerts twice.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from linkwarehouse.config import SitesFile
from linkwarehouse.lake import partition_dir, write_file_partition
from linkwarehouse.lake.schemas import ALERTS_SENT
from linkwarehouse.settings import Settings

log = logging.getLogger(__name__)

MAX_URLS_PER_ALERT = 500


class WarehouseNotPublished(RuntimeError):
    """There is no published warehouse to read alerts from."""


def alert_id(kind: str, crawl_id: str) -> str:
    return f"{kind}-{crawl_id}"


def already_sent(lake_root: Path, site: str, alert: str) -> bool:
    return (partition_dir(lake_root, ALERTS_SENT, {"site": site}) / f"{alert}.parquet").exists()


def new_orphan_batches(settings: Settings, sites: SitesFile) -> list[dict[str, Any]]:
    """One batch per site with an alert route whose latest crawl has new orphans not yet alerted."""
    routed = {site.name: site for site in sites.sites if site.alerts.webhook_conn_id}
    if not routed:
        log.info("no site has an alert route; nothing to do")
        return []
    if not settings.marts_path.exists():
        raise WarehouseNotPublished(f"{settings.marts_path} does not exist; run warehouse_build first")
    with duckdb.connect(str(settings.marts_path), read_only=True) as con:
        rows = con.execute(
            """
            with latest as (
                select site, max(crawl_id) as crawl_id from page_link_metrics group by site
            )
            select e.site, e.crawl_id, any_value(e.previous_crawl_id), list(e.url order by e.url)
            from orphan_events as e
            join latest as l on e.site = l.site and e.crawl_id = l.crawl_id
            where e.event = 'new'
            group by e.site, e.crawl_id
            order by e.site
            """
        ).fetchall()
    batches = []
    for site_name, crawl_id, previous_crawl_id, urls in rows:
        site = routed.get(site_name)
        if site is None:
            continue
        if len(urls) < site.alerts.min_new_orphans:
            log.info(
                "site %s: %d new orphans, below threshold %d",
                site_name,
                len(urls),
                site.alerts.min_new_orphans,
            )
            continue
        alert = alert_id("new_orphans", crawl_id)
        if already_sent(settings.lake_root, site_name, alert):
            log.info("site %s: alert %s already sent", site_name, alert)
            continue
        batches.append(
            {
                "alert_id": alert,
                "site": site_name,
                "crawl_id": crawl_id,
                "previous_crawl_id": previous_crawl_id,
                "urls": urls,
                "conn_id": site.alerts.webhook_conn_id,
                "endpoint": site.alerts.endpoint,
            }
        )
    return batches


def alert_payload(batch: dict[str, Any]) -> dict[str, Any]:
    """The JSON body: machine-readable fields plus a Slack-compatible ``text``."""
    urls = batch["urls"]
    shown = urls[:MAX_URLS_PER_ALERT]
    preview = "\n".join(f"• {url}" for url in shown[:20])
    more = f"\n… and {len(urls) - 20} more" if len(urls) > 20 else ""
    return {
        "kind": "new_orphans",
        "site": batch["site"],
        "crawl_id": batch["crawl_id"],
        "previous_crawl_id": batch["previous_crawl_id"],
        "count": len(urls),
        "urls": shown,
        "truncated": len(urls) > len(shown),
        "text": (
            f"Link Warehouse: {len(urls)} new orphan page(s) on site '{batch['site']}' "
            f"(crawl {batch['crawl_id']}): no followed internal link reaches them any more.\n{preview}{more}"
        ),
    }


def record_sent(lake_root: Path, batch: dict[str, Any], route: str) -> Path:
    row = {
        "alert_id": batch["alert_id"],
        "kind": "new_orphans",
        "crawl_id": batch["crawl_id"],
        "urls": batch["urls"],
        "route": route,
        "sent_at": datetime.now(UTC),
    }
    return write_file_partition(lake_root, ALERTS_SENT, {"site": batch["site"]}, [row])


def send_alert(batch: dict[str, Any], context: Any, settings: Settings) -> dict[str, Any]:
    """Send one batch through the site's webhook connection, then record it as sent."""
    from linkwarehouse.notifiers import WebhookNotifier

    if already_sent(settings.lake_root, batch["site"], batch["alert_id"]):
        log.info("alert %s for site %s was already sent", batch["alert_id"], batch["site"])
        return {"alert_id": batch["alert_id"], "sent": False}
    payload = alert_payload(batch)
    notifier = WebhookNotifier(
        http_conn_id=batch["conn_id"],
        endpoint=batch["endpoint"] or None,
        json=payload,
        headers={"Content-Type": "application/json"},
    )
    notifier(context)
    record_sent(settings.lake_root, batch, route=f"http:{batch['conn_id']}{batch['endpoint']}")
    log.info("sent %s: %d new orphans on site %s", batch["alert_id"], payload["count"], batch["site"])
    return {"alert_id": batch["alert_id"], "sent": True, "count": payload["count"]}

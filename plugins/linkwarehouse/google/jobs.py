"""What the ``ga4_<site>`` / ``gsc_<site>`` DAG tasks and the CLI call.

Each function takes plain values (site name, ISO days) so Airflow passes them through XCom and
a shell backfill uses the same code path; credentials are resolved from the site's connection
inside the call, never passed around.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Literal

from linkwarehouse.config import Ga4Source, GscSource, SiteConfig, load_sites
from linkwarehouse.google.credentials import GoogleAccess, access_from_connection
from linkwarehouse.google.errors import DayNotFinalError, GoogleDataError, RetryPolicy
from linkwarehouse.google.freshness import FINAL, manifest_freshness, provisional_days, read_day_manifests
from linkwarehouse.google.ga4 import extract_ga4_day
from linkwarehouse.google.gsc import extract_gsc_day
from linkwarehouse.google.partitions import date_range, missing_days, refresh_window
from linkwarehouse.google.services import ga4_service, gsc_service
from linkwarehouse.lake.schemas import GA4_PAGES, GSC_PAGE_QUERIES, GSC_PAGES, LakeTable
from linkwarehouse.settings import Settings, load_settings

log = logging.getLogger(__name__)

Source = Literal["ga4", "gsc"]
TABLES: dict[str, tuple[LakeTable, ...]] = {"ga4": (GA4_PAGES,), "gsc": (GSC_PAGES, GSC_PAGE_QUERIES)}


def _site(site_name: str, settings: Settings, source: Source) -> SiteConfig:
    site = load_sites(settings.config_path).site(site_name)
    if getattr(site, source) is None:
        raise GoogleDataError(f"{settings.config_path}: site '{site_name}' has no {source} config")
    return site


def window(
    source: Source,
    site_name: str,
    interval_end: str | date | datetime,
    settings: Settings | None = None,
    *,
    backfill: bool = False,
) -> list[str]:
    """The days a run fetches: ``lookback_days`` ending the day before ``interval_end``.

    A backfill run fetches only that day: its neighbours have runs of their own, and the
    revision window matters only for the newest days, which scheduled runs keep re-fetching.
    Search Console's window ends ``min_age_days`` before the run's date (a day Google has
    normally finalised, or at least one already over in Pacific time), and every run - backfills
    too - adds each published day Google had not finalised, however old, until it is final.
    """
    settings = settings or load_settings()
    config = getattr(_site(site_name, settings, source), source)
    if source == "ga4":
        return refresh_window(interval_end, 1 if backfill else config.lookback_days)
    if backfill:
        days = refresh_window(interval_end, 1)
    else:
        days = refresh_window(interval_end, config.lookback_days, config.newest_day_age)
    pending = provisional_days(settings.lake_root, TABLES["gsc"], site_name)
    extra = sorted(set(pending) - set(days))
    if extra:
        log.info("gsc site '%s': re-fetching days Google had not finalised: %s", site_name, ", ".join(extra))
    return sorted({*days, *pending})


def retry_policy(config: Ga4Source | GscSource) -> RetryPolicy:
    """Production retry waits, with the source's ``max_sleep_seconds`` before a worker is released."""
    return RetryPolicy(max_inline_wait=config.max_sleep_seconds)


def extract_days(
    source: Source,
    site_name: str,
    days: Iterable[str],
    *,
    settings: Settings | None = None,
    access: GoogleAccess | None = None,
    policy: RetryPolicy | None = None,
) -> list[dict[str, Any]]:
    """Fetch and publish each day; return one small summary per day (XCom-sized)."""
    settings = settings or load_settings()
    site = _site(site_name, settings, source)
    config = getattr(site, source)
    access = access or access_from_connection(config.conn_id)
    policy = policy or retry_policy(config)
    summaries = []
    if source == "ga4":
        service = ga4_service(access)
        for day in days:
            manifest = extract_ga4_day(
                site, day, service=service, lake_root=settings.lake_root, policy=policy
            )
            summaries.append({"day": day, "ga4_pages": manifest["rows"], "requests": manifest["calls"]})
    else:
        service = gsc_service(access)
        for day in days:
            manifests = extract_gsc_day(
                site, day, service=service, lake_root=settings.lake_root, policy=policy
            )
            summary: dict[str, Any] = {"day": day}
            summary.update({name: manifest["rows"] for name, manifest in manifests.items()})
            summary["freshness"] = manifest_freshness(manifests[GSC_PAGES.name])
            summary["requests"] = manifests[GSC_PAGE_QUERIES.name]["calls"]
            summaries.append(summary)
    return summaries


def backfill(
    source: Source,
    site_name: str,
    start: str | date,
    end: str | date,
    *,
    settings: Settings | None = None,
    access: GoogleAccess | None = None,
    policy: RetryPolicy | None = None,
) -> list[dict[str, Any]]:
    """Fetch every day of ``start..end`` (inclusive); each day replaces its own partition."""
    return extract_days(
        source, site_name, date_range(start, end), settings=settings, access=access, policy=policy
    )


def verify_published(
    source: Source, site_name: str, days: Iterable[str], settings: Settings | None = None
) -> dict[str, Any]:
    """Raise unless every table of ``source`` has a published manifest for every day.

    Search Console days must also be final, or provisional with rows: a day Google has not
    finalised with no rows raises :class:`DayNotFinalError` - it is not a day without traffic.
    """
    settings = settings or load_settings()
    days = list(days)
    missing = missing_days(settings.lake_root, TABLES[source], site_name, days)
    if missing:
        raise GoogleDataError(f"{source} site '{site_name}': partitions not published: {', '.join(missing)}")
    result: dict[str, Any] = {"site": site_name, "source": source, "days": days}
    if source == "gsc":
        provisional, empty = [], []
        for day in days:
            manifests = read_day_manifests(settings.lake_root, TABLES[source], site_name, day)
            pages = manifests[GSC_PAGES.name] or {}
            if all(manifest_freshness(m or {}) == FINAL for m in manifests.values()):
                continue
            provisional.append(day)
            if pages.get("rows", 0) == 0:
                since = pages.get("first_incomplete_date")
                empty.append(f"{day} (first incomplete date {since})" if since else day)
        if empty:
            raise DayNotFinalError(
                f"gsc site '{site_name}': Search Console has not finalised {', '.join(empty)} and "
                "returned no rows: published as provisional with 0 rows, not as days without traffic; "
                "every later run re-fetches them until Google finalises them"
            )
        if provisional:
            log.warning(
                "gsc site '%s': provisional days (re-fetched until final): %s", site_name, provisional
            )
        result["provisional_days"] = provisional
    return result

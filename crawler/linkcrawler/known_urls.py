"""URLs a crawl fetches after link discovery ran dry: orphan candidates the links never reached.

Two late phases, in order (:data:`LATE_PHASES`): the sitemap URLs nothing linked to, then the
URLs the lake already knows for the site. Those are read only from published partitions (a
``_SUCCESS`` manifest, or a crawl/runs row for crawls): the pages of the latest previous crawl,
GA4 ``page_url`` and Search Console ``page_url`` of the last :data:`GOOGLE_WINDOW_DAYS` days
(the window the warehouse joins to a crawl: a URL that had visits two years ago is no orphan
evidence today, and years of daily partitions would flood the crawl), fetched with ``found_via``
``previous_crawl``, ``ga4`` or ``gsc`` (the first source that lists a URL wins).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq

from linkwarehouse.config import SiteConfig
from linkwarehouse.lake import partition_dir, published_manifests
from linkwarehouse.lake.schemas import CRAWL_PAGES, CRAWL_RUNS, GA4_PAGES, GSC_PAGES, LakeTable

logger = logging.getLogger(__name__)

#: Phases after link discovery, in order: where their URLs come from.
LATE_PHASES = ("sitemap", "known")
#: Days of GA4 / Search Console partitions read; the dbt var ``google_window_days``.
GOOGLE_WINDOW_DAYS = 28


def _column(folder: Path, column: str) -> list[str]:
    values: set[str] = set()
    for part in sorted(folder.glob("*.parquet")):
        table = pq.read_table(part, columns=[column]) if column in pq.read_schema(part).names else None
        if table is not None:
            values.update(value for value in table.column(column).to_pylist() if value)
    return sorted(values)


def _published_folders(lake: Path, table: LakeTable, site: str, since: date) -> list[Path]:
    folders = []
    for manifest in published_manifests(lake, table):
        partition = manifest.get("partition", {})
        if partition.get("site") == site and str(partition.get("date", "")) >= since.isoformat():
            folders.append(partition_dir(lake, table, partition))
    return folders


def _google_urls(lake: Path, table: LakeTable, site: str, since: date) -> list[str]:
    return sorted(
        {
            url
            for folder in _published_folders(lake, table, site, since)
            for url in _column(folder, "page_url")
        }
    )


def previous_crawl_urls(lake: Path, site: str, crawl_id: str) -> list[str]:
    """Page URLs of the latest published crawl of ``site`` other than ``crawl_id``."""
    runs = partition_dir(lake, CRAWL_RUNS, {"site": site})
    crawl_ids = sorted(path.stem for path in runs.glob("*.parquet") if path.stem not in (crawl_id, "_empty"))
    for previous in reversed(crawl_ids):
        folder = partition_dir(lake, CRAWL_PAGES, {"site": site, "crawl_id": previous})
        if (folder / "_SUCCESS").exists():
            return _column(folder, "url")
    return []


def known_urls(
    lake: Path,
    site: str,
    crawl_id: str,
    normalize: Callable[[str], str | None],
    today: date | None = None,
) -> list[tuple[str, str]]:
    """``(url, source)`` pairs, each normalised URL once, sources in order of precedence."""
    since = (today or datetime.now(UTC).date()) - timedelta(days=GOOGLE_WINDOW_DAYS)
    sources = [
        ("previous_crawl", previous_crawl_urls(lake, site, crawl_id)),
        ("ga4", _google_urls(lake, GA4_PAGES, site, since)),
        ("gsc", _google_urls(lake, GSC_PAGES, site, since)),
    ]
    seen: dict[str, str] = {}
    for source, urls in sources:
        for raw in urls:
            url = normalize(raw)
            if url is not None and url not in seen:
                seen[url] = source
        logger.info("%d URL(s) known from %s", len(urls), source)
    return list(seen.items())


def late_phase_urls(
    phase: str, sitemap_urls: dict[str, None], site: SiteConfig, lake: Path, crawl_id: str
) -> list[tuple[str, str]]:
    """``(url, found_via)`` to offer in late ``phase``.

    ``sitemap_urls`` (sitemap URLs not seen when their sitemap was parsed) is emptied by the
    sitemap phase that takes them.
    """
    if phase == "sitemap":
        urls = [(url, "sitemap") for url in sitemap_urls]
        sitemap_urls.clear()
        return urls
    if not site.crawl.fetch_known_urls:
        return []
    return known_urls(lake, site.name, crawl_id, site.normalizer())

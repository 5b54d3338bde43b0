"""Search Console ``searchanalytics.query`` -> ``gsc_pages`` and ``gsc_page_queries`` per day.

Each day is queried twice (dimensions ``[page]`` and ``[page, query]``, ``type=web``, the
site's ``dataState``) and paged with ``rowLimit`` (max 25,000) and ``startRow`` until a page
comes back short. Rows stream into staging; both partitions are published only after both
queries were paged to the end, so a failure leaves the previous version of the day in place.
Search Console has no total row count: a key returned twice while paging is dropped once and
counted in the manifest, so a day is never duplicated.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

from linkwarehouse.config import SiteConfig
from linkwarehouse.google.errors import (
    CallStats,
    GoogleDataError,
    IncompleteDayError,
    MalformedResponseError,
    RetryPolicy,
    call_with_retries,
)
from linkwarehouse.lake.schemas import GSC_PAGE_QUERIES, GSC_PAGES, LakeTable
from linkwarehouse.lake.writer import PartitionWriter
from linkwarehouse.urls import UrlNormalizer

log = logging.getLogger(__name__)

MAX_ROW_LIMIT = 25_000
SEARCH_TYPE = "web"
MAX_ROWS_PER_QUERY = 20_000_000
QUERIES: tuple[tuple[LakeTable, tuple[str, ...]], ...] = (
    (GSC_PAGES, ("page",)),
    (GSC_PAGE_QUERIES, ("page", "query")),
)


def query_body(
    day: str, dimensions: tuple[str, ...], data_state: str, row_limit: int, start_row: int = 0
) -> dict[str, Any]:
    """The ``searchanalytics.query`` request for one day and one page of rows."""
    return {
        "startDate": day,
        "endDate": day,
        "dimensions": list(dimensions),
        "type": SEARCH_TYPE,
        "dataState": data_state,
        "aggregationType": "auto",
        "rowLimit": row_limit,
        "startRow": start_row,
    }


def _validated(response: Any, dimensions: tuple[str, ...]) -> list[dict[str, Any]]:
    if not isinstance(response, dict):
        raise MalformedResponseError(f"searchanalytics.query returned {type(response).__name__}, not JSON")
    rows = response.get("rows", [])
    if not isinstance(rows, list):
        raise MalformedResponseError("searchanalytics.query 'rows' is not a list")
    for row in rows:
        keys = row.get("keys") if isinstance(row, dict) else None
        if not isinstance(keys, list) or len(keys) != len(dimensions):
            raise MalformedResponseError(f"searchanalytics.query row keys do not match {list(dimensions)}")
    return rows


class _PageUrls:
    """Normalise each distinct raw page once: a page repeats for every one of its queries."""

    def __init__(self, normalize: UrlNormalizer) -> None:
        self.normalize = normalize
        self.cache: dict[str, str | None] = {}

    def __call__(self, page: str) -> str | None:
        try:
            return self.cache[page]
        except KeyError:
            url = self.cache[page] = self.normalize(page)
            return url


def _fetch_into(
    writer: PartitionWriter,
    request: Callable[[dict[str, Any]], Any],
    day: str,
    dimensions: tuple[str, ...],
    common: dict[str, Any],
    page_url: _PageUrls,
    *,
    data_state: str,
    row_limit: int,
    describe: str,
    policy: RetryPolicy,
    stats: CallStats,
) -> dict[str, Any]:
    seen: set[tuple[str, ...]] = set()
    start_row, api_pages, api_rows = 0, 0, 0
    query = "query" in dimensions
    while True:
        body = query_body(day, dimensions, data_state, row_limit, start_row)
        rows = call_with_retries(
            lambda body=body: _validated(request(body), dimensions),
            describe=f"{describe} day {day}",
            policy=policy,
            stats=stats,
        )
        api_pages += 1
        api_rows += len(rows)
        for row in rows:
            key = tuple(row["keys"])
            if key in seen:
                # The order shifted between pages, so another row was probably skipped.
                query_name = "+".join(dimensions)
                raise IncompleteDayError(f"{describe} day {day}: {query_name} row {list(key)} returned twice")
            seen.add(key)
            record = {
                "page_url": page_url(key[0]),
                "page": key[0],
                "clicks": round(row.get("clicks", 0)),
                "impressions": round(row.get("impressions", 0)),
                "ctr": float(row.get("ctr", 0.0)),
                "position": float(row.get("position", 0.0)),
                **common,
            }
            if query:
                record["query"] = key[1]
            writer.append(record)
        start_row += len(rows)
        if len(rows) < row_limit:
            break
        if start_row >= MAX_ROWS_PER_QUERY:
            raise GoogleDataError(
                f"{describe} day {day}: more than {MAX_ROWS_PER_QUERY} rows; paging never ends"
            )
    log.info("%s day %s: %s: %d rows in %d pages", describe, day, "+".join(dimensions), len(seen), api_pages)
    return {
        "request": query_body(day, dimensions, data_state, row_limit),
        "api_pages": api_pages,
        "api_rows": api_rows,
    }


def extract_gsc_day(
    site: SiteConfig,
    day: str,
    *,
    service: Any,
    lake_root: str | os.PathLike[str],
    policy: RetryPolicy | None = None,
    row_limit: int | None = None,
) -> dict[str, dict[str, Any]]:
    """Fetch both queries of one day, then publish both partitions; return their manifests."""
    if site.gsc is None:
        raise ValueError(f"site {site.name!r} has no gsc config")
    policy = policy or RetryPolicy()
    gsc = site.gsc
    limit = min(row_limit or gsc.row_limit, MAX_ROW_LIMIT)
    describe = f"gsc site '{site.name}' property {gsc.site_url}"
    stats = CallStats()
    fetched_at = datetime.now(UTC)
    common = {
        "data_state": gsc.data_state,
        "search_type": SEARCH_TYPE,
        "site_url": gsc.site_url,
        "fetched_at": fetched_at,
    }
    page_url = _PageUrls(site.normalizer())

    def request(body: dict[str, Any]) -> Any:
        return service.searchanalytics().query(siteUrl=gsc.site_url, body=body).execute()

    def fetch_and_publish() -> dict[str, dict[str, Any]]:
        """Page both queries of the day into staging; publish only when both are complete."""
        with ExitStack() as stack:
            fetched = []
            for table, dimensions in QUERIES:
                writer = stack.enter_context(
                    PartitionWriter(lake_root, table, {"site": site.name, "date": day})
                )
                details = _fetch_into(
                    writer, request, day, dimensions, common, page_url, data_state=gsc.data_state,
                    row_limit=limit, describe=describe, policy=policy, stats=stats,
                )  # fmt: skip
                fetched.append((table, writer, details))
            return {
                table.name: writer.publish(
                    extra={
                        "source": "gsc",
                        "site_url": gsc.site_url,
                        "day": day,
                        "data_state": gsc.data_state,
                        "search_type": SEARCH_TYPE,
                        "row_limit": limit,
                        **details,
                        "calls": stats.to_json(),
                        "fetched_at": fetched_at.isoformat(),
                    }
                )
                for table, writer, details in fetched
            }

    for attempt in range(1, policy.day_attempts + 1):
        try:
            manifests = fetch_and_publish()
            break
        except IncompleteDayError as exc:
            if attempt == policy.day_attempts:
                raise
            log.warning("%s; fetching the day again (attempt %d)", exc, attempt + 1)
    log.info(
        "%s day %s: published %s",
        describe,
        day,
        ", ".join(f"{name} {m['rows']} rows" for name, m in manifests.items()),
    )
    return manifests

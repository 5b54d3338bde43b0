"""Search Console ``searchanalytics.query`` -> ``gsc_pages`` and ``gsc_page_queries`` per day.

First Google is asked whether the day is final (:mod:`linkwarehouse.google.freshness`); the
answer flags every row (``provisional``) and both manifests (``freshness``). Then the day is
queried twice (dimensions ``[page]`` and ``[page, query]``, ``type=web``, the site's
``dataState``) and paged with ``rowLimit`` (max 25,000) and ``startRow`` until a page comes
back short. Rows stream into staging; both partitions are published only after both queries
were paged to the end, so a failure leaves the previous version of the day in place. Search
Console has no total row count: a key returned twice while paging means the order shifted
(a row was probably skipped), so the day is fetched again.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime
from typing import Any

from linkwarehouse.config import GscSource, SiteConfig
from linkwarehouse.google.errors import (
    CallStats,
    GoogleDataError,
    IncompleteDayError,
    MalformedResponseError,
    RetryPolicy,
    call_with_retries,
)
from linkwarehouse.google.freshness import (
    FINAL,
    DayFreshness,
    ask_google,
    manifest_freshness,
    pacific_today,
    read_day_manifests,
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


def _validated(response: Any, dimensions: tuple[str, ...]) -> dict[str, Any]:
    """The response, once its rows are checked against the requested dimensions."""
    if not isinstance(response, dict):
        raise MalformedResponseError(f"searchanalytics.query returned {type(response).__name__}, not JSON")
    rows = response.get("rows", [])
    if not isinstance(rows, list):
        raise MalformedResponseError("searchanalytics.query 'rows' is not a list")
    for row in rows:
        keys = row.get("keys") if isinstance(row, dict) else None
        if not isinstance(keys, list) or len(keys) != len(dimensions):
            raise MalformedResponseError(f"searchanalytics.query row keys do not match {list(dimensions)}")
    return response


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
    freshness: DayFreshness,
    row_limit: int,
    describe: str,
    policy: RetryPolicy,
    stats: CallStats,
) -> dict[str, Any]:
    """Page one query of the day into ``writer``; return the paging details for the manifest."""
    data_state = common["data_state"]
    seen: set[tuple[str, ...]] = set()
    start_row, api_pages, api_rows = 0, 0, 0
    query = "query" in dimensions
    flags = {**common, "provisional": not freshness.final}
    while True:
        body = query_body(day, dimensions, data_state, row_limit, start_row)
        response = call_with_retries(
            lambda body=body: _validated(request(body), dimensions),
            describe=f"{describe} day {day}",
            policy=policy,
            stats=stats,
        )
        if freshness.downgraded(response) is not freshness:
            raise IncompleteDayError(f"{describe} day {day}: the day became provisional while paging")
        rows = response.get("rows", [])
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
                **flags,
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
    """Ask Google whether the day is final, fetch both queries, publish both partitions.

    Returns each table's manifest. A day Google has not finalised is published as provisional
    (rows flagged) or, with ``data_state: final`` (no rows until final), as a provisional
    partition without rows; :func:`~linkwarehouse.google.jobs.verify_published` fails on the
    latter and later runs re-fetch both until final. A published final day is never replaced
    by a provisional answer, nor a day with rows by an empty one.
    """
    if site.gsc is None:
        raise ValueError(f"site {site.name!r} has no gsc config")
    policy = policy or RetryPolicy()
    gsc = site.gsc
    limit = min(row_limit or gsc.row_limit, MAX_ROW_LIMIT)
    describe = f"gsc site '{site.name}' property {gsc.site_url}"
    stats = CallStats()
    fetched_at = policy.clock()
    today = pacific_today(fetched_at)
    page_url = _PageUrls(site.normalizer())
    partition = {"site": site.name, "date": day}

    def request(body: dict[str, Any]) -> Any:
        return service.searchanalytics().query(siteUrl=gsc.site_url, body=body).execute()

    def fetch_and_publish() -> dict[str, dict[str, Any]]:
        """Judge the day, page both queries into staging; publish only when both are complete."""
        freshness = ask_google(
            day, today, request, describe=f"{describe} day {day}", policy=policy, stats=stats
        )
        log.info("%s day %s: Search Console reports it %s", describe, day, freshness.describe())
        published = read_day_manifests(lake_root, (table for table, _ in QUERIES), site.name, day)
        if not freshness.final and _all_final(published):
            log.warning("%s day %s: Google now reports it not final; keeping the published final "
                        "version", describe, day)  # fmt: skip
            return _kept(published)
        fetch = freshness.final or gsc.data_state == "all"
        with ExitStack() as stack:
            fetched = []
            for table, dimensions in QUERIES:
                writer = stack.enter_context(PartitionWriter(lake_root, table, partition))
                details: dict[str, Any] = {"request": None, "api_pages": 0, "api_rows": 0}
                if fetch:
                    details = _fetch_into(
                        writer, request, day, dimensions, _common(gsc, fetched_at), page_url,
                        freshness=freshness, row_limit=limit, describe=describe, policy=policy,
                        stats=stats,
                    )  # fmt: skip
                fetched.append((table, writer, details))
            day_rows = fetched[0][2]["api_rows"]  # the writer counts rows only once flushed
            if freshness.final and day_rows == 0 and freshness.impressions > 0:
                raise IncompleteDayError(
                    f"{describe} day {day}: no page rows although the day has "
                    f"{freshness.impressions} impressions"
                )
            if _keeps_rows(published, freshness, day_rows, f"{describe} day {day}"):
                for _, writer, _ in fetched:
                    writer.abort()
                return _kept(published)
            return {
                table.name: writer.publish(
                    extra={
                        "source": "gsc",
                        "site_url": gsc.site_url,
                        "day": day,
                        "data_state": gsc.data_state,
                        "search_type": SEARCH_TYPE,
                        "row_limit": limit,
                        **freshness.manifest(),
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
        "%s day %s: %s %s",
        describe,
        day,
        "kept the published" if manifests[GSC_PAGES.name].get("kept") else "published",
        ", ".join(f"{name} {m['rows']} rows ({manifest_freshness(m)})" for name, m in manifests.items()),
    )
    return manifests


def _common(gsc: GscSource, fetched_at: datetime) -> dict[str, Any]:
    return {
        "data_state": gsc.data_state,
        "search_type": SEARCH_TYPE,
        "site_url": gsc.site_url,
        "fetched_at": fetched_at,
    }


def _all_final(published: dict[str, dict[str, Any] | None]) -> bool:
    return all(
        manifest is not None and manifest_freshness(manifest) == FINAL for manifest in published.values()
    )


def _keeps_rows(
    published: dict[str, dict[str, Any] | None], freshness: DayFreshness, rows: int, describe: str
) -> bool:
    """Whether an empty answer must leave the published day with rows in place.

    Not final yet: keep it (nothing new was learnt). Final: an error - replacing it would turn
    traffic into zeros (data past retention, a property that lost data).
    """
    current = published[GSC_PAGES.name] or {}
    if rows > 0 or current.get("rows", 0) == 0 or any(m is None for m in published.values()):
        return False
    if freshness.final:
        raise GoogleDataError(
            f"{describe}: Search Console returned no rows for a final day published with "
            f"{current['rows']} rows; keeping the published version (data past Search Console's "
            "16-month retention, or a property that lost data?)"
        )
    log.warning("%s: no rows yet; keeping the published version with %d rows", describe, current["rows"])
    return True


def _kept(published: dict[str, dict[str, Any] | None]) -> dict[str, dict[str, Any]]:
    return {name: {**manifest, "kept": True} for name, manifest in published.items() if manifest}

"""GA4 Data API ``runReport`` -> one ``ga4_pages`` partition per site and day.

Two reports per day, both paged with ``limit``/``offset`` until ``rowCount`` rows arrived and
ordered by their dimensions so pages never overlap: page metrics by ``hostName, pagePath``
and entrance metrics by ``hostName, landingPage``. They are merged on the raw
``(hostName, path)`` so a row says how a page was viewed *and* how often it started a session.
``(other)`` rows and sampling/thresholding flags are kept as data; the property quota of every
response is logged and written to the manifest.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ada_url import URL

from linkwarehouse.config import SiteConfig
from linkwarehouse.google.errors import (
    CallStats,
    IncompleteDayError,
    MalformedResponseError,
    RetryPolicy,
    call_with_retries,
)
from linkwarehouse.lake.schemas import GA4_PAGES
from linkwarehouse.lake.writer import PartitionWriter

log = logging.getLogger(__name__)

PAGE_DIMENSIONS = ("hostName", "pagePath")
LANDING_DIMENSIONS = ("hostName", "landingPage")
PAGE_METRICS = {
    "screenPageViews": "views",
    "sessions": "sessions",
    "engagedSessions": "engaged_sessions",
    "keyEvents": "key_events",
    "totalUsers": "total_users",
}
LANDING_METRICS = {
    "sessions": "landing_sessions",
    "engagedSessions": "landing_engaged_sessions",
    "keyEvents": "landing_key_events",
}
OTHER = "(other)"
NOT_SET = "(not set)"
_FLOAT_COLUMNS = frozenset({"key_events", "landing_key_events"})


class PageUrlMapper:
    """Map GA4 ``hostName`` + path to the absolute URL the crawl would record.

    GA4's hostName carries no scheme or port: a host of one of the site's start URLs takes that
    URL's origin (so ``127.0.0.1`` becomes ``http://127.0.0.1:8765``); other hosts get https
    unless the site's first start URL is http. The site's normaliser does the rest.
    """

    def __init__(self, site: SiteConfig) -> None:
        self.normalize = site.normalizer()
        self.origins: dict[str, str] = {}
        for start in site.start_urls:
            url = URL(start)
            self.origins.setdefault(url.hostname.lower(), f"{url.protocol}//{url.host}")
        self.scheme = URL(site.start_urls[0]).protocol
        if self.scheme not in ("http:", "https:"):
            self.scheme = "https:"

    def __call__(self, host: str, path: str) -> str | None:
        if host in (OTHER, NOT_SET, "") or path in (OTHER, NOT_SET, ""):
            return None
        if path.startswith(("http://", "https://")):
            return self.normalize(path)
        if not path.startswith("/"):
            return None
        origin = self.origins.get(host.lower(), f"{self.scheme}//{host}")
        return self.normalize(origin + path)


@dataclass
class Ga4Report:
    """One fully paged report of one day."""

    dimensions: tuple[str, ...]
    metrics: tuple[str, ...]
    rows: dict[tuple[str, ...], dict[str, float]] = field(default_factory=dict)
    row_count: int = 0
    pages: int = 0
    sampled: bool = False
    thresholded: bool = False
    data_loss_from_other_row: bool = False
    sampling: list[dict[str, Any]] = field(default_factory=list)
    property_quota: dict[str, Any] | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "dimensions": list(self.dimensions),
            "metrics": list(self.metrics),
            "row_count": self.row_count,
            "api_pages": self.pages,
            "sampled": self.sampled,
            "sampling_metadatas": self.sampling,
            "subject_to_thresholding": self.thresholded,
            "data_loss_from_other_row": self.data_loss_from_other_row,
        }


def report_body(
    day: str, dimensions: tuple[str, ...], metrics: tuple[str, ...], limit: int, offset: int = 0
) -> dict[str, Any]:
    """The ``runReport`` request for one day, ordered by every dimension for stable paging."""
    return {
        "dateRanges": [{"startDate": day, "endDate": day}],
        "dimensions": [{"name": name} for name in dimensions],
        "metrics": [{"name": name} for name in metrics],
        "orderBys": [{"dimension": {"dimensionName": name}} for name in dimensions],
        "limit": str(limit),
        "offset": str(offset),
        "keepEmptyRows": False,
        "returnPropertyQuota": True,
    }


def _validated(response: Any, dimensions: tuple[str, ...], metrics: tuple[str, ...]) -> dict[str, Any]:
    """Reject bodies the client returned as text (truncated JSON) or with the wrong shape."""
    if not isinstance(response, dict):
        raise MalformedResponseError(f"runReport returned {type(response).__name__}, not a JSON object")
    headers = [h.get("name") for h in response.get("metricHeaders", []) if isinstance(h, dict)]
    rows = response.get("rows", [])
    if not isinstance(rows, list) or (rows and headers != list(metrics)):
        raise MalformedResponseError(f"runReport response does not match the requested metrics {metrics}")
    for row in rows:
        dims = row.get("dimensionValues") if isinstance(row, dict) else None
        values = row.get("metricValues") if isinstance(row, dict) else None
        if not isinstance(dims, list) or not isinstance(values, list):
            raise MalformedResponseError("runReport row without dimensionValues/metricValues")
        if len(dims) != len(dimensions) or len(values) != len(metrics):
            raise MalformedResponseError("runReport row has the wrong number of values")
    return response


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise MalformedResponseError(f"runReport metric value is not a number: {value!r}") from None


def format_quota(quota: dict[str, Any] | None) -> str:
    if not quota:
        return "not reported"
    parts = []
    for name, status in sorted(quota.items()):
        if isinstance(status, dict) and "remaining" in status:
            parts.append(f"{name} {status.get('consumed', 0)} used/{status['remaining']} left")
    return ", ".join(parts) or "not reported"


def fetch_report(
    request: Callable[[dict[str, Any]], Any],
    day: str,
    dimensions: tuple[str, ...],
    metrics: tuple[str, ...],
    *,
    page_size: int,
    describe: str,
    policy: RetryPolicy,
    stats: CallStats,
) -> Ga4Report:
    """Page one report to ``rowCount``; raise :class:`IncompleteDayError` if pages disagree."""
    report = Ga4Report(dimensions, metrics)
    offset, expected = 0, None
    while True:
        body = report_body(day, dimensions, metrics, page_size, offset)
        response = call_with_retries(
            lambda body=body: _validated(request(body), dimensions, metrics),
            describe=f"{describe} day {day}",
            policy=policy,
            stats=stats,
        )
        report.pages += 1
        rows = response.get("rows", [])
        total = int(response.get("rowCount", 0) or 0)
        if expected is None:
            expected = total
        elif total != expected:
            raise IncompleteDayError(f"{describe} day {day}: rowCount changed from {expected} to {total}")
        _read_metadata(report, response)
        for row in rows:
            key = tuple(str(v.get("value", "")) for v in row["dimensionValues"])
            if key in report.rows:
                raise IncompleteDayError(f"{describe} day {day}: row {key} returned twice while paging")
            report.rows[key] = {
                name: _number(value.get("value"))
                for name, value in zip(metrics, row["metricValues"], strict=True)
            }
        offset += len(rows)
        log.info(
            "%s day %s: %s page %d, %d/%d rows; quota: %s",
            describe,
            day,
            "+".join(dimensions),
            report.pages,
            offset,
            expected,
            format_quota(report.property_quota),
        )
        if offset >= expected or not rows:
            break
    if offset != expected:
        raise IncompleteDayError(f"{describe} day {day}: got {offset} rows, rowCount says {expected}")
    report.row_count = expected
    return report


def _read_metadata(report: Ga4Report, response: dict[str, Any]) -> None:
    metadata = response.get("metadata") or {}
    sampling = metadata.get("samplingMetadatas") or []
    if sampling:
        report.sampled = True
        report.sampling = sampling
    report.thresholded |= bool(metadata.get("subjectToThresholding"))
    report.data_loss_from_other_row |= bool(metadata.get("dataLossFromOtherRow"))
    if response.get("propertyQuota"):
        report.property_quota = response["propertyQuota"]


def merged_rows(
    pages: Ga4Report, landing: Ga4Report, mapper: PageUrlMapper, property_id: str, fetched_at: datetime
) -> Iterator[dict[str, Any]]:
    """One lake row per raw ``(hostName, path)`` of either report, sorted by that key."""
    flags = {
        "sampled": pages.sampled or landing.sampled,
        "thresholded": pages.thresholded or landing.thresholded,
        "data_loss_from_other_row": pages.data_loss_from_other_row or landing.data_loss_from_other_row,
    }
    for key in sorted(set(pages.rows) | set(landing.rows)):
        host, path = key
        row: dict[str, Any] = {
            "page_url": mapper(host, path),
            "host_name": host,
            "page_path": path,
            "is_other": OTHER in key,
            "property_id": property_id,
            "fetched_at": fetched_at,
            **flags,
        }
        for source, columns in ((pages, PAGE_METRICS), (landing, LANDING_METRICS)):
            values = source.rows.get(key)
            for metric, column in columns.items():
                value = values.get(metric) if values else None
                if value is not None and column not in _FLOAT_COLUMNS:
                    value = round(value)
                row[column] = value
        yield row


def extract_ga4_day(
    site: SiteConfig,
    day: str,
    *,
    service: Any,
    lake_root: str | os.PathLike[str],
    policy: RetryPolicy | None = None,
    page_size: int | None = None,
) -> dict[str, Any]:
    """Fetch one day completely, then publish its ``ga4_pages`` partition; return the manifest.

    Nothing is published unless both reports were paged to their ``rowCount``; a rerun
    replaces the day's partition.
    """
    if site.ga4 is None:
        raise ValueError(f"site {site.name!r} has no ga4 config")
    policy = policy or RetryPolicy()
    property_id = site.ga4.property_id
    size = page_size or site.ga4.page_size
    describe = f"ga4 site '{site.name}' property {property_id}"
    stats = CallStats()

    def request(body: dict[str, Any]) -> Any:
        return service.properties().runReport(property=f"properties/{property_id}", body=body).execute()

    for attempt in range(1, policy.day_attempts + 1):
        try:
            pages = fetch_report(
                request, day, PAGE_DIMENSIONS, tuple(PAGE_METRICS), page_size=size,
                describe=describe, policy=policy, stats=stats,
            )  # fmt: skip
            landing = fetch_report(
                request, day, LANDING_DIMENSIONS, tuple(LANDING_METRICS), page_size=size,
                describe=describe, policy=policy, stats=stats,
            )  # fmt: skip
            break
        except IncompleteDayError as exc:
            if attempt == policy.day_attempts:
                raise
            log.warning("%s; fetching the day again (attempt %d)", exc, attempt + 1)
    fetched_at = datetime.now(UTC)
    with PartitionWriter(lake_root, GA4_PAGES, {"site": site.name, "date": day}) as writer:
        for row in merged_rows(pages, landing, PageUrlMapper(site), property_id, fetched_at):
            writer.append(row)
        manifest = writer.publish(
            extra={
                "source": "ga4",
                "property_id": property_id,
                "day": day,
                "page_size": size,
                "requests": [
                    report_body(day, PAGE_DIMENSIONS, tuple(PAGE_METRICS), size),
                    report_body(day, LANDING_DIMENSIONS, tuple(LANDING_METRICS), size),
                ],
                "reports": {"pages": pages.summary(), "landing": landing.summary()},
                "property_quota": landing.property_quota or pages.property_quota,
                "calls": stats.to_json(),
                "fetched_at": fetched_at.isoformat(),
            }
        )
    log.info(
        "%s day %s: published %d rows (quota: %s)",
        describe,
        day,
        manifest["rows"],
        format_quota(manifest["property_quota"]),
    )
    return manifest

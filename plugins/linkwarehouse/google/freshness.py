"""Search Console freshness: has Google finalised a day, and which published days are not final.

Search Console shows a day twice: fresh numbers within hours (``dataState: all``), which keep
changing, and final numbers about two to three days after the day ends (Pacific time, Search
Console's clock). ``dataState: final`` answers a day that is not final yet with no rows - the
same answer as a day without traffic. So before fetching a day the extractor asks Google: one
``searchanalytics.query`` with ``dataState: all`` and ``dimensions: [date]`` from the day to
today. When the range holds data still being collected, the response's
``metadata.firstIncompleteDate`` names the first such day, and the day is final exactly when it
is earlier. A response without that metadata (Google omits it when the whole range is
complete; a range ending today never is) falls back to the day's age: final once
:data:`FINAL_AFTER_DAYS` Pacific days have passed.

The answer is written into both partitions: every row's ``provisional`` column and the
manifest's ``freshness`` (``final`` / ``provisional``) with ``first_incomplete_date``. Days
whose manifest is not final are re-fetched by every later run until Google finalises them.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from linkwarehouse.google.errors import (
    CallStats,
    ErrorKind,
    GoogleApiError,
    MalformedResponseError,
    RetryPolicy,
    call_with_retries,
)
from linkwarehouse.lake.schemas import LakeTable
from linkwarehouse.lake.writer import MANIFEST, partition_dir, read_manifest

log = logging.getLogger(__name__)

#: Search Console's days and "today" are Pacific time (America/Los_Angeles).
PACIFIC = ZoneInfo("America/Los_Angeles")
#: Typical lag of final data; used only when Google sends no freshness metadata.
FINAL_AFTER_DAYS = 3
FINAL = "final"
PROVISIONAL = "provisional"
PROBE_ROW_LIMIT = 25_000


def pacific_today(now: datetime) -> date:
    """Search Console's current day for an aware ``now``."""
    return now.astimezone(PACIFIC).date()


def probe_body(day: date, today: date) -> dict[str, Any]:
    """The freshness question for ``day``: daily totals from the day to today, fresh data included.

    Ending the range today (never before the day) makes it contain incomplete data, which is
    when Google includes ``metadata.firstIncompleteDate``.
    """
    return {
        "startDate": day.isoformat(),
        "endDate": max(day, today).isoformat(),
        "dimensions": ["date"],
        "type": "web",
        "dataState": "all",
        "aggregationType": "auto",
        "rowLimit": PROBE_ROW_LIMIT,
    }


def first_incomplete_date(response: Mapping[str, Any]) -> date | None:
    """``metadata.firstIncompleteDate`` of a ``searchanalytics.query`` response, if present."""
    metadata = response.get("metadata")
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        raise MalformedResponseError("searchanalytics.query 'metadata' is not an object")
    value = metadata.get("firstIncompleteDate", metadata.get("first_incomplete_date"))
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise MalformedResponseError(
            f"searchanalytics.query metadata.firstIncompleteDate is not a date: {value!r}"
        ) from None


@dataclass(frozen=True)
class DayFreshness:
    """Google's answer for one day: final or not, and what it was based on.

    ``evidence``: ``first_incomplete_date`` (Google's metadata) or ``age`` (no metadata: the
    day's age in Pacific days). ``clicks`` / ``impressions``: the day's totals in the answer.
    """

    day: date
    final: bool
    first_incomplete: date | None
    evidence: str
    clicks: int
    impressions: int

    @property
    def state(self) -> str:
        return FINAL if self.final else PROVISIONAL

    def describe(self) -> str:
        if self.first_incomplete is not None:
            return f"{self.state} (first incomplete date {self.first_incomplete})"
        return f"{self.state} (no freshness metadata; by age)"

    def manifest(self) -> dict[str, Any]:
        """The manifest fields that record the answer."""
        return {
            "freshness": self.state,
            "first_incomplete_date": self.first_incomplete.isoformat() if self.first_incomplete else None,
            "freshness_evidence": self.evidence,
            "day_clicks": self.clicks,
            "day_impressions": self.impressions,
        }

    def downgraded(self, response: Mapping[str, Any]) -> DayFreshness:
        """This answer, made provisional if a later response's metadata says the day is incomplete."""
        later = first_incomplete_date(response)
        if not self.final or later is None or later > self.day:
            return self
        return DayFreshness(self.day, False, later, "first_incomplete_date", self.clicks, self.impressions)


def judge_day(day: str | date, response: Any, today: date) -> DayFreshness:
    """Read the probe's answer (see :func:`probe_body`) for ``day``."""
    if not isinstance(response, dict):
        raise MalformedResponseError(f"searchanalytics.query returned {type(response).__name__}, not JSON")
    day = date.fromisoformat(day) if isinstance(day, str) else day
    clicks = impressions = 0
    rows = response.get("rows", [])
    if not isinstance(rows, list):
        raise MalformedResponseError("searchanalytics.query 'rows' is not a list")
    for row in rows:
        keys = row.get("keys") if isinstance(row, dict) else None
        if not isinstance(keys, list) or len(keys) != 1:
            raise MalformedResponseError("searchanalytics.query row keys do not match ['date']")
        if str(keys[0])[:10] == day.isoformat():
            clicks, impressions = round(row.get("clicks", 0)), round(row.get("impressions", 0))
    incomplete = first_incomplete_date(response)
    if incomplete is not None:
        return DayFreshness(day, day < incomplete, incomplete, "first_incomplete_date", clicks, impressions)
    final = (today - day).days >= FINAL_AFTER_DAYS
    return DayFreshness(day, final, None, "age", clicks, impressions)


def ask_google(
    day: str,
    today: date,
    request: Callable[[dict[str, Any]], Any],
    *,
    describe: str,
    policy: RetryPolicy,
    stats: CallStats,
) -> DayFreshness:
    """Ask Search Console whether ``day`` is final (with the request's usual retries).

    Should a server refuse the range to today as invalid, the day alone is asked: Google then
    names a first incomplete date only for a day still incomplete, and a complete day is
    judged by age.
    """
    body = probe_body(date.fromisoformat(day), today)
    try:
        return call_with_retries(
            lambda: judge_day(day, request(body), today), describe=describe, policy=policy, stats=stats
        )
    except GoogleApiError as exc:
        if exc.kind is not ErrorKind.INVALID or body["endDate"] == day:
            raise
        log.warning("%s: the freshness range to %s was refused (%s); asking for the day alone", describe,
                    body["endDate"], exc)  # fmt: skip
    single = {**body, "endDate": day}
    return call_with_retries(
        lambda: judge_day(day, request(single), today), describe=describe, policy=policy, stats=stats
    )


def manifest_freshness(manifest: Mapping[str, Any]) -> str:
    """``final`` or ``provisional`` for a published Search Console partition.

    Partitions written before freshness was recorded count as final when they hold rows
    fetched with ``dataState: final`` (Google gives no rows for days that are not final), or
    when they were fetched :data:`FINAL_AFTER_DAYS` or more days after the day; otherwise they
    are provisional and get re-fetched.
    """
    state = manifest.get("freshness")
    if state in (FINAL, PROVISIONAL):
        return str(state)
    if manifest.get("data_state") == "final" and manifest.get("rows", 0) > 0:
        return FINAL
    try:
        day = date.fromisoformat(str(manifest.get("day")))
        fetched = datetime.fromisoformat(str(manifest.get("fetched_at")))
    except ValueError:
        return PROVISIONAL
    return FINAL if (pacific_today(fetched) - day).days >= FINAL_AFTER_DAYS else PROVISIONAL


def read_day_manifests(
    lake_root: str | os.PathLike[str], tables: Iterable[LakeTable], site: str, day: str
) -> dict[str, dict[str, Any] | None]:
    """Each table's published manifest of one site and day (``None``: not published)."""
    return {
        table.name: read_manifest(partition_dir(Path(lake_root), table, {"site": site, "date": day}))
        for table in tables
    }


def provisional_days(lake_root: str | os.PathLike[str], tables: Iterable[LakeTable], site: str) -> list[str]:
    """Published days of ``site`` that some table holds in a version Google had not finalised."""
    days: set[str] = set()
    for table in tables:
        site_dir = Path(lake_root) / table.name / f"site={site}"
        for path in site_dir.glob(f"date=*/{MANIFEST}") if site_dir.is_dir() else []:
            manifest = json.loads(path.read_text())
            if manifest_freshness(manifest) != FINAL:
                days.add(path.parent.name.split("=", 1)[1])
    return sorted(days)

"""Which days a run fetches, and which day partitions are published.

Google revises recent days (Search Console's fresh data, GA4's late hits), so a daily run
re-fetches a window of ``lookback_days`` ending with the last complete day of its data
interval. Every day is its own ``(site, date)`` partition, so overlapping windows and
backfills replace days instead of duplicating them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from linkwarehouse.google.errors import GoogleDataError
from linkwarehouse.lake.schemas import LakeTable
from linkwarehouse.lake.writer import partition_dir, read_manifest


def parse_day(value: str | date | datetime) -> date:
    """A ``date`` from ``2026-11-27``, a ``date`` or an aware ``datetime`` (taken in UTC)."""
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise GoogleDataError(f"not a date (YYYY-MM-DD): {value!r}") from None


def date_range(start: str | date, end: str | date) -> list[str]:
    """Every day from ``start`` to ``end`` inclusive, as ISO strings (the partition values)."""
    first, last = parse_day(start), parse_day(end)
    if last < first:
        raise GoogleDataError(f"date range ends before it starts: {first} .. {last}")
    return [(first + timedelta(days=offset)).isoformat() for offset in range((last - first).days + 1)]


def last_complete_day(interval_end: str | date | datetime) -> date:
    """The last whole day before a data interval's end (a run at 2026-11-28T00:00 -> 11-27).

    Works for both Airflow 3 daily timetables: ``CronTriggerTimetable`` (interval end = run
    time) and ``CronDataIntervalTimetable`` (interval ``[day, day + 1)``).
    """
    return parse_day(interval_end) - timedelta(days=1)


def refresh_window(
    interval_end: str | date | datetime, lookback_days: int, newest_day_age: int = 1
) -> list[str]:
    """The days one run fetches: ``lookback_days`` days, the newest ``newest_day_age`` days
    before the interval's end date (1: :func:`last_complete_day`)."""
    if lookback_days < 1 or newest_day_age < 1:
        raise GoogleDataError(
            f"lookback_days and newest_day_age must be >= 1, got {lookback_days} and {newest_day_age}"
        )
    last = parse_day(interval_end) - timedelta(days=newest_day_age)
    return date_range(last - timedelta(days=lookback_days - 1), last)


def missing_days(
    lake_root: str | os.PathLike[str], tables: Iterable[LakeTable], site: str, days: Iterable[str]
) -> list[str]:
    """``table/day`` names of the requested days that have no published manifest."""
    missing = []
    for table in tables:
        for day in days:
            folder = partition_dir(lake_root, table, {"site": site, "date": day})
            if read_manifest(folder) is None:
                missing.append(f"{table.name}/{day}")
    return missing

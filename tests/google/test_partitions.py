"""Refresh windows, backfill ranges and idempotent day partitions through the job entry points."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pytest

from linkwarehouse.google import jobs
from linkwarehouse.google.credentials import GoogleAccess
from linkwarehouse.google.errors import GoogleDataError, RetryPolicy
from linkwarehouse.google.partitions import date_range, last_complete_day, missing_days, refresh_window
from linkwarehouse.google.standin import GoogleStandIn
from linkwarehouse.lake.schemas import GA4_PAGES, GSC_PAGES
from linkwarehouse.lake.writer import ensure_placeholders, published_manifests
from linkwarehouse.settings import Settings

from .conftest import BASE, GSC_SITE, PROPERTY


def test_date_range_is_inclusive() -> None:
    assert date_range("2026-02-27", date(2026, 3, 1)) == ["2026-02-27", "2026-02-28", "2026-03-01"]
    assert date_range("2026-03-01", "2026-03-01") == ["2026-03-01"]
    with pytest.raises(GoogleDataError, match=r"ends before it starts: 2026-03-02 \.\. 2026-03-01"):
        date_range("2026-03-02", "2026-03-01")
    with pytest.raises(GoogleDataError, match="not a date"):
        date_range("yesterday", "2026-03-01")


@pytest.mark.parametrize(
    ("interval_end", "expected"),
    [
        ("2026-11-28", "2026-11-27"),
        (datetime(2026, 11, 28, 0, 0, tzinfo=UTC), "2026-11-27"),
        (datetime(2026, 11, 28, 1, 30, tzinfo=UTC), "2026-11-27"),
        (datetime.fromisoformat("2026-11-28T00:30:00+02:00"), "2026-11-26"),
    ],
)
def test_last_complete_day(interval_end: Any, expected: str) -> None:
    assert last_complete_day(interval_end).isoformat() == expected


def test_refresh_window_re_fetches_the_last_n_days() -> None:
    assert refresh_window("2026-11-28", 4) == ["2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27"]
    assert refresh_window("2026-03-01", 1) == ["2026-02-28"]
    assert refresh_window("2026-03-01", 2, newest_day_age=4) == ["2026-02-24", "2026-02-25"]
    with pytest.raises(GoogleDataError, match="lookback_days and newest_day_age must be >= 1, got 0 and 1"):
        refresh_window("2026-03-01", 0)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    config = tmp_path / "sites.yaml"
    site = {
        "name": "demo",
        "start_urls": [BASE],
        "ga4": {"property_id": PROPERTY, "lookback_days": 3},
        "gsc": {"site_url": GSC_SITE},
    }
    config.write_text(json.dumps({"sites": [site, {"name": "plain", "start_urls": ["https://x.example/"]}]}))
    return Settings(
        tmp_path, config, tmp_path / "lake", tmp_path / "wh", tmp_path / "dbt", tmp_path / "state"
    )


def test_windows_use_each_sources_lookback(settings: Settings) -> None:
    assert jobs.window("ga4", "demo", "2026-11-28", settings) == ["2026-11-25", "2026-11-26", "2026-11-27"]
    # Search Console with data_state final: the newest day is 4 days old, one Google has finalised.
    assert jobs.window("gsc", "demo", "2026-11-28", settings) == [
        "2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24",
    ]  # fmt: skip
    assert jobs.window("gsc", "demo", "2026-11-28", settings, backfill=True) == ["2026-11-27"]
    with pytest.raises(GoogleDataError, match="site 'plain' has no ga4 config"):
        jobs.window("ga4", "plain", "2026-11-28", settings)


@pytest.mark.parametrize(
    ("gsc", "expected"),
    [
        ({"data_state": "all"}, ["2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26"]),
        ({"data_state": "all", "min_age_days": 1, "lookback_days": 2}, ["2026-11-26", "2026-11-27"]),
        ({"data_state": "final", "min_age_days": 6, "lookback_days": 1}, ["2026-11-22"]),
    ],
)
def test_search_console_windows_end_at_the_minimum_age(
    tmp_path: Path, gsc: dict[str, Any], expected: list[str]
) -> None:
    config = tmp_path / "sites.yaml"
    site = {"name": "demo", "start_urls": [BASE], "gsc": {"site_url": GSC_SITE, **gsc}}
    config.write_text(json.dumps({"sites": [site]}))
    settings = Settings(tmp_path, config, tmp_path / "lake", tmp_path / "wh", tmp_path / "dbt", tmp_path)
    assert jobs.window("gsc", "demo", "2026-11-28", settings) == expected


def published_rows(lake: Path, table: str) -> int:
    dataset = ds.dataset(lake / table, format="parquet", partitioning="hive")
    return dataset.count_rows()


def test_backfill_and_overlapping_reruns_never_duplicate(
    settings: Settings, standin: GoogleStandIn, access: GoogleAccess, policy: RetryPolicy
) -> None:
    lake = settings.lake_root
    ensure_placeholders(lake)
    summaries = jobs.backfill("ga4", "demo", "2026-11-18", "2026-11-20", settings=settings, access=access,
                              policy=policy)  # fmt: skip
    assert [s["day"] for s in summaries] == ["2026-11-18", "2026-11-19", "2026-11-20"]
    assert [s["ga4_pages"] for s in summaries] == [6, 6, 6]
    assert summaries[0]["requests"] == {"requests": 2, "retries": {}, "waited_seconds": 0.0}
    once = published_rows(lake, "ga4_pages")

    window = jobs.window("ga4", "demo", "2026-11-21", settings)  # 11-18 .. 11-20 again
    jobs.extract_days("ga4", "demo", window, settings=settings, access=access, policy=policy)
    jobs.extract_days("ga4", "demo", window[1:], settings=settings, access=access, policy=policy)

    manifests = published_manifests(lake, GA4_PAGES)
    assert [m["partition"]["date"] for m in manifests] == window
    assert published_rows(lake, "ga4_pages") == once == sum(m["rows"] for m in manifests) == 18
    assert jobs.verify_published("ga4", "demo", window, settings) == {
        "site": "demo",
        "source": "ga4",
        "days": window,
    }


def test_gsc_days_publish_both_tables(
    settings: Settings, standin: GoogleStandIn, access: GoogleAccess, policy: RetryPolicy
) -> None:
    summaries = jobs.backfill("gsc", "demo", "2026-11-19", "2026-11-20", settings=settings, access=access,
                              policy=policy)  # fmt: skip
    assert [(s["day"], s["gsc_pages"], s["gsc_page_queries"]) for s in summaries] == [
        ("2026-11-19", 5, 25), ("2026-11-20", 5, 25),
    ]  # fmt: skip
    assert jobs.verify_published("gsc", "demo", ["2026-11-19", "2026-11-20"], settings)["days"] == [
        "2026-11-19", "2026-11-20",
    ]  # fmt: skip


def test_verify_names_every_missing_partition(settings: Settings) -> None:
    days = ["2026-11-19", "2026-11-20"]
    assert missing_days(settings.lake_root, [GSC_PAGES], "demo", days) == [
        "gsc_pages/2026-11-19", "gsc_pages/2026-11-20",
    ]  # fmt: skip
    with pytest.raises(GoogleDataError) as err:
        jobs.verify_published("gsc", "demo", days[:1], settings)
    assert str(err.value) == (
        "gsc site 'demo': partitions not published: gsc_pages/2026-11-19, gsc_page_queries/2026-11-19"
    )

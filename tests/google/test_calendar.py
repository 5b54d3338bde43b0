"""The demo's Google data depend on the seed and each day's age, never on the calendar date.

CI runs on any day: the same pipeline path (demo stand-in -> real clients -> lake) run with two
different clock dates must land identical numbers for the days of the same age.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from linkwarehouse.google import jobs
from linkwarehouse.google.demo import start_demo_google
from linkwarehouse.google.errors import RetryPolicy
from linkwarehouse.settings import Settings

from .conftest import read_partition

BASE = "http://127.0.0.1:8765/"
TABLES = ("ga4_pages", "gsc_pages", "gsc_page_queries")
VOLATILE = ("date", "fetched_at")


def pull(tmp_path: Path, today: date, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[list[dict]]]:
    """Extract the demo's default window as of ``today``; rows per table, oldest day first."""
    with start_demo_google(BASE, tmp_path / "state", today=today) as demo:
        for name, value in demo.env().items():
            monkeypatch.setenv(name, value)
        config = tmp_path / "sites.yaml"
        config.write_text(
            json.dumps({"sites": [{"name": "demo", "start_urls": [BASE], **demo.site_config()}]})
        )
        settings = Settings(
            tmp_path, config, tmp_path / "lake", tmp_path / "wh", tmp_path / "dbt", tmp_path / "s"
        )
        days = jobs.window("ga4", "demo", today.isoformat(), settings)
        # The extractor's clock moves with the stand-in's today: Search Console freshness depends on it.
        policy = RetryPolicy(clock=lambda: datetime.combine(today, time(20), UTC))
        for source in ("ga4", "gsc"):
            jobs.extract_days(source, "demo", days, settings=settings, policy=policy)
    return {
        table: [
            sorted(
                (
                    {k: v for k, v in row.items() if k not in VOLATILE}
                    for row in read_partition(settings.lake_root, table, day)
                ),
                key=lambda row: json.dumps(row, sort_keys=True, default=str),
            )
            for day in days
        ]
        for table in TABLES
    }


@pytest.mark.integration
def test_two_clock_dates_land_identical_numbers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A Wednesday in December and a Saturday in a leap-year February: weekday and month differ.
    first = pull(tmp_path / "a", date(2026, 12, 2), monkeypatch)
    second = pull(tmp_path / "b", date(2028, 2, 26), monkeypatch)
    for table in TABLES:
        assert len(first[table]) == 4 and all(first[table]), table
        assert first[table] == second[table], table

"""Search Console freshness: final days, provisional days, empty days Google has not finalised.

The stand-in finalises a day ``final_lag_days`` (3) after it and answers the freshness question
with ``metadata.firstIncompleteDate`` as Google does; expected rows come from the site model
(the stand-in's data source), never from the extractor's own output.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from linkwarehouse.google import cli, jobs
from linkwarehouse.google.credentials import GoogleAccess
from linkwarehouse.google.errors import DayNotFinalError, GoogleDataError, MalformedResponseError, RetryPolicy
from linkwarehouse.google.freshness import FINAL_AFTER_DAYS, judge_day, manifest_freshness
from linkwarehouse.google.gsc import extract_gsc_day
from linkwarehouse.google.services import gsc_service
from linkwarehouse.google.standin import GoogleStandIn
from linkwarehouse.google.standin_data import SiteModel
from linkwarehouse.settings import Settings

from .conftest import BASE, DAY, GSC_SITE, TODAY, key_json, make_site, manifest, read_partition

TABLES = {"gsc_pages": ("page",), "gsc_page_queries": ("page", "query")}


def settings_for(tmp_path: Path, **gsc: Any) -> Settings:
    config = tmp_path / "sites.yaml"
    site = {"name": "demo", "start_urls": [BASE], "gsc": {"site_url": GSC_SITE, **gsc}}
    config.write_text(json.dumps({"sites": [site]}))
    return Settings(tmp_path, config, tmp_path / "lake", tmp_path / "wh", tmp_path / "dbt", tmp_path / "s")


def expected(
    model: SiteModel, table: str, day: str, data_state: str, provisional: bool, today: date = TODAY
) -> list[tuple]:
    """The rows Search Console holds for the day, each flagged as the extractor must flag it."""
    return [
        (r.page, r.query, r.clicks, r.impressions, r.ctr, r.position, provisional)
        for r in model.gsc_rows(day, TABLES[table], data_state, today)
    ]


def lake_rows(lake: Path, table: str, day: str) -> list[tuple]:
    return [
        (r["page"], r.get("query"), r["clicks"], r["impressions"], r["ctr"], r["position"], r["provisional"])
        for r in read_partition(lake, table, day)
    ]


def test_final_and_provisional_days_follow_googles_metadata(
    tmp_path: Path, standin: GoogleStandIn, access: GoogleAccess, model: SiteModel, policy: RetryPolicy
) -> None:
    settings = settings_for(tmp_path, data_state="all")
    days = ["2026-11-24", "2026-11-25", "2026-11-26"]  # first incomplete day: 2026-11-25
    summaries = jobs.extract_days("gsc", "demo", days, settings=settings, access=access, policy=policy)

    assert [(s["day"], s["freshness"], s["gsc_pages"], s["gsc_page_queries"]) for s in summaries] == [
        ("2026-11-24", "final", 5, 25), ("2026-11-25", "provisional", 5, 25),
        ("2026-11-26", "provisional", 5, 25),
    ]  # fmt: skip
    for day in days:
        provisional = day != "2026-11-24"
        for table in TABLES:
            assert lake_rows(settings.lake_root, table, day) == expected(
                model, table, day, "all", provisional
            )
            saved = manifest(settings.lake_root, table, day)
            assert (saved["freshness"], saved["first_incomplete_date"], saved["freshness_evidence"]) == (
                "provisional" if provisional else "final", "2026-11-25", "first_incomplete_date",
            )  # fmt: skip
    # A final day's numbers are Search Console's final numbers.
    assert expected(model, "gsc_pages", "2026-11-24", "all", False) == expected(
        model, "gsc_pages", "2026-11-24", "final", False
    )
    assert {c.body["dataState"] for c in standin.calls if c.body["dimensions"] != ["date"]} == {"all"}
    assert jobs.verify_published("gsc", "demo", days, settings) == {
        "site": "demo", "source": "gsc", "days": days, "provisional_days": ["2026-11-25", "2026-11-26"],
    }  # fmt: skip


def test_a_day_google_has_not_finalised_never_passes_for_a_day_without_traffic(
    tmp_path: Path, standin: GoogleStandIn, access: GoogleAccess, model: SiteModel, policy: RetryPolicy
) -> None:
    settings = settings_for(tmp_path, data_state="final")
    summaries = jobs.extract_days(
        "gsc", "demo", ["2026-11-24", "2026-11-26"], settings=settings, access=access, policy=policy
    )

    assert [(s["day"], s["freshness"], s["gsc_pages"]) for s in summaries] == [
        ("2026-11-24", "final", 5), ("2026-11-26", "provisional", 0),
    ]  # fmt: skip
    for table in TABLES:
        assert lake_rows(settings.lake_root, table, "2026-11-24") == expected(
            model, table, "2026-11-24", "final", False
        )
    # dataState final has nothing for 11-26 yet: only the freshness question was asked.
    asked = [(c.body["startDate"], c.body["dimensions"]) for c in standin.calls]
    assert [dims for start, dims in asked if start == "2026-11-26"] == [["date"]]
    saved = manifest(settings.lake_root, "gsc_pages", "2026-11-26")
    assert (saved["rows"], saved["freshness"], saved["first_incomplete_date"]) == (
        0,
        "provisional",
        "2026-11-25",
    )

    with pytest.raises(DayNotFinalError) as err:
        jobs.verify_published("gsc", "demo", ["2026-11-24", "2026-11-26"], settings)
    assert str(err.value) == (
        "gsc site 'demo': Search Console has not finalised 2026-11-26 (first incomplete date 2026-11-25) "
        "and returned no rows: published as provisional with 0 rows, not as days without traffic; every "
        "later run re-fetches them until Google finalises them"
    )
    assert err.value.permanent  # re-checking the same lake cannot help: the task fails at once
    assert jobs.verify_published("gsc", "demo", ["2026-11-24"], settings)["provisional_days"] == []


def test_an_empty_fresh_day_fails_verify_with_data_state_all_too(
    tmp_path: Path, standin: GoogleStandIn, access: GoogleAccess, policy: RetryPolicy
) -> None:
    settings = settings_for(tmp_path, data_state="all")
    today = TODAY.isoformat()  # Search Console has no fresh data for its own today yet
    jobs.extract_days("gsc", "demo", [today], settings=settings, access=access, policy=policy)
    assert [read_partition(settings.lake_root, table, today) for table in TABLES] == [[], []]
    with pytest.raises(
        DayNotFinalError, match=r"has not finalised 2026-11-27 \(first incomplete date 2026-11-25\)"
    ):
        jobs.verify_published("gsc", "demo", [today], settings)


@pytest.mark.parametrize("data_state", ["all", "final"])
def test_provisional_days_are_refetched_until_final_past_the_lookback_and_in_backfills(
    tmp_path: Path, standin: GoogleStandIn, access: GoogleAccess, model: SiteModel, policy: RetryPolicy,
    data_state: str,
) -> None:  # fmt: skip
    settings = settings_for(tmp_path, data_state=data_state, lookback_days=2, min_age_days=2)
    first = jobs.window("gsc", "demo", "2026-11-28", settings)
    assert first == ["2026-11-25", "2026-11-26"]
    jobs.extract_days("gsc", "demo", first, settings=settings, access=access, policy=policy)
    assert [manifest(settings.lake_root, "gsc_pages", day)["freshness"] for day in first] == [
        "provisional"
    ] * 2

    # A week later both days are far behind the lookback window, and Search Console has finalised them.
    later = date(2026, 12, 4)
    standin.today = later
    policy = replace(policy, clock=lambda: datetime(2026, 12, 4, 20, 0, tzinfo=UTC))
    window = jobs.window("gsc", "demo", "2026-12-05", settings)
    assert window == ["2026-11-25", "2026-11-26", "2026-12-02", "2026-12-03"]
    assert jobs.window("gsc", "demo", "2026-10-11", settings, backfill=True) == [
        "2026-10-10", "2026-11-25", "2026-11-26",
    ]  # fmt: skip
    jobs.extract_days("gsc", "demo", window, settings=settings, access=access, policy=policy)

    for day in first:
        assert manifest(settings.lake_root, "gsc_pages", day)["freshness"] == "final"
        for table in TABLES:
            assert lake_rows(settings.lake_root, table, day) == expected(
                model, table, day, data_state, False, later
            )
    assert jobs.window("gsc", "demo", "2026-12-05", settings) == ["2026-12-02", "2026-12-03"]


def test_a_final_day_is_kept_when_google_answers_less(
    tmp_path: Path, standin_factory, standin: GoogleStandIn, access: GoogleAccess, policy: RetryPolicy,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    site = make_site(gsc={"site_url": GSC_SITE, "data_state": "all"})
    before = extract_gsc_day(site, DAY, service=gsc_service(access), lake_root=tmp_path, policy=policy)
    rows = read_partition(tmp_path, "gsc_pages")

    # Google calls the day final but returns nothing (data past retention, a changed property).
    empty = standin_factory(gsc={GSC_SITE: SiteModel(BASE, ())})
    moved = GoogleAccess(
        access.source, access.key_info, api_endpoint=empty.base_url, token_uri=empty.token_uri
    )
    with pytest.raises(GoogleDataError) as err:
        extract_gsc_day(site, DAY, service=gsc_service(moved), lake_root=tmp_path, policy=policy)
    assert str(err.value) == (
        f"gsc site 'demo' property {GSC_SITE} day {DAY}: Search Console returned no rows for a final day "
        "published with 5 rows; keeping the published version (data past Search Console's 16-month "
        "retention, or a property that lost data?)"
    )
    # Google reports the day not final any more: the final version stays.
    standin.today = date.fromisoformat(DAY)
    with caplog.at_level(logging.WARNING, logger="linkwarehouse.google.gsc"):
        kept = extract_gsc_day(site, DAY, service=gsc_service(access), lake_root=tmp_path, policy=policy)
    assert "Google now reports it not final; keeping the published final version" in caplog.text
    assert kept["gsc_pages"]["kept"] and kept["gsc_pages"]["run_id"] == before["gsc_pages"]["run_id"]
    assert manifest(tmp_path, "gsc_pages")["run_id"] == before["gsc_pages"]["run_id"]
    assert read_partition(tmp_path, "gsc_pages") == rows


class _LateMetadata:
    """A client whose freshness answer moves: the data pages of the first pass already say the day
    is incomplete, although the question before them said final."""

    def __init__(self) -> None:
        self.probes = 0

    def searchanalytics(self) -> _LateMetadata:
        return self

    def query(self, siteUrl: str, body: dict[str, Any]) -> _LateMetadata:
        self.body = body
        return self

    def execute(self) -> dict[str, Any]:
        late = {"metadata": {"firstIncompleteDate": DAY}}
        if self.body["dimensions"] == ["date"]:
            self.probes += 1
            return {"metadata": {"firstIncompleteDate": "2026-11-25"}} if self.probes == 1 else late
        keys = [f"{BASE}a"] + (["q"] if "query" in self.body["dimensions"] else [])
        return {"rows": [{"keys": keys, "clicks": 1, "impressions": 2, "ctr": 0.5, "position": 3.0}], **late}


def test_a_day_that_turns_provisional_while_paging_is_fetched_again(
    tmp_path: Path, policy: RetryPolicy
) -> None:
    site = make_site(gsc={"site_url": GSC_SITE, "data_state": "all"})
    service = _LateMetadata()
    extract_gsc_day(site, DAY, service=service, lake_root=tmp_path, policy=policy)
    assert service.probes == 2
    assert [r["provisional"] for r in read_partition(tmp_path, "gsc_pages")] == [True]
    assert manifest(tmp_path, "gsc_pages")["first_incomplete_date"] == DAY


@pytest.mark.parametrize(
    ("age", "final"), [(0, False), (FINAL_AFTER_DAYS - 1, False), (FINAL_AFTER_DAYS, True), (40, True)]
)
def test_without_metadata_a_day_is_final_only_by_age(age: int, final: bool) -> None:
    day = date.fromordinal(TODAY.toordinal() - age)
    row = {"keys": [day.isoformat()], "clicks": 3, "impressions": 9}
    answer = judge_day(day.isoformat(), {"rows": [row]}, TODAY)
    assert (answer.final, answer.first_incomplete, answer.evidence, answer.clicks, answer.impressions) == (
        final, None, "age", 3, 9,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("response", "message"),
    [
        ({"metadata": []}, "'metadata' is not an object"),
        ({"metadata": {"firstIncompleteDate": "soon"}}, "firstIncompleteDate is not a date: 'soon'"),
        ({"rows": [{"keys": ["2026-11-20", "x"]}]}, r"row keys do not match \['date'\]"),
        ("<html>", "returned str, not JSON"),
    ],
)
def test_malformed_freshness_answers_are_errors(response: Any, message: str) -> None:
    with pytest.raises(MalformedResponseError, match=message):
        judge_day(DAY, response, TODAY)


@pytest.mark.parametrize(
    ("fields", "state"),
    [
        ({"freshness": "provisional", "data_state": "final", "rows": 9}, "provisional"),
        ({"data_state": "final", "rows": 9, "fetched_at": "2026-11-21T10:00:00+00:00"}, "final"),
        ({"data_state": "final", "rows": 0, "fetched_at": "2026-11-21T10:00:00+00:00"}, "provisional"),
        ({"data_state": "all", "rows": 9, "fetched_at": "2026-11-22T10:00:00+00:00"}, "provisional"),
        ({"data_state": "all", "rows": 9, "fetched_at": "2026-11-23T10:00:00+00:00"}, "final"),
        ({"data_state": "all", "rows": 9}, "provisional"),
    ],
)
def test_partitions_written_before_freshness_was_recorded(fields: dict[str, Any], state: str) -> None:
    # 2026-11-23T10:00Z is 02:00 on 11-23 in Pacific time: three days after 11-20.
    assert manifest_freshness({"day": DAY, **fields}) == state


def test_cli_backfill_verifies_the_range(
    tmp_path: Path, standin: GoogleStandIn, key_info: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    extra = {
        "keyfile_dict": key_json(key_info),
        "api_endpoint": standin.base_url,
        "token_uri": standin.token_uri,
    }
    monkeypatch.setenv("AIRFLOW_CONN_GOOGLE_CLOUD_DEFAULT", json.dumps({"extra": extra}))
    settings = settings_for(tmp_path)
    monkeypatch.setenv("LINKWAREHOUSE_CONFIG", str(settings.config_path))
    monkeypatch.setenv("LINKWAREHOUSE_LAKE", str(settings.lake_root))

    # The CLI runs on the machine's clock; the freshness question's range then ends on or after the
    # stand-in's today (2026-11-27), so the answers below hold whatever day the suite runs.
    assert cli.main(["backfill", "gsc", "demo", "2026-11-19", "2026-11-20"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(line.get("day"), line.get("freshness"), line.get("gsc_pages")) for line in lines[:2]] == [
        ("2026-11-19", "final", 5), ("2026-11-20", "final", 5),
    ]  # fmt: skip
    assert lines[2] == {"site": "demo", "source": "gsc", "days": ["2026-11-19", "2026-11-20"],
                        "provisional_days": []}  # fmt: skip

    # With data_state final, 11-26 is not final for Search Console yet (first incomplete: 11-25).
    with pytest.raises(SystemExit) as exit_:
        cli.main(["backfill", "gsc", "demo", "2026-11-26", "2026-11-26"])
    assert exit_.value.code == 1
    assert capsys.readouterr().err.startswith(
        "error: gsc site 'demo': Search Console has not finalised 2026-11-26 "
        "(first incomplete date 2026-11-25)"
    )


def test_a_refused_range_falls_back_to_asking_for_the_day_alone(
    tmp_path: Path, standin: GoogleStandIn, access: GoogleAccess, model: SiteModel, policy: RetryPolicy
) -> None:
    def refuse_ranges(call: Any) -> str | None:
        body = call.body
        return "400" if body["dimensions"] == ["date"] and body["startDate"] != body["endDate"] else None

    standin.reset(faults=refuse_ranges)
    site = make_site(gsc={"site_url": GSC_SITE, "data_state": "all"})
    for day in (DAY, "2026-11-26"):
        extract_gsc_day(site, day, service=gsc_service(access), lake_root=tmp_path, policy=policy)
    probes = [
        (c.body["startDate"], c.body["endDate"], c.status)
        for c in standin.calls
        if c.body["dimensions"] == ["date"]
    ]
    assert probes == [
        (DAY, "2026-11-27", 400), (DAY, DAY, 200),
        ("2026-11-26", "2026-11-27", 400), ("2026-11-26", "2026-11-26", 200),
    ]  # fmt: skip
    # 11-20 alone carries no metadata (complete): final by age; 11-26 alone is incomplete: provisional.
    old, fresh = manifest(tmp_path, "gsc_pages", DAY), manifest(tmp_path, "gsc_pages", "2026-11-26")
    assert (old["freshness"], old["freshness_evidence"], old["first_incomplete_date"]) == (
        "final",
        "age",
        None,
    )
    assert (fresh["freshness"], fresh["first_incomplete_date"]) == ("provisional", "2026-11-25")
    assert lake_rows(tmp_path, "gsc_pages", "2026-11-26") == expected(
        model, "gsc_pages", "2026-11-26", "all", True
    )

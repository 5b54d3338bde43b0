"""GA4 runReport -> ga4_pages: paging to rowCount, URL mapping, (other) and flags, quota."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from linkwarehouse.google.credentials import GoogleAccess
from linkwarehouse.google.errors import RetryPolicy
from linkwarehouse.google.ga4 import PageUrlMapper, extract_ga4_day
from linkwarehouse.google.services import ga4_service
from linkwarehouse.google.standin import GoogleStandIn
from linkwarehouse.google.standin_data import SiteModel
from linkwarehouse.lake.writer import STAGING

from .conftest import BASE, DAY, PROPERTY, TODAY, make_site, manifest, read_partition

PAGE = {"screenPageViews": "views", "sessions": "sessions", "engagedSessions": "engaged_sessions",
        "keyEvents": "key_events", "totalUsers": "total_users"}  # fmt: skip
LANDING = {"sessions": "landing_sessions", "engagedSessions": "landing_engaged_sessions",
           "keyEvents": "landing_key_events"}  # fmt: skip


def expected_rows(model: SiteModel, day: str = DAY) -> list[dict]:
    """The merge written out by hand: page metrics by pagePath, entrances by landingPage."""
    pages = dict(model.ga4_rows(day, "pagePath", TODAY))
    landing = dict(model.ga4_rows(day, "landingPage", TODAY))
    rows = []
    for host, path in sorted(set(pages) | set(landing)):
        row = {"host_name": host, "page_path": path}
        special = path.startswith("(")
        row["page_url"] = None if special else "http://127.0.0.1:8765" + path
        for source, columns in ((pages, PAGE), (landing, LANDING)):
            values = source.get((host, path))
            for metric, column in columns.items():
                row[column] = None if values is None else values[metric]
        rows.append(row)
    return rows


def strip(rows: list[dict]) -> list[dict]:
    keep = ("host_name", "page_path", "page_url", *PAGE.values(), *LANDING.values())
    return sorted(({k: r[k] for k in keep} for r in rows), key=lambda r: (r["host_name"], r["page_path"]))


def test_day_is_paged_to_row_count_and_merged(
    tmp_path: Path, standin: GoogleStandIn, access: GoogleAccess, model: SiteModel, policy: RetryPolicy
) -> None:
    site = make_site(ga4={"property_id": PROPERTY, "page_size": 2})
    result = extract_ga4_day(site, DAY, service=ga4_service(access), lake_root=tmp_path, policy=policy)

    rows = read_partition(tmp_path, "ga4_pages")
    assert strip(rows) == expected_rows(model)
    assert len(rows) == 6 and result["rows"] == 6
    home = next(r for r in rows if r["page_path"] == "/")
    assert (home["views"], home["sessions"], home["landing_sessions"]) == (353, 212, 144)
    not_set = next(r for r in rows if r["page_path"] == "(not set)")
    assert not_set["page_url"] is None and not_set["views"] is None and not_set["landing_sessions"] == 3
    assert {r["property_id"] for r in rows} == {PROPERTY}
    assert not any(r["is_other"] or r["sampled"] or r["thresholded"] for r in rows)

    # 5 page rows in pages of 2 -> offsets 0, 2, 4; 6 landing rows -> 0, 2, 4
    offsets = [(c.body["dimensions"][1]["name"], c.body["offset"], c.body["limit"]) for c in standin.calls]
    assert offsets == [
        (dimension, offset, "2") for dimension in ("pagePath", "landingPage") for offset in "024"
    ]
    body = standin.calls[0].body
    assert body["dateRanges"] == [{"startDate": DAY, "endDate": DAY}]
    assert [m["name"] for m in body["metrics"]] == list(PAGE)
    assert body["returnPropertyQuota"] is True
    assert body["orderBys"] == [{"dimension": {"dimensionName": "hostName"}},
                                {"dimension": {"dimensionName": "pagePath"}}]  # fmt: skip
    assert standin.calls[0].path == f"/v1beta/properties/{PROPERTY}:runReport"

    saved = manifest(tmp_path, "ga4_pages")
    assert saved["rows"] == 6 and saved["property_id"] == PROPERTY and saved["day"] == DAY
    assert saved["reports"]["pages"]["row_count"] == 5 and saved["reports"]["pages"]["api_pages"] == 3
    assert saved["reports"]["landing"]["row_count"] == 6
    assert saved["requests"][0]["limit"] == "2" and saved["requests"][0]["offset"] == "0"
    assert saved["calls"] == {"requests": 6, "retries": {}, "waited_seconds": 0.0}
    assert saved["property_quota"]["tokensPerDay"] == {"consumed": 1, "remaining": 199994}


def test_quota_is_logged(
    tmp_path: Path, standin: GoogleStandIn, access: GoogleAccess, site, policy: RetryPolicy,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.INFO, logger="linkwarehouse.google")
    extract_ga4_day(site, DAY, service=ga4_service(access), lake_root=tmp_path, policy=policy)
    lines = [r.getMessage() for r in caplog.records if "quota:" in r.getMessage()]
    assert len(lines) == 3  # one per API page, one for the publish
    assert "tokensPerDay 1 used/199999 left" in lines[0]
    assert "tokensPerHour 1 used/39998 left" in lines[1]


def test_other_row_sampling_and_thresholding_are_recorded(
    tmp_path: Path, standin_factory, access: GoogleAccess, site, policy: RetryPolicy, model: SiteModel
) -> None:
    flagged = SiteModel(model.base_url, model.pages, ga4_other_after=2, sampled=True, thresholded=True)
    server = standin_factory(ga4={PROPERTY: flagged})
    access = GoogleAccess(
        access.source, access.key_info, api_endpoint=server.base_url, token_uri=server.token_uri
    )
    extract_ga4_day(site, DAY, service=ga4_service(access), lake_root=tmp_path, policy=policy)

    rows = read_partition(tmp_path, "ga4_pages")
    other = [r for r in rows if r["is_other"]]
    assert [(r["host_name"], r["page_path"], r["page_url"]) for r in other] == [("(other)", "(other)", None)]
    tail = dict(model.ga4_rows(DAY, "pagePath", TODAY))
    top_two = sorted(tail.items(), key=lambda item: -item[1]["sessions"])[:2]
    assert other[0]["sessions"] == sum(m["sessions"] for m in tail.values()) - sum(
        m["sessions"] for _, m in top_two
    )
    assert all(r["sampled"] and r["thresholded"] and r["data_loss_from_other_row"] for r in rows)
    report = manifest(tmp_path, "ga4_pages")["reports"]["pages"]
    assert report["data_loss_from_other_row"] is True and report["subject_to_thresholding"] is True
    assert report["sampling_metadatas"] == [{"samplesReadCount": "250000", "samplingSpaceSize": "1000000"}]


def test_rerun_replaces_the_day(
    tmp_path: Path, standin: GoogleStandIn, access: GoogleAccess, site, policy: RetryPolicy
) -> None:
    service = ga4_service(access)
    first = extract_ga4_day(site, DAY, service=service, lake_root=tmp_path, policy=policy)
    second = extract_ga4_day(site, DAY, service=service, lake_root=tmp_path, policy=policy)
    assert first["run_id"] != second["run_id"]
    assert manifest(tmp_path, "ga4_pages")["run_id"] == second["run_id"]
    assert len(read_partition(tmp_path, "ga4_pages")) == first["rows"] == second["rows"]
    assert list((tmp_path / "ga4_pages" / "site=demo").iterdir()) == [
        tmp_path / "ga4_pages/site=demo/date=2026-11-20"
    ]
    assert not any((tmp_path / STAGING).rglob("*.parquet"))


@pytest.mark.parametrize(
    ("start_url", "host", "path", "expected"),
    [
        ("http://127.0.0.1:8765/", "127.0.0.1", "/a/", "http://127.0.0.1:8765/a/"),
        ("http://127.0.0.1:8765/", "127.0.0.1", "/a/?utm_source=x&id=2#top", "http://127.0.0.1:8765/a/?id=2"),
        ("http://127.0.0.1:8765/", "cdn.example", "/x", "http://cdn.example/x"),
        ("https://www.shop.example/", "WWW.Shop.Example", "/b/../c", "https://www.shop.example/c"),
        ("https://www.shop.example/", "blog.shop.example", "/p", "https://blog.shop.example/p"),
        ("https://www.shop.example/", "www.shop.example", "https://www.shop.example/full?gclid=1", "https://www.shop.example/full"),
        ("https://www.shop.example/", "(other)", "(other)", None),
        ("https://www.shop.example/", "www.shop.example", "(not set)", None),
        ("https://www.shop.example/", "(not set)", "/x", None),
    ],
)  # fmt: skip
def test_page_url_mapping(start_url: str, host: str, path: str, expected: str | None) -> None:
    site = make_site(start_urls=[start_url], ga4={"property_id": PROPERTY})
    assert PageUrlMapper(site)(host, path) == expected
    assert BASE  # the shared demo base is an http start URL: its host keeps its port

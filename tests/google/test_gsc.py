"""Search Console -> gsc_pages + gsc_page_queries: startRow paging, properties, 300k rows.

Freshness (final / provisional days) has its own module, test_gsc_freshness.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from linkwarehouse.google.credentials import GoogleAccess
from linkwarehouse.google.errors import IncompleteDayError, RetryPolicy
from linkwarehouse.google.gsc import extract_gsc_day
from linkwarehouse.google.services import gsc_service
from linkwarehouse.google.standin import GoogleStandIn
from linkwarehouse.google.standin_data import PageModel, SiteModel
from linkwarehouse.lake.schemas import GSC_PAGE_QUERIES
from linkwarehouse.lake.writer import STAGING, partition_dir

from .conftest import DAY, GSC_SITE, NOW, TODAY, make_site, manifest, read_partition


def rows_of(
    model: SiteModel, dimensions: tuple[str, ...], data_state: str = "final", day: str = DAY
) -> list[tuple]:
    return [
        (r.page, r.query, r.clicks, r.impressions, r.ctr, r.position)
        for r in model.gsc_rows(day, dimensions, data_state, TODAY)
    ]


def lake_rows(lake: Path, table: str, day: str = DAY) -> list[tuple]:
    return [
        (r["page"], r.get("query"), r["clicks"], r["impressions"], r["ctr"], r["position"])
        for r in read_partition(lake, table, day)
    ]


def with_endpoint(access: GoogleAccess, server: GoogleStandIn) -> GoogleAccess:
    return GoogleAccess(
        access.source, access.key_info, api_endpoint=server.base_url, token_uri=server.token_uri
    )


def test_both_tables_are_paged_until_a_short_page(
    tmp_path: Path, standin: GoogleStandIn, access: GoogleAccess, model: SiteModel, policy: RetryPolicy
) -> None:
    site = make_site(gsc={"site_url": GSC_SITE, "row_limit": 2})
    result = extract_gsc_day(site, DAY, service=gsc_service(access), lake_root=tmp_path, policy=policy)

    assert lake_rows(tmp_path, "gsc_pages") == rows_of(model, ("page",))
    assert lake_rows(tmp_path, "gsc_page_queries") == rows_of(model, ("page", "query"))
    assert len(rows_of(model, ("page",))) == 5 and len(rows_of(model, ("page", "query"))) == 25
    pages = read_partition(tmp_path, "gsc_pages")
    assert pages[0] == {
        "page_url": "http://127.0.0.1:8765/", "page": "http://127.0.0.1:8765/", "clicks": 475,
        "impressions": 2812, "ctr": 475 / 2812, "position": 1.53, "data_state": "final",
        "search_type": "web", "site_url": GSC_SITE, "fetched_at": NOW, "provisional": False,
    }  # fmt: skip
    striking = next(r for r in pages if r["page"].endswith("/running/tempo-runs/"))
    assert 11 <= striking["position"] <= 20 and striking["impressions"] > 1000

    # First the freshness question (daily totals from the day to Search Console's today), then paging.
    assert standin.calls[0].body == {
        "startDate": DAY, "endDate": "2026-11-27", "dimensions": ["date"], "type": "web", "dataState": "all",
        "aggregationType": "auto", "rowLimit": 25_000,
    }  # fmt: skip
    starts = [(tuple(c.body["dimensions"]), c.body["startRow"]) for c in standin.calls[1:]]
    assert starts == [(("page",), 0), (("page",), 2), (("page",), 4)] + [
        (("page", "query"), n) for n in range(0, 26, 2)
    ]
    body = standin.calls[1].body
    assert body == {
        "startDate": DAY, "endDate": DAY, "dimensions": ["page"], "type": "web", "dataState": "final",
        "aggregationType": "auto", "rowLimit": 2, "startRow": 0,
    }  # fmt: skip
    assert {c.path for c in standin.calls} == {
        "/webmasters/v3/sites/sc-domain%3A127.0.0.1/searchAnalytics/query"
    }
    assert result["gsc_pages"]["rows"] == 5 and result["gsc_page_queries"]["rows"] == 25
    saved = manifest(tmp_path, "gsc_page_queries")
    assert saved["api_pages"] == 13 and saved["api_rows"] == 25
    assert saved["request"]["dimensions"] == ["page", "query"] and saved["row_limit"] == 2
    assert saved["calls"]["requests"] == 1 + 3 + 13


@pytest.mark.parametrize(
    ("site_url", "base", "encoded"),
    [
        ("sc-domain:shop.example", "https://www.shop.example/", "sc-domain%3Ashop.example"),
        ("https://www.shop.example/", "https://www.shop.example/", "https%3A%2F%2Fwww.shop.example%2F"),
    ],
)
def test_domain_and_url_prefix_properties(
    tmp_path: Path, standin_factory, access: GoogleAccess, policy: RetryPolicy,
    site_url: str, base: str, encoded: str,
) -> None:  # fmt: skip
    model = SiteModel(base, (PageModel("/Shoes/?utm_source=x&size=9", 5.0, "shoes"),))
    server = standin_factory(gsc={site_url: model})
    site = make_site(start_urls=[base], gsc={"site_url": site_url})
    extract_gsc_day(
        site, DAY, service=gsc_service(with_endpoint(access, server)), lake_root=tmp_path, policy=policy
    )
    assert server.calls[0].path == f"/webmasters/v3/sites/{encoded}/searchAnalytics/query"
    rows = read_partition(tmp_path, "gsc_pages")
    assert [(r["page"], r["page_url"], r["site_url"]) for r in rows] == [
        (base + "Shoes/?utm_source=x&size=9", base + "Shoes/?size=9", site_url)
    ]


class _OverlappingPages:
    """A fake client whose second page repeats the last row of the first (unstable paging).

    After ``unstable_passes`` fetches of the day, paging is stable again.
    """

    OVERLAPPING = {0: [["a"], ["b"]], 2: [["b"], ["c"]], 4: [["d"]]}
    STABLE = {0: [["a"], ["b"]], 2: [["c"], ["d"]], 4: []}

    def __init__(self, unstable_passes: int) -> None:
        self.unstable_passes = unstable_passes
        self.passes = 0

    def searchanalytics(self) -> _OverlappingPages:
        return self

    def query(self, siteUrl: str, body: dict[str, Any]) -> _OverlappingPages:
        self.body = body
        return self

    def execute(self) -> dict[str, Any]:
        if self.body["dimensions"] == ["date"]:  # the freshness question: final since 11-25
            return {"rows": [{"keys": [DAY], "clicks": 4, "impressions": 8, "ctr": 0.5, "position": 3.0}],
                    "metadata": {"firstIncompleteDate": "2026-11-25"}}  # fmt: skip
        if self.body["startRow"] == 0 and self.body["dimensions"] == ["page"]:
            self.passes += 1
        pages = self.OVERLAPPING if self.passes <= self.unstable_passes else self.STABLE
        keys = pages[self.body["startRow"]]
        if "query" in self.body["dimensions"]:
            keys = [[k[0], "q"] for k in keys]
        rows = [{"keys": [f"http://127.0.0.1:8765/{k[0]}", *k[1:]], "clicks": 1, "impressions": 2,
                 "ctr": 0.5, "position": 3.0} for k in keys]  # fmt: skip
        return {"rows": rows}


def test_a_row_returned_twice_fetches_the_day_again(tmp_path: Path, site, policy: RetryPolicy) -> None:
    service = _OverlappingPages(unstable_passes=1)
    extract_gsc_day(site, DAY, service=service, lake_root=tmp_path, policy=policy, row_limit=2)
    assert service.passes == 2
    assert [r["page"][-1] for r in read_partition(tmp_path, "gsc_pages")] == ["a", "b", "c", "d"]
    assert manifest(tmp_path, "gsc_pages")["api_rows"] == 4


def test_paging_that_stays_unstable_fails_without_publishing(
    tmp_path: Path, site, policy: RetryPolicy
) -> None:
    with pytest.raises(IncompleteDayError, match=r"page row \['http://127.0.0.1:8765/b'\] returned twice"):
        extract_gsc_day(site, DAY, service=_OverlappingPages(unstable_passes=9), lake_root=tmp_path,
                        policy=policy, row_limit=2)  # fmt: skip
    assert not (tmp_path / "gsc_pages").exists() and not list((tmp_path / STAGING).glob("*/*"))


def test_a_300000_row_day_pages_through_completely(
    tmp_path: Path, standin_factory, access: GoogleAccess, policy: RetryPolicy
) -> None:
    pages = tuple(PageModel(f"/p/{i}/", 1.0 + i % 7, f"topic {i}") for i in range(1500))
    model = SiteModel("http://127.0.0.1:8765/", pages, gsc_query_rows=300_000)
    server = standin_factory(gsc={GSC_SITE: model})
    site = make_site(gsc={"site_url": GSC_SITE})
    result = extract_gsc_day(
        site, DAY, service=gsc_service(with_endpoint(access, server)), lake_root=tmp_path, policy=policy
    )

    assert result["gsc_page_queries"]["rows"] == 300_000
    starts = [c.body["startRow"] for c in server.calls if c.body["dimensions"] == ["page", "query"]]
    assert starts == list(range(0, 300_001, 25_000))  # 12 full pages, then an empty one
    assert {c.body["rowLimit"] for c in server.calls} == {25_000}
    folder = partition_dir(tmp_path, GSC_PAGE_QUERIES, {"site": "demo", "date": DAY})
    table = pq.read_table(folder, columns=["page", "query"])
    assert table.num_rows == 300_000
    assert table.group_by(["page", "query"]).aggregate([]).num_rows == 300_000  # no duplicates
    assert manifest(tmp_path, "gsc_page_queries")["api_rows"] == 300_000

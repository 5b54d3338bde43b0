"""The real dbt build of the hand-built lake (lake_fixture.py), column by column against hand values."""

from __future__ import annotations

import math

import duckdb
import igraph
import pyarrow.parquet as pq
import pytest
import yaml

from linkwarehouse.settings import Settings
from linkwarehouse.warehouse import BuildResult
from tests.warehouse.conftest import ROOT
from tests.warehouse.lake_fixture import CRAWLS, DEMO, SHOP

pytestmark = pytest.mark.integration

# path: (indexable, in_sitemap, unique_inlinks, total_inlinks, nofollow_inlinks, nav, header, footer, aside,
#        content, unique_content_inlinks, unique_outlinks, total_outlinks, external_outlinks, click_depth,
#        is_orphan, orphan_evidence)
JAN = {
    "/": (True, True, 2, 2, 0, 1, 0, 0, 0, 1, 1, 6, 7, 1, 0, False, []),
    "/a": (True, True, 3, 4, 0, 1, 0, 0, 0, 3, 3, 5, 5, 0, 1, False, []),
    "/b": (True, False, 3, 3, 0, 0, 0, 1, 0, 2, 2, 2, 2, 0, 1, False, []),
    "/old": (False, True, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, False, []),
    "/loop1": (False, False, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, False, []),
    "/loop2": (False, False, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, False, []),
    "/missing": (False, True, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 2, False, []),
    "/dup": (False, False, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 2, False, []),
    "/noindex": (False, False, 1, 1, 0, 0, 0, 0, 1, 0, 0, 1, 1, 0, 2, False, []),
    "/orphan": (True, True, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, None, True, ["sitemap"]),
    "/nf": (True, False, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, None, True, ["unfollowed_link"]),
    "/deep": (True, False, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, None, True, ["unfollowed_link"]),
    "/private": (False, False, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, False, []),
    "/file.pdf": (False, False, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 2, False, []),
}
FEB = {
    "/": (True, True, 2, 2, 0, 1, 0, 0, 0, 1, 1, 4, 5, 1, 0, False, []),
    "/a": (True, True, 3, 4, 0, 1, 0, 0, 0, 3, 3, 4, 4, 0, 1, False, []),
    "/b": (True, True, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 0, None, True, ["gsc", "previous_crawl", "sitemap"]),
    "/loop1": (False, False, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, False, []),
    "/loop2": (False, False, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, False, []),
    "/missing": (False, True, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 2, False, []),
    "/dup": (False, False, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 2, False, []),
    "/noindex": (False, False, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, False, []),
    "/orphan": (True, True, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, None, True, ["sitemap"]),
    "/nf": (True, False, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, False, []),
    "/private": (False, False, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, False, []),
    "/file.pdf": (False, False, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, None, False, []),
    "/fresh": (True, True, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, None, True, ["ga4", "sitemap"]),
}
S1 = {
    "/": (True, False, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, False, []),
    "/p": (True, False, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, False, []),
}
EXPECTED = {("demo", "jan"): JAN, ("demo", "feb"): FEB, ("shop", "s1"): S1}
BASES = {"demo": DEMO, "shop": SHOP}

# The followed edges (no nofollow, no self-links, redirects as edges), written out by hand.
FOLLOWED = {
    ("demo", "jan"): [
        ("/", "/a"), ("/", "/b"), ("/", "/old"), ("/", "/loop1"), ("/", "/private"),
        ("/a", "/"), ("/a", "/b"), ("/a", "/missing"), ("/a", "/dup"), ("/a", "/noindex"),
        ("/b", "/a"), ("/b", "/file.pdf"), ("/dup", "/a"), ("/noindex", "/b"), ("/orphan", "/"),
        ("/nf", "/deep"), ("/old", "/b"), ("/loop1", "/loop2"), ("/loop2", "/loop1"),
    ],
    ("demo", "feb"): [
        ("/", "/a"), ("/", "/nf"), ("/", "/loop1"), ("/", "/private"),
        ("/a", "/"), ("/a", "/missing"), ("/a", "/dup"), ("/a", "/noindex"),
        ("/b", "/a"), ("/b", "/file.pdf"), ("/dup", "/a"), ("/orphan", "/"),
        ("/loop1", "/loop2"), ("/loop2", "/loop1"),
    ],
    ("shop", "s1"): [("/", "/p")],
}  # fmt: skip

METRIC_COLUMNS = ", ".join(
    [
        "indexable", "in_sitemap", "unique_inlinks", "total_inlinks", "nofollow_inlinks", "inlinks_nav",
        "inlinks_header", "inlinks_footer", "inlinks_aside", "inlinks_content", "unique_content_inlinks",
        "unique_outlinks", "total_outlinks", "external_outlinks", "click_depth", "is_orphan",
        "orphan_evidence",
    ]
)  # fmt: skip
PASSTHROUGH = ("status", "error", "content_type", "title", "canonical", "redirect_location", "final_url")


def query(result: BuildResult, sql: str) -> list[tuple]:
    with duckdb.connect(str(result.marts_path), read_only=True) as con:
        return con.sql(sql).fetchall()


def independent_pagerank(site: str, crawl_id: str) -> dict[str, float]:
    """PRPACK PageRank of the hand-listed followed edges over the crawl's page rows."""
    paths = sorted(EXPECTED[(site, crawl_id)])
    index = {path: i for i, path in enumerate(paths)}
    edges = [(index[a], index[b]) for a, b in FOLLOWED[(site, crawl_id)]]
    scores = igraph.Graph(n=len(paths), edges=edges, directed=True).pagerank(
        damping=0.85, implementation="prpack"
    )
    return dict(zip(paths, scores, strict=True))


def test_page_link_metrics_metric_columns_equal_hand_values(built: BuildResult) -> None:
    for (site, crawl_id), expected in EXPECTED.items():
        rows = query(
            built,
            f"select url, {METRIC_COLUMNS} from page_link_metrics "
            f"where site = '{site}' and crawl_id = '{crawl_id}' order by url",
        )
        actual = {url.removeprefix(BASES[site]): tuple(values) for url, *values in rows}
        assert actual == expected, (site, crawl_id)


def test_page_link_metrics_passthrough_columns_equal_the_lake(built: BuildResult) -> None:
    for (site, crawl_id), crawl in CRAWLS.items():
        if (site, crawl_id) not in EXPECTED:
            continue
        rows = query(
            built,
            f"select url, {', '.join(PASSTHROUGH)} from page_link_metrics "
            f"where site = '{site}' and crawl_id = '{crawl_id}'",
        )
        expected = {page["url"]: tuple(page.get(column) for column in PASSTHROUGH) for page in crawl["pages"]}
        assert {url: tuple(values) for url, *values in rows} == expected


def test_pagerank_and_link_score_equal_an_independent_computation(built: BuildResult) -> None:
    for site, crawl_id in EXPECTED:
        rows = query(
            built,
            "select url, internal_pagerank, link_score from page_link_metrics "
            f"where site = '{site}' and crawl_id = '{crawl_id}'",
        )
        reference = independent_pagerank(site, crawl_id)
        low, high = min(reference.values()), max(reference.values())
        for url, pagerank, link_score in rows:
            path = url.removeprefix(BASES[site])
            assert pagerank == pytest.approx(reference[path], abs=1e-9), url
            expected_score = round(100 * math.log(reference[path] / low) / math.log(high / low), 2)
            assert link_score == pytest.approx(expected_score, abs=0.0051), url
    shop = "select url, internal_pagerank from page_link_metrics where site = 'shop' order by url"
    assert query(built, shop) == [
        (f"{SHOP}/", pytest.approx(0.5 / 1.425, abs=1e-12)),
        (f"{SHOP}/p", pytest.approx(1 - 0.5 / 1.425, abs=1e-12)),
    ]


def test_ranks_and_scales_equal_an_independent_computation(built: BuildResult) -> None:
    for site, crawl_id in EXPECTED:
        reference = independent_pagerank(site, crawl_id)
        top = max(reference.values())
        ordered = sorted((float(f"{pr:.12g}") for pr in reference.values()), reverse=True)
        rows = query(
            built,
            "select url, pagerank_rank, pagerank_score_10, equity_variant, equity_pagerank, equity_rank, "
            "equity_score_10, equity_link_score, internal_pagerank, link_score from page_link_metrics "
            f"where site = '{site}' and crawl_id = '{crawl_id}'",
        )
        for url, rank, score_10, variant, *equity_and_plain in rows:
            pr = reference[url.removeprefix(BASES[site])]
            # Ties (equal to 12 significant digits) share the better position.
            assert rank == 1 + sum(1 for other in ordered if other > float(f"{pr:.12g}")), url
            assert score_10 == pytest.approx(round(10 + math.log10(pr / top), 2), abs=0.0051), url
            # No site configures an equity variant: the equity columns repeat the plain PageRank.
            assert variant == "eligibility=all;nofollow=ignore;weights=none"
            equity_pr, equity_rank, equity_10, equity_score, plain_pr, plain_score = equity_and_plain
            assert (equity_pr, equity_rank, equity_10, equity_score) == (
                plain_pr,
                rank,
                score_10,
                plain_score,
            )


# path: (unique_followed_inlinks, weakly_linked, unique_external_outlinks, redirect_hops, is_redirect,
#        is_noindex, is_canonicalised)
FLAGS = {
    "jan": {
        "/": (2, False, 1, None, False, False, False),
        "/a": (3, False, 0, None, False, False, False),
        "/b": (3, False, 0, None, False, False, False),
        "/deep": (1, True, 0, None, False, False, False),
        "/dup": (1, True, 0, None, False, False, True),
        "/file.pdf": (1, True, 0, None, False, False, False),
        "/loop1": (1, True, 0, 2, True, False, False),
        "/loop2": (0, False, 0, 2, True, False, False),
        "/missing": (1, True, 0, None, False, False, False),
        "/nf": (0, False, 0, None, False, False, False),
        "/noindex": (1, True, 0, None, False, True, False),
        "/old": (1, True, 0, 1, True, False, False),
        "/orphan": (0, False, 0, None, False, False, False),
        "/private": (1, True, 0, None, False, False, False),
    },
    "feb": {
        "/": (2, False, 1, None, False, False, False),
        "/a": (3, False, 0, None, False, False, False),
        "/b": (0, False, 0, None, False, False, False),
        "/dup": (1, True, 0, None, False, False, True),
        "/file.pdf": (1, True, 0, None, False, False, False),
        "/fresh": (0, False, 0, None, False, False, False),
        "/loop1": (1, True, 0, 2, True, False, False),
        "/loop2": (0, False, 0, 2, True, False, False),
        "/missing": (1, True, 0, None, False, False, False),
        "/nf": (1, True, 0, None, False, False, False),
        "/noindex": (1, True, 0, None, False, True, False),
        "/orphan": (0, False, 0, None, False, False, False),
        "/private": (1, True, 0, None, False, False, False),
    },
}


def test_followed_inlinks_weak_links_and_page_flags(built: BuildResult) -> None:
    for crawl_id, expected in FLAGS.items():
        rows = query(
            built,
            "select url, unique_followed_inlinks, weakly_linked, unique_external_outlinks, redirect_hops, "
            "is_redirect, is_noindex, is_canonicalised from page_link_metrics "
            f"where site = 'demo' and crawl_id = '{crawl_id}'",
        )
        assert {url.removeprefix(DEMO): tuple(values) for url, *values in rows} == expected, crawl_id


def test_google_metrics_of_the_28_day_window(built: BuildResult) -> None:
    """feb's window is 2024-01-04 .. 2024-01-31: the days around it and the (other) row count for nobody."""
    rows = query(
        built,
        "select crawl_id, url, sessions_28d, pageviews_28d, key_events_28d, gsc_clicks_28d, "
        "gsc_impressions_28d, gsc_position_28d, is_striking_distance from page_link_metrics "
        "where site = 'demo' order by crawl_id, url",
    )
    feb = {url.removeprefix(DEMO): tuple(values) for crawl_id, url, *values in rows if crawl_id == "feb"}
    assert feb["/"] == (60, 92, 0.0, 10, 50, 2.0, False)
    # Two raw pages of /b on 2024-01-20 are added up; position (12*100 + 16*300 + 20*100) / 500.
    assert feb["/b"] == (0, 0, 0.0, 4, 500, 16.0, True)
    assert feb["/fresh"] == (5, 7, 1.5, 0, 0, None, False)
    assert feb["/a"] == (0, 0, 0.0, 0, 0, None, False)
    # jan's window (2023-12-04 .. 2023-12-31) has no Google data: unknown, not 0.
    assert {tuple(values) for crawl_id, _, *values in rows if crawl_id == "jan"} == {
        (None, None, None, None, None, None, False)
    }


def test_url_inventory_knows_urls_the_crawl_did_not_fetch(built: BuildResult) -> None:
    rows = query(
        built,
        "select url, status, seen_in, was_reachable_in_previous_crawl from intermediate.int_url_inventory "
        "where site = 'demo' and crawl_id = 'feb' and not in_crawl order by url",
    )
    assert rows == [
        (f"{DEMO}/deep", None, ["previous_crawl"], False),
        (f"{DEMO}/gsc-only", None, ["gsc"], False),
        (f"{DEMO}/old", None, ["previous_crawl"], True),
    ]
    fresh = query(
        built,
        "select seen_in from intermediate.int_url_inventory where crawl_id = 'feb' and url like '%/fresh'",
    )
    assert fresh == [(["crawl", "ga4", "sitemap"],)]


def test_redirect_chains_follow_the_crawl_and_stop_at_loops(built: BuildResult) -> None:
    rows = query(
        built,
        "select crawl_id, url, redirect_status, hops, chain, is_loop, final_url, final_status "
        "from intermediate.int_redirect_chains where site = 'demo' order by crawl_id, url",
    )
    assert rows == [
        ("feb", f"{DEMO}/loop1", 301, 2, [f"{DEMO}/loop2", f"{DEMO}/loop1"], True, None, None),
        ("feb", f"{DEMO}/loop2", 302, 2, [f"{DEMO}/loop1", f"{DEMO}/loop2"], True, None, None),
        ("jan", f"{DEMO}/loop1", 301, 2, [f"{DEMO}/loop2", f"{DEMO}/loop1"], True, None, None),
        ("jan", f"{DEMO}/loop2", 302, 2, [f"{DEMO}/loop1", f"{DEMO}/loop2"], True, None, None),
        ("jan", f"{DEMO}/old", 301, 1, [f"{DEMO}/b"], False, f"{DEMO}/b", 200),
    ]


def test_link_hygiene_marts_list_each_occurrence(built: BuildResult) -> None:
    def rows(mart: str, columns: str) -> list[tuple]:
        return query(built, f"select crawl_id, source_url, ordinal, {columns} from {mart} order by all")

    assert rows("broken_internal_links", "target_url, target_status, anchor_text, link_position") == [
        ("feb", f"{DEMO}/a", 2, f"{DEMO}/missing", 404, "to /missing", "content"),
        ("jan", f"{DEMO}/a", 3, f"{DEMO}/missing", 404, "to /missing", "content"),
    ]
    assert rows("other_error_links", "target_url") == []
    assert rows("canonicalised_internal_links", "target_url, target_canonical") == [
        ("feb", f"{DEMO}/a", 3, f"{DEMO}/dup", f"{DEMO}/a"),
        ("jan", f"{DEMO}/a", 4, f"{DEMO}/dup", f"{DEMO}/a"),
    ]
    assert rows("redirected_internal_links", "target_url, hops, final_url, is_loop, is_chain") == [
        ("feb", f"{DEMO}/", 7, f"{DEMO}/loop1", 2, None, True, True),
        ("jan", f"{DEMO}/", 4, f"{DEMO}/old", 1, f"{DEMO}/b", False, False),
        ("jan", f"{DEMO}/", 9, f"{DEMO}/loop1", 2, None, True, True),
    ]
    assert rows("hreflang_link_issues", "issue") == []


def test_site_kpis_per_crawl(built: BuildResult) -> None:
    columns = (
        "pages, pages_ok, indexable_pages, reachable_pages, orphans, new_orphans, resolved_orphans, "
        "weakly_linked_pages, median_click_depth, p95_click_depth, max_click_depth, share_deeper_than_3, "
        "internal_links, broken_links, redirected_links, canonicalised_links, striking_distance_pages, "
        "orphan_sessions_28d, orphan_gsc_clicks_28d, orphan_gsc_impressions_28d"
    )
    kpis = {
        (site, crawl_id): tuple(values)
        for site, crawl_id, *values in query(built, f"select site, crawl_id, {columns} from site_kpis")
    }
    assert kpis == {
        ("demo", "jan"): (14, 9, 6, 11, 3, 0, 0, 1, 1.0, 1.0, 2, 0.0, 18, 1, 2, 1, 0, None, None, None),
        # Orphans /b (4 clicks, 500 impressions), /fresh (5 sessions) and /orphan.
        ("demo", "feb"): (13, 9, 6, 9, 3, 2, 2, 1, 1.0, 1.0, 2, 0.0, 13, 1, 1, 1, 1, 5, 4, 500),
        ("shop", "s1"): (2, 2, 2, 2, 0, 0, 0, 1, 0.5, 0.95, 1, 0.0, 1, 0, 0, 0, 0, None, None, None),
    }
    for site, crawl_id in EXPECTED:
        scores = sorted(independent_pagerank(site, crawl_id).values())
        n = len(scores)
        gini = 2 * sum(i * x for i, x in enumerate(scores, start=1)) / (n * sum(scores)) - (n + 1) / n
        (got,) = query(
            built, f"select equity_gini from site_kpis where site = '{site}' and crawl_id = '{crawl_id}'"
        )
        assert got[0] == pytest.approx(gini, abs=1e-9)


def test_orphan_events_equal_hand_values(built: BuildResult) -> None:
    rows = query(built, "select * from orphan_events order by site, crawl_id, event, url")
    assert rows == [
        ("demo", "feb", "jan", f"{DEMO}/b", "new", ["gsc", "previous_crawl", "sitemap"], 200),
        ("demo", "feb", "jan", f"{DEMO}/fresh", "new", ["ga4", "sitemap"], 200),
        ("demo", "feb", "jan", f"{DEMO}/deep", "resolved", ["unfollowed_link"], None),
        ("demo", "feb", "jan", f"{DEMO}/nf", "resolved", ["unfollowed_link"], 200),
    ]


def test_only_published_crawls_are_built(built: BuildResult) -> None:
    crawls = query(built, "select site, crawl_id, count(*) from page_link_metrics group by all order by all")
    assert crawls == [("demo", "feb", 13), ("demo", "jan", 14), ("shop", "s1", 2)]


MART_NAMES = [
    "anchor_text_profile", "broken_internal_links", "canonicalised_internal_links", "hreflang_link_issues",
    "orphan_events", "other_error_links", "page_link_metrics", "redirected_internal_links", "site_kpis",
    "url_inventory",
]  # fmt: skip


URL_INVENTORY_ROWS = 32  # the 29 crawled URLs and 3 known only from elsewhere (test below)


def contracts() -> dict[str, list[tuple[str, str]]]:
    """(column, type) of every mart as declared in the dbt project's contracts."""
    declared = yaml.safe_load((ROOT / "dbt_project/models/marts/_marts__models.yml").read_text())
    return {
        model["name"]: [(column["name"], column["data_type"].upper()) for column in model["columns"]]
        for model in declared["models"]
    }


def test_every_mart_has_its_enforced_contract(built: BuildResult) -> None:
    declared = contracts()
    assert sorted(declared) == MART_NAMES
    for mart, columns in declared.items():
        actual = query(
            built,
            "select column_name, data_type from information_schema.columns "
            f"where table_schema = 'main' and table_name = '{mart}' order by ordinal_position",
        )
        assert actual == columns, mart


def test_page_link_metrics_keeps_the_foundation_columns_first(built: BuildResult) -> None:
    """The report, the alerts and tests/e2e read these: same names, order and types as before."""
    counts = ["BIGINT"] * 12
    foundation = list(
        zip(
            [
                "site", "crawl_id", "url", "status", "error", "content_type", "title", "canonical",
                "redirect_location", "final_url", "indexable", "in_sitemap", "unique_inlinks",
                "total_inlinks", "nofollow_inlinks", "inlinks_nav", "inlinks_header", "inlinks_footer",
                "inlinks_aside",
                "inlinks_content", "unique_content_inlinks", "unique_outlinks", "total_outlinks",
                "external_outlinks", "click_depth", "internal_pagerank", "link_score", "is_orphan",
                "orphan_evidence",
            ],
            [
                "VARCHAR", "VARCHAR", "VARCHAR", "INTEGER", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR",
                "VARCHAR", "VARCHAR", "BOOLEAN", "BOOLEAN", *counts, "INTEGER", "DOUBLE", "DOUBLE", "BOOLEAN",
                "VARCHAR[]",
            ],
            strict=True,
        )
    )  # fmt: skip
    assert contracts()["page_link_metrics"][: len(foundation)] == foundation
    assert contracts()["orphan_events"] == [
        ("site", "VARCHAR"),
        ("crawl_id", "VARCHAR"),
        ("previous_crawl_id", "VARCHAR"),
        ("url", "VARCHAR"),
        ("event", "VARCHAR"),
        ("orphan_evidence", "VARCHAR[]"),
        ("status", "INTEGER"),
    ]


def test_build_result_exports_every_mart_and_cleans_the_build_dir(
    built: BuildResult, warehouse_settings: Settings
) -> None:
    assert built.marts_path == warehouse_settings.warehouse_dir / "marts.duckdb"
    assert built.row_counts == {
        "anchor_text_profile": 22,
        "broken_internal_links": 2,
        "canonicalised_internal_links": 2,
        "hreflang_link_issues": 0,
        "orphan_events": 4,
        "other_error_links": 0,
        "page_link_metrics": 29,
        "redirected_internal_links": 3,
        "site_kpis": 3,
        "url_inventory": URL_INVENTORY_ROWS,
    }
    assert sorted(built.exports) == MART_NAMES
    for mart, path in built.exports.items():
        assert path == warehouse_settings.exports_dir / f"{mart}.parquet"
        exported = pq.read_table(path)
        assert exported.num_rows == built.row_counts[mart]
        assert exported.column_names == [name for name, _ in contracts()[mart]]
        if mart == "page_link_metrics":
            in_warehouse = [
                dict(zip(exported.column_names, row, strict=True))
                for row in query(built, f"select * from {mart} order by site, crawl_id, url")
            ]
            by_key = [("site", "ascending"), ("crawl_id", "ascending"), ("url", "ascending")]
            assert exported.sort_by(by_key).to_pylist() == in_warehouse
    phases = {"lock_wait_s", "seed_s", "dbt_build_s", "checks_s", "export_s", "publish_s", "total_s"}
    assert phases <= set(built.timings)
    assert {"graph_int_graph_nodes_s", "graph_int_graph_metrics_s"} <= set(built.timings)
    assert list(warehouse_settings.build_dir.iterdir()) == []
    assert sorted(p.name for p in warehouse_settings.exports_dir.iterdir()) == [
        f"{m}.parquet" for m in MART_NAMES
    ]


def test_url_inventory_lists_urls_the_crawl_did_not_fetch_with_where_they_were_seen(built: BuildResult) -> None:
    assert query(
        built, "select crawl_id, url, seen_in, status, is_orphan from url_inventory where not in_crawl order by all"
    ) == [
        ("feb", "https://example.com/deep", ["previous_crawl"], None, False),
        ("feb", "https://example.com/gsc-only", ["gsc"], None, False),
        ("feb", "https://example.com/old", ["previous_crawl"], None, False),
    ]
    orphans = "select site, crawl_id, url, orphan_evidence from {} where is_orphan order by all"
    assert query(built, orphans.format("url_inventory")) == query(built, orphans.format("page_link_metrics"))

"""The real dbt build of the hand-built lake (lake_fixture.py), column by column against hand values."""

from __future__ import annotations

import math

import duckdb
import igraph
import pyarrow.parquet as pq
import pytest

from linkwarehouse.settings import Settings
from linkwarehouse.warehouse import BuildResult
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
    "/b": (True, True, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 0, None, True, ["previous_crawl", "sitemap"]),
    "/loop1": (False, False, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, False, []),
    "/loop2": (False, False, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, False, []),
    "/missing": (False, True, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 2, False, []),
    "/dup": (False, False, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 2, False, []),
    "/noindex": (False, False, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, False, []),
    "/orphan": (True, True, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, None, True, ["sitemap"]),
    "/nf": (True, False, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, False, []),
    "/private": (False, False, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, False, []),
    "/file.pdf": (False, False, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, None, False, []),
    "/fresh": (True, True, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, None, True, ["sitemap"]),
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


def test_orphan_events_equal_hand_values(built: BuildResult) -> None:
    rows = query(built, "select * from orphan_events order by site, crawl_id, event, url")
    assert rows == [
        ("demo", "feb", "jan", f"{DEMO}/b", "new", ["previous_crawl", "sitemap"], 200),
        ("demo", "feb", "jan", f"{DEMO}/fresh", "new", ["sitemap"], 200),
        ("demo", "feb", "jan", f"{DEMO}/deep", "resolved", ["unfollowed_link"], None),
        ("demo", "feb", "jan", f"{DEMO}/nf", "resolved", ["unfollowed_link"], 200),
    ]


def test_only_published_crawls_are_built(built: BuildResult) -> None:
    crawls = query(built, "select site, crawl_id, count(*) from page_link_metrics group by all order by all")
    assert crawls == [("demo", "feb", 13), ("demo", "jan", 14), ("shop", "s1", 2)]


def test_mart_contracts(built: BuildResult) -> None:
    def column_types(table: str) -> list[tuple[str, str]]:
        return query(
            built,
            "select column_name, data_type from information_schema.columns "
            f"where table_name = '{table}' order by ordinal_position",
        )

    assert column_types("orphan_events") == [
        ("site", "VARCHAR"),
        ("crawl_id", "VARCHAR"),
        ("previous_crawl_id", "VARCHAR"),
        ("url", "VARCHAR"),
        ("event", "VARCHAR"),
        ("orphan_evidence", "VARCHAR[]"),
        ("status", "INTEGER"),
    ]
    counts = ["BIGINT"] * 12
    assert column_types("page_link_metrics") == list(
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


def test_build_result_exports_and_clean_build_dir(built: BuildResult, warehouse_settings: Settings) -> None:
    assert built.marts_path == warehouse_settings.warehouse_dir / "marts.duckdb"
    assert built.row_counts == {"orphan_events": 4, "page_link_metrics": 29}
    assert set(built.exports) == {"orphan_events", "page_link_metrics"}
    for mart, path in built.exports.items():
        assert path == warehouse_settings.exports_dir / f"{mart}.parquet"
        exported = pq.read_table(path)
        assert exported.num_rows == built.row_counts[mart]
        in_warehouse = [
            dict(zip(exported.column_names, row, strict=True))
            for row in query(built, f"select * from {mart} order by site, crawl_id, url")
        ]
        by_key = [("site", "ascending"), ("crawl_id", "ascending"), ("url", "ascending")]
        assert exported.sort_by(by_key).to_pylist() == in_warehouse
    phases = {"lock_wait_s", "dbt_build_s", "checks_s", "export_s", "publish_s", "total_s"}
    assert phases <= set(built.timings)
    assert list(warehouse_settings.build_dir.iterdir()) == []
    assert sorted(p.name for p in warehouse_settings.exports_dir.iterdir()) == [
        "orphan_events.parquet",
        "page_link_metrics.parquet",
    ]

"""The demo site crawled twice (versions 1 and 2) plus GA4/Search Console days, built, against truth.

Every metric of every URL of both crawls is compared with the generator's truth
(plugins/linkwarehouse/demo/truth.py, computed from its own model); the GA4 / Search Console
columns with sums taken straight from the lake rows; the Screaming Frog + position-weighted
equity variant the site is configured with against igraph's weighted PRPACK on a graph
resolved here in Python; and each planted problem must show up in its mart.
"""

from __future__ import annotations

import dataclasses
import math
import os
import shutil
import subprocess
import sys
import threading
from collections import defaultdict
from datetime import UTC, date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import igraph
import numpy as np
import pytest

from linkwarehouse.config import parse_sites
from linkwarehouse.demo import DemoSiteServer, Truth, load_truth, orphan_delta, write_site
from linkwarehouse.google.credentials import access_from_extras
from linkwarehouse.google.demo import start_demo_google
from linkwarehouse.google.ga4 import extract_ga4_day
from linkwarehouse.google.gsc import extract_gsc_day
from linkwarehouse.google.services import ga4_service, gsc_service
from linkwarehouse.warehouse import BuildResult, build_warehouse
from tests.warehouse.conftest import ROOT, make_settings

pytestmark = pytest.mark.integration

CRAWL_CONFIG = ROOT / "config" / "sites.yaml"
POSITION_WEIGHTS = {"content": 1.0, "aside": 0.5, "header": 0.3, "nav": 0.3, "footer": 0.2}
WAREHOUSE_CONFIG = """
sites:
  - name: demo
    start_urls: ["{base}/"]
    warehouse:
      equity:
        eligibility: screaming_frog
        position_weights: {weights}
"""


@dataclasses.dataclass
class Demo:
    base: str
    truths: dict[int, Truth]
    crawl_ids: dict[int, str]
    lake: Path
    result: BuildResult
    con: duckdb.DuckDBPyConnection

    def path(self, url: str | None) -> str | None:
        return url[len(self.base) :] if url is not None and url.startswith(self.base + "/") else url

    def rows(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        relation = self.con.execute(sql, list(params))
        names = [column[0] for column in relation.description]
        return [dict(zip(names, row, strict=True)) for row in relation.fetchall()]


def crawl(lake: Path, crawl_id: str, base: str) -> None:
    command = [sys.executable, "-m", "linkcrawler", "--config", str(CRAWL_CONFIG), "--site", "demo"]
    command += ["--crawl-id", crawl_id, "--lake", str(lake)]
    result = subprocess.run(
        command,
        env={**os.environ, "DEMO_SITE_URL": base},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]


def extract_google(base: str, lake: Path, state: Path, days: list[str]) -> None:
    """GA4 and Search Console days from the stand-in, through the real clients and extractors."""
    with start_demo_google(base, state) as google:
        site = parse_sites(
            {"sites": [{"name": "demo", "start_urls": [base + "/"], **google.site_config()}]},
            Path("sites.yaml"),
        ).sites[0]
        extras = {"key_path": str(google.key_path), "api_endpoint": google.server.base_url}
        access = access_from_extras(extras, "connection 'demo_google'", environ={})
        ga4, gsc = ga4_service(access), gsc_service(access)
        for day in days:
            extract_ga4_day(site, day, service=ga4, lake_root=lake)
            extract_gsc_day(site, day, service=gsc, lake_root=lake)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("demo-warehouse")
    written = {version: write_site(root / f"site-v{version}", version=version) for version in (1, 2)}
    lake, google_lake = root / "lake", root / "google-lake"
    today = date.today()
    # Two days inside both crawls' windows, one long before them.
    days = [str(today - timedelta(days=offset)) for offset in (40, 3, 2)]
    server = DemoSiteServer(written[1].path).start()
    try:
        base, port = server.base_url, server.port
        crawl(lake, "v1", base)
        server.stop()
        server = DemoSiteServer(written[2].path, port=port).start()
        # The crawler fetches URLs the lake knows from GA4/GSC: extract beside it, copy in afterwards.
        errors: list[BaseException] = []

        def google() -> None:
            try:
                extract_google(base, google_lake, root / "state", days)
            except BaseException as exc:  # re-raised in the test's thread
                errors.append(exc)

        thread = threading.Thread(target=google)
        thread.start()
        crawl(lake, "v2", base)
        thread.join(timeout=300)
        assert not errors, errors
    finally:
        server.stop()
    for table in ("ga4_pages", "gsc_pages", "gsc_page_queries"):
        shutil.copytree(google_lake / table, lake / table, dirs_exist_ok=True)
    config = root / "sites.yaml"
    config.write_text(WAREHOUSE_CONFIG.format(base=base, weights=POSITION_WEIGHTS))
    settings = dataclasses.replace(make_settings(root, lake), config_path=config)
    result = build_warehouse(settings, run_id="demo")
    con = duckdb.connect(str(settings.marts_path), read_only=True)
    yield Demo(
        base=base,
        truths={version: load_truth(site.truth_path) for version, site in written.items()},
        crawl_ids={1: "v1", 2: "v2"},
        lake=lake,
        result=result,
        con=con,
    )
    con.close()


def google_rows(demo: Demo, table: str) -> str:
    """A FROM clause over one Google lake table of the demo site."""
    return f"read_parquet('{demo.lake}/{table}/site=demo/*/*.parquet', hive_partitioning = true)"


def google_evidence(demo: Demo, crawl_id: str) -> dict[str, set[str]]:
    """Straight from the lake: URLs with GA4 sessions/views and with impressions in the crawl's window."""
    evidence: dict[str, set[str]] = defaultdict(set)
    for source, table, measure in (
        ("ga4", "ga4_pages", "sessions + views"),
        ("gsc", "gsc_pages", "impressions"),
    ):
        rows = duckdb.sql(
            f"""
            select page_url from {google_rows(demo, table)}
            where cast(date as date) between ? and ? and page_url is not null
            group by page_url having sum({measure}) > 0
            """,
            params=list(window(demo, crawl_id)),
        ).fetchall()
        for (url,) in rows:
            evidence[demo.path(url)].add(source)
    return evidence


def window(demo: Demo, crawl_id: str) -> tuple[date, date]:
    """The 28 days ending the day before the crawl started (UTC)."""
    ((started,),) = demo.con.execute(
        "select started_at from site_kpis where crawl_id = ?", [crawl_id]
    ).fetchall()
    start_day = started.astimezone(UTC).date()
    return start_day - timedelta(days=28), start_day - timedelta(days=1)


TRUTH_COLUMNS = (
    "status", "error", "content_type", "redirect_location", "title", "canonical", "indexable", "in_sitemap",
    "unique_inlinks", "total_inlinks", "inlinks_nav", "inlinks_header", "inlinks_footer", "inlinks_aside",
    "inlinks_content", "nofollow_inlinks", "click_depth", "is_orphan",
)  # fmt: skip


@pytest.mark.parametrize("version", [1, 2])
def test_every_url_and_metric_equals_truth(demo: Demo, version: int) -> None:
    truth, crawl_id = demo.truths[version], demo.crawl_ids[version]
    rows = demo.rows(
        f"select url, {', '.join(TRUTH_COLUMNS)} from page_link_metrics where crawl_id = ?", crawl_id
    )
    got = {demo.path(row.pop("url")): row for row in rows}
    assert sorted(got) == sorted(truth.urls)
    mismatches = []
    for path, expected in truth.urls.items():
        row = got[path]
        for column in TRUTH_COLUMNS:
            value = demo.path(row[column]) if column in ("redirect_location", "canonical") else row[column]
            if value != getattr(expected, column):
                mismatches.append((path, column, getattr(expected, column), value))
    assert mismatches == []


def prpack_pagerank(truth: Truth) -> dict[str, float]:
    """igraph's PRPACK PageRank of the truth's followed edges: an independent solver, same edges."""
    paths = sorted(truth.urls)
    index = {path: i for i, path in enumerate(paths)}
    edges = [(index[source], index[target]) for source, target in truth.followed_edges]
    scores = igraph.Graph(n=len(paths), edges=edges, directed=True).pagerank(
        damping=0.85, implementation="prpack"
    )
    return dict(zip(paths, scores, strict=True))


@pytest.mark.parametrize("version", [1, 2])
def test_pagerank_link_score_and_evidence_equal_truth(demo: Demo, version: int) -> None:
    truth, crawl_id = demo.truths[version], demo.crawl_ids[version]
    google = google_evidence(demo, crawl_id)
    prpack = prpack_pagerank(truth)
    rows = demo.rows(
        "select url, internal_pagerank, link_score, is_orphan, orphan_evidence from page_link_metrics "
        "where crawl_id = ?",
        crawl_id,
    )
    assert abs(sum(row["internal_pagerank"] for row in rows) - 1) < 1e-9
    for row in rows:
        path = demo.path(row["url"])
        expected = truth.urls[path]
        assert row["internal_pagerank"] == pytest.approx(expected.pagerank, abs=1e-9), path
        assert row["internal_pagerank"] == pytest.approx(prpack[path], abs=1e-9), path
        assert row["link_score"] == pytest.approx(expected.link_score, abs=0.0101), path
        evidence = sorted(set(expected.orphan_evidence) | (google[path] if expected.is_orphan else set()))
        assert row["orphan_evidence"] == evidence, path
    assert any("ga4" in row["orphan_evidence"] for row in rows), "the stand-in gives orphans traffic"


@pytest.mark.parametrize("version", [1, 2])
def test_followed_inlinks_outlinks_and_edges_equal_truth(demo: Demo, version: int) -> None:
    """What the truth holds no column for, derived from its followed edges and inlink counts."""
    truth, crawl_id = demo.truths[version], demo.crawl_ids[version]
    # A redirect's edge to its Location and a URL variant's to its canonical are no links.
    not_links = {
        path for path, url in truth.urls.items() if 300 <= (url.status or 0) < 400 or url.variant_of is not None
    }
    followed_sources: dict[str, set[str]] = defaultdict(set)
    for source, target in truth.followed_edges:
        if source not in not_links:
            followed_sources[target].add(source)
    rows = demo.rows(
        "select url, unique_followed_inlinks, weakly_linked, unique_outlinks, total_outlinks "
        "from page_link_metrics where crawl_id = ?",
        crawl_id,
    )
    got = {demo.path(row["url"]): (row["unique_followed_inlinks"], row["weakly_linked"]) for row in rows}
    counts = {path: len(followed_sources[path]) for path in truth.urls}
    assert got == {path: (count, count == 1) for path, count in counts.items()}
    assert any(weak for _, weak in got.values())
    # Every internal occurrence between two URLs is one page's outlink and another's inlink.
    urls = truth.urls.values()
    assert sum(row["total_outlinks"] for row in rows) == sum(url.total_inlinks for url in urls)
    assert sum(row["unique_outlinks"] for row in rows) == sum(url.unique_inlinks for url in urls)
    edges = demo.rows(
        "select distinct followed_edges from intermediate.int_graph_metrics where crawl_id = ?", crawl_id
    )
    assert edges == [{"followed_edges": len(truth.followed_edges)}]


def test_ranks_and_log_scales_follow_the_pagerank(demo: Demo) -> None:
    rows = demo.rows(
        "select internal_pagerank as pr, pagerank_rank, pagerank_score_10 from page_link_metrics "
        "where crawl_id = 'v1'"
    )
    # Ranks compare scores at 12 significant digits: 1 + the number of strictly higher scores.
    rounded = np.array([float(f"{row['pr']:.12g}") for row in rows])
    ascending = np.sort(rounded)
    higher = len(rounded) - np.searchsorted(ascending, rounded, side="right")
    top = max(row["pr"] for row in rows)
    assert [row["pagerank_rank"] for row in rows] == (higher + 1).tolist()
    for row in rows:
        assert row["pagerank_score_10"] == pytest.approx(
            round(10 + math.log10(row["pr"] / top), 2), abs=0.0051
        )
    assert len({row["pagerank_rank"] for row in rows}) < len(rows), "pages with the same links share a rank"


def test_google_metrics_equal_sums_of_the_lake_rows(demo: Demo) -> None:
    low, high = window(demo, "v2")
    expected: dict[str | None, list[float]] = defaultdict(lambda: [0, 0, 0.0, 0, 0, 0.0])
    in_window = "where cast(date as date) between ? and ? and page_url is not null"
    for url, sessions, views, key_events in duckdb.sql(
        f"select page_url, sessions, views, key_events from {google_rows(demo, 'ga4_pages')} {in_window}",
        params=[low, high],
    ).fetchall():
        expected[url][0] += sessions or 0
        expected[url][1] += views or 0
        expected[url][2] += key_events or 0
    for url, clicks, impressions, position in duckdb.sql(
        f"select page_url, clicks, impressions, position from {google_rows(demo, 'gsc_pages')} {in_window}",
        params=[low, high],
    ).fetchall():
        expected[url][3] += clicks
        expected[url][4] += impressions
        expected[url][5] += position * impressions
    rows = demo.rows(
        "select url, sessions_28d, pageviews_28d, key_events_28d, gsc_clicks_28d, gsc_impressions_28d, "
        "gsc_position_28d, is_striking_distance from page_link_metrics where crawl_id = 'v2'"
    )
    with_traffic = 0
    for row in rows:
        sessions, views, key_events, clicks, impressions, weighted = expected.get(
            row["url"], [0, 0, 0.0, 0, 0, 0.0]
        )
        position = weighted / impressions if impressions else None
        assert (
            row["sessions_28d"],
            row["pageviews_28d"],
            row["gsc_clicks_28d"],
            row["gsc_impressions_28d"],
        ) == (
            sessions,
            views,
            clicks,
            impressions,
        ), row["url"]
        assert row["key_events_28d"] == pytest.approx(key_events, abs=1e-9)
        assert row["gsc_position_28d"] == (
            pytest.approx(position, abs=1e-9) if position is not None else None
        )
        assert row["is_striking_distance"] == (position is not None and 11 <= position <= 20)
        with_traffic += sessions > 0
    assert with_traffic > 100
    assert any(row["is_striking_distance"] for row in rows)


def screaming_frog_reference(demo: Demo, crawl_id: str) -> dict[str, float]:
    """The configured variant built independently: eligible nodes, resolved targets, weighted PRPACK."""
    pages = {
        row["url"]: row
        for row in demo.rows(
            "select url, status, final_url, canonical, is_redirect, is_canonicalised from page_link_metrics "
            "where crawl_id = ?",
            crawl_id,
        )
    }
    eligible = sorted(
        url for url, row in pages.items() if not (row["is_redirect"] or row["is_canonicalised"])
    )
    index = {url: i for i, url in enumerate(eligible)}

    def onward(url: str) -> str | None:
        row = pages.get(url)
        if row is None:
            return None
        return (
            row["final_url"] if row["is_redirect"] else row["canonical"] if row["is_canonicalised"] else url
        )

    def resolve(url: str) -> int | None:
        first = onward(url)
        if first in index:
            return index[first]
        second = onward(first) if first is not None else None
        return index.get(second) if second is not None else None

    weights: dict[tuple[int, int], float] = {}
    for source, target, position in duckdb.sql(
        f"select source_url, target_url, position from read_parquet('{demo.lake}/crawl/links/site=demo/"
        f"crawl_id={crawl_id}/*.parquet') where is_internal and not nofollow and target_url is not null"
    ).fetchall():
        if source not in index or target == source:
            continue
        resolved = resolve(target)
        if resolved is None or resolved == index[source]:
            continue
        pair = (index[source], resolved)
        weights[pair] = max(weights.get(pair, 0.0), POSITION_WEIGHTS[position])
    graph = igraph.Graph(n=len(eligible), edges=list(weights), directed=True)
    scores = graph.pagerank(damping=0.85, weights=list(weights.values()), implementation="prpack")
    return dict(zip(eligible, scores, strict=True))


def test_provisional_search_console_days_are_flagged_per_crawl(demo: Demo) -> None:
    # The stand-in finalises a day 3 days after it (its first incomplete day is 2 days ago): of the
    # extracted days (40, 3 and 2 days ago) only the newest is provisional, and both crawls'
    # windows (the 28 days before today) hold it and the final day before it.
    kpis = demo.rows(
        "select crawl_id, gsc_provisional_days, gsc_window_has_provisional_days from site_kpis order by 1"
    )
    assert kpis == [
        {"crawl_id": "v1", "gsc_provisional_days": 1, "gsc_window_has_provisional_days": True},
        {"crawl_id": "v2", "gsc_provisional_days": 1, "gsc_window_has_provisional_days": True},
    ]


@pytest.mark.parametrize("version", [1, 2])
def test_equity_variant_equals_an_independent_weighted_pagerank(demo: Demo, version: int) -> None:
    crawl_id = demo.crawl_ids[version]
    reference = screaming_frog_reference(demo, crawl_id)
    rows = demo.rows(
        "select url, equity_variant, equity_pagerank from page_link_metrics where crawl_id = ?", crawl_id
    )
    assert {row["equity_variant"] for row in rows} == {
        "eligibility=screaming_frog;nofollow=ignore;weights=content:1,aside:0.5,header:0.3,nav:0.3,footer:0.2"
    }
    got = {row["url"]: row["equity_pagerank"] for row in rows if row["equity_pagerank"] is not None}
    assert set(got) == set(reference)
    assert max(abs(got[url] - reference[url]) for url in got) < 1e-9
    assert abs(sum(got.values()) - 1) < 1e-9
    # The planted redirect chain and canonicalised duplicate pass their equity on and have none.
    truth = demo.truths[version]
    for path in [*truth.planted["redirect_chain"][:2], *truth.planted["canonicalised"]]:
        assert demo.base + path not in got


def test_planted_broken_links_and_other_errors(demo: Demo) -> None:
    planted = demo.truths[1].planted["broken"]
    rows = demo.rows("select target_url, target_status from broken_internal_links where crawl_id = 'v1'")
    assert {demo.path(row["target_url"]): row["target_status"] for row in rows} == planted
    truth_links = sum(demo.truths[1].urls[path].total_inlinks for path in planted)
    assert len(rows) == truth_links == 8
    assert demo.rows("select * from other_error_links where crawl_id = 'v1'") == []


def test_planted_redirect_chain_and_loop(demo: Demo) -> None:
    planted = demo.truths[1].planted
    chain, loop = planted["redirect_chain"], planted["redirect_loop"]
    rows = demo.rows(
        "select target_url, hops, chain, final_url, final_status, is_loop, is_chain "
        "from redirected_internal_links where crawl_id = 'v1'"
    )
    by_target = defaultdict(list)
    for row in rows:
        by_target[demo.path(row["target_url"])].append(row)
    chained = by_target[chain[0]]
    assert len(chained) == 3
    assert {
        (r["hops"], tuple(map(demo.path, r["chain"])), demo.path(r["final_url"]), r["final_status"])
        for r in chained
    } == {(2, tuple(chain[1:]), chain[2], 200)}
    assert all(r["is_chain"] and not r["is_loop"] for r in chained)
    looped = by_target[loop[0]]
    assert len(looped) == 2 and all(r["is_loop"] and r["final_url"] is None for r in looped)
    slash = planted["slash_redirect"]
    assert [(r["hops"], demo.path(r["final_url"])) for r in by_target[slash[0]]] == [(1, slash[1])]


def test_planted_over_optimised_anchor(demo: Demo) -> None:
    planted = demo.truths[1].planted
    rows = demo.rows(
        "select anchor_text, content_anchor_share, is_over_optimised, is_top_anchor from anchor_text_profile "
        "where crawl_id = 'v1' and target_url = ?",
        demo.base + planted["exact_match_target"],
    )
    top = [row for row in rows if row["is_top_anchor"]]
    assert [row["anchor_text"] for row in top] == [planted["exact_match_anchor"]]
    assert top[0]["is_over_optimised"] and top[0]["content_anchor_share"] >= 0.8


def test_planted_link_heavy_page_and_deep_series(demo: Demo) -> None:
    planted = demo.truths[1].planted
    ((heavy,),) = demo.con.execute(
        "select unique_outlinks from page_link_metrics where crawl_id = 'v1' and url = ?",
        [demo.base + planted["link_heavy_page"]],
    ).fetchall()
    assert heavy >= 300
    depths = dict(
        demo.con.execute("select url, click_depth from page_link_metrics where crawl_id = 'v1'").fetchall()
    )
    weeks = [depths[demo.base + path] for path in planted["deep_series"]]
    assert weeks == sorted(weeks) and weeks[-1] - weeks[0] == len(weeks) - 1
    assert min(week for week in weeks[5:]) >= 7


def test_planted_hreflang_cross_language_links(demo: Demo) -> None:
    rows = demo.rows(
        "select source_url, target_url from hreflang_link_issues "
        "where crawl_id = 'v1' and issue = 'cross_language_link'"
    )
    pairs = {(demo.path(row["source_url"]), demo.path(row["target_url"])) for row in rows}
    assert {tuple(pair) for pair in demo.truths[1].planted["cross_language_links"]} <= pairs


def test_planted_canonicalised_duplicate_noindex_and_robots(demo: Demo) -> None:
    planted = demo.truths[1].planted
    ((duplicate, parent),) = planted["canonicalised"].items()
    rows = demo.rows(
        "select target_url, target_canonical from canonicalised_internal_links where crawl_id = 'v1'"
    )
    # The colour duplicate, and each session-id variant (one link each) naming its page.
    variants = {(path, path.split("?")[0]) for path in planted["session_variants"]}
    assert len(variants) == 6
    pairs = [(demo.path(r["target_url"]), demo.path(r["target_canonical"])) for r in rows]
    assert {pair for pair in pairs if pair not in variants} == {(duplicate, parent)}
    assert sorted(pair for pair in pairs if pair in variants) == sorted(variants)
    flags_of_variants = demo.rows(
        "select url, indexable, is_orphan, unique_inlinks, total_outlinks from page_link_metrics "
        "where crawl_id = 'v1' and url like '%osCsid=%' order by url"
    )
    assert [(demo.path(r["url"]), r["indexable"], r["is_orphan"], r["unique_inlinks"], r["total_outlinks"])
            for r in flags_of_variants] == [(path, False, False, 1, 0) for path in sorted(planted["session_variants"])]
    flags = {
        demo.path(row["url"]): row
        for row in demo.rows(
            "select url, indexable, is_noindex, is_canonicalised from page_link_metrics where crawl_id = 'v1'"
        )
    }
    assert flags[duplicate]["is_canonicalised"] and not flags[duplicate]["indexable"]
    for path in (planted["noindex_meta"], planted["noindex_header"]):
        assert flags[path]["is_noindex"] and not flags[path]["indexable"]


def test_planted_orphans_and_their_events(demo: Demo) -> None:
    truths = demo.truths
    for version, crawl_id in demo.crawl_ids.items():
        orphans = {demo.path(url) for (url,) in demo.con.execute(
            "select url from page_link_metrics where crawl_id = ? and is_orphan", [crawl_id]
        ).fetchall()}  # fmt: skip
        assert orphans == truths[version].orphans()
        assert (
            set(truths[1].planted["sitemap_only_orphans"]) - set(truths[1].planted["v2_resolved"]) <= orphans
        )
    delta = orphan_delta(truths[1], truths[2])
    events = demo.rows("select url, event from orphan_events where crawl_id = 'v2'")
    assert {(demo.path(row["url"]), row["event"]) for row in events} == {
        *((path, "new") for path in delta.new_orphans),
        *((path, "resolved") for path in delta.resolved),
    }


@pytest.mark.parametrize("version", [1, 2])
def test_site_kpis_equal_truth(demo: Demo, version: int) -> None:
    truth, crawl_id = demo.truths[version], demo.crawl_ids[version]
    (kpis,) = demo.rows("select * from site_kpis where crawl_id = ?", crawl_id)
    rows = list(truth.urls.values())
    depths = [row.click_depth for row in rows if row.indexable and row.click_depth is not None]
    broken = truth.planted["broken"]
    scores = np.sort([row.pagerank for row in rows])
    n = len(scores)
    gini = 2 * np.sum(np.arange(1, n + 1) * scores) / (n * scores.sum()) - (n + 1) / n
    assert (kpis["pages"], kpis["orphans"], kpis["indexable_pages"]) == (
        len(rows),
        len(truth.orphans()),
        sum(row.indexable for row in rows),
    )
    assert kpis["median_click_depth"] == pytest.approx(float(np.percentile(depths, 50)))
    assert kpis["p95_click_depth"] == pytest.approx(float(np.percentile(depths, 95)))
    assert kpis["share_deeper_than_3"] == pytest.approx(sum(d > 3 for d in depths) / len(depths))
    assert kpis["broken_links"] == sum(truth.urls[path].total_inlinks for path in broken)
    assert kpis["equity_gini"] == pytest.approx(gini, abs=1e-9)
    assert kpis["orphan_sessions_28d"] > 0


def test_planted_unreachable_pages_robots_and_unfollowed_sponsored_links(demo: Demo) -> None:
    """The planted problems the tests above do not name, each where a user would look for it."""
    planted = demo.truths[1].planted
    pages = {
        demo.path(row.pop("url")): row
        for row in demo.rows(
            "select url, status, error, indexable, click_depth, is_orphan, orphan_evidence, nofollow_inlinks "
            "from page_link_metrics where crawl_id = 'v1'"
        )
    }
    newsletter = pages[planted["nofollow_only"]]
    assert newsletter["is_orphan"] and newsletter["nofollow_inlinks"] > 0
    assert "unfollowed_link" in newsletter["orphan_evidence"]
    terms = pages[planted["linked_only_from_orphan"]]
    assert terms["click_depth"] is None and terms["is_orphan"]
    webinar = pages[planted["unreachable_noindex"]]
    assert webinar["click_depth"] is None and not webinar["indexable"] and not webinar["is_orphan"]
    cart = pages[planted["robots_disallowed"]]
    assert (cart["status"], cart["error"], cart["indexable"]) == (None, "robots_disallowed", False)
    assert not pages[planted["non_html"]]["indexable"]
    assert planted["percent_encoded"] in pages
    # rel=sponsored counts as not followed (Google; the site keeps the default switch).
    edges = demo.rows(
        "select source_url, target_url, is_followed, nofollow_occurrences from intermediate.int_link_graph "
        "where crawl_id = 'v1'"
    )
    by_pair = {(demo.path(row["source_url"]), demo.path(row["target_url"])): row for row in edges}
    for pair in planted["internal_sponsored"]:
        assert (by_pair[tuple(pair)]["is_followed"], by_pair[tuple(pair)]["nofollow_occurrences"]) == (False, 1)


@pytest.mark.parametrize("version", [1, 2])
def test_planted_follow_cases(demo: Demo, version: int) -> None:
    """Page-level nofollow (meta robots, meta googlebot, X-Robots-Tag, googlebot-scoped), an
    X-Robots-Tag scoped to another bot, rel=sponsored and rel=ugc: the planted link's edge and
    its only target, exact per case."""
    crawl_id = demo.crawl_ids[version]
    cases = demo.truths[version].planted["follow_cases"]
    edges = {
        (demo.path(row["source_url"]), demo.path(row["target_url"])): row["is_followed"]
        for row in demo.rows(
            "select source_url, target_url, is_followed from intermediate.int_link_graph where crawl_id = ?",
            crawl_id,
        )
    }
    pages = {
        demo.path(row.pop("url")): row
        for row in demo.rows(
            "select url, click_depth, is_orphan, unique_inlinks, nofollow_inlinks, unique_followed_inlinks, "
            "list_contains(orphan_evidence, 'unfollowed_link') as unfollowed_evidence "
            "from page_link_metrics where crawl_id = ?",
            crawl_id,
        )
    }
    got = {
        case: (edges[source, target], *pages[target].values(), pages[source]["click_depth"])
        for case, (source, target) in cases.items()
    }
    unfollowed = (False, None, True, 1, 1, 0, True)
    hub = 2  # hubs are linked from /about/ (footer of every page: depth 1)
    assert got == {
        "meta_robots": (*unfollowed, hub),
        "meta_googlebot": (*unfollowed, hub),
        "x_robots_tag": (*unfollowed, hub),
        "x_robots_tag_googlebot": (*unfollowed, hub),
        "x_robots_tag_otherbot": (True, hub + 1, False, 1, 0, 1, False, hub),
        "rel_sponsored": (*unfollowed, 1),
        "rel_ugc": (*unfollowed, 1),
    }

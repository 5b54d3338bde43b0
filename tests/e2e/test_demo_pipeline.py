"""The whole pipeline on the demo site, through the real DAGs, against the generator's truth.

One module-scoped run does what ``make demo`` does (GA4 and Search Console pulls from the local
stand-ins, then two rounds of crawl -> warehouse_build -> link_alerts with ``airflow dags
test``, site version 1 then version 2) in a temp directory; the tests then compare every URL of
both crawls with the truth the generator computes from its own model (given the URLs the lake
already knew from GA4/Search Console, which the crawler fetches too), PageRank with igraph on
the warehouse's own edges, orphan events with the truth delta, and the alerts the webhook
received.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import duckdb
import igraph
import pytest

from linkwarehouse.demo import Truth, build_site, compute_truth, orphan_delta
from linkwarehouse.pipeline import DemoResult, run_demo
from linkwarehouse.report import DEEPEST_BUCKET, summary
from linkwarehouse.settings import Settings

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, DemoResult]:
    tmp = tmp_path_factory.mktemp("demo")
    settings = Settings(
        root=ROOT,
        config_path=ROOT / "config" / "sites.yaml",
        lake_root=tmp / "lake",
        warehouse_dir=tmp / "warehouse",
        dbt_project_dir=ROOT / "dbt_project",
        state_dir=tmp / "state",
    )
    result = run_demo(settings, airflow_home=tmp / "airflow", echo=lambda _: None)
    return settings, result


@pytest.fixture(scope="module")
def marts(demo: tuple[Settings, DemoResult]) -> Iterator[duckdb.DuckDBPyConnection]:
    settings, _ = demo
    con = duckdb.connect(str(settings.marts_path), read_only=True)
    yield con
    con.close()


def known_from_google(settings: Settings, base_url: str) -> dict[str, set[str]]:
    """Paths of the demo site that the lake knows from GA4 / Search Console, with their sources."""
    known: dict[str, set[str]] = {}
    for source, table in (("ga4", "ga4_pages"), ("gsc", "gsc_pages")):
        files = f"{settings.lake_root}/{table}/site=demo/*/*.parquet"
        rows = duckdb.sql(f"select distinct page_url from read_parquet('{files}')").fetchall()
        for (url,) in rows:
            if url and url.startswith(base_url + "/"):
                known.setdefault(url[len(base_url) :], set()).add(source)
    return known


@pytest.fixture(scope="module")
def truths(demo: tuple[Settings, DemoResult]) -> dict[int, Truth]:
    settings, result = demo
    known = known_from_google(settings, result.base_url)
    first = compute_truth(build_site(version=1), known=known)
    return {1: first, 2: compute_truth(build_site(version=2), previous=first, known=known)}


def test_the_lake_knew_urls_from_google_that_no_link_reaches(truths: dict[int, Truth]) -> None:
    missing = [path for path, t in truths[1].urls.items() if t.status == 404 and t.unique_inlinks == 0]
    assert missing == ["/blog/retired-marathon-plan/"]
    orphans = [t for t in truths[1].urls.values() if t.is_orphan]
    assert orphans and all({"ga4", "gsc"} <= set(t.orphan_evidence) for t in orphans)


def crawl_ids(marts: duckdb.DuckDBPyConnection) -> list[str]:
    rows = marts.execute("select distinct crawl_id from page_link_metrics order by 1").fetchall()
    return [crawl_id for (crawl_id,) in rows]


def metrics_by_path(marts: duckdb.DuckDBPyConnection, crawl_id: str, base_url: str) -> dict[str, tuple]:
    rows = marts.execute(
        """
        select url, status, unique_inlinks, total_inlinks, click_depth, is_orphan
        from page_link_metrics where crawl_id = ?
        """,
        [crawl_id],
    ).fetchall()
    assert all(url.startswith(base_url + "/") for url, *_ in rows)
    return {url[len(base_url) :]: tuple(rest) for url, *rest in rows}


def test_two_crawls_published(marts: duckdb.DuckDBPyConnection) -> None:
    assert len(crawl_ids(marts)) == 2


@pytest.mark.parametrize("version", [1, 2])
def test_every_url_equals_truth(
    marts: duckdb.DuckDBPyConnection,
    demo: tuple[Settings, DemoResult],
    truths: dict[int, Truth],
    version: int,
) -> None:
    _, result = demo
    truth = truths[version]
    got = metrics_by_path(marts, crawl_ids(marts)[version - 1], result.base_url)
    assert sorted(got) == sorted(truth.urls)
    expected = {
        path: (t.status, t.unique_inlinks, t.total_inlinks, t.click_depth, t.is_orphan)
        for path, t in truth.urls.items()
    }
    evidence = dict(
        marts.execute(
            "select url, orphan_evidence from page_link_metrics where crawl_id = ? and is_orphan",
            [crawl_ids(marts)[version - 1]],
        ).fetchall()
    )
    assert {url[len(result.base_url) :]: sorted(ev) for url, ev in evidence.items()} == {
        path: t.orphan_evidence for path, t in truth.urls.items() if t.is_orphan
    }
    mismatches = {path: (got[path], want) for path, want in expected.items() if got[path] != want}
    assert mismatches == {}
    assert sum(1 for t in truth.urls.values() if t.is_orphan) == sum(1 for v in got.values() if v[4]) > 0


@pytest.mark.parametrize("version", [1, 2])
def test_pagerank_matches_igraph_on_the_warehouse_edges(
    marts: duckdb.DuckDBPyConnection,
    demo: tuple[Settings, DemoResult],
    truths: dict[int, Truth],
    version: int,
) -> None:
    crawl_id = crawl_ids(marts)[version - 1]
    ours = dict(
        marts.execute(
            "select url, internal_pagerank from page_link_metrics where crawl_id = ?", [crawl_id]
        ).fetchall()
    )
    index = {url: i for i, url in enumerate(sorted(ours))}
    edges = marts.execute(
        "select source_url, target_url from intermediate.int_link_graph where crawl_id = ? and is_followed",
        [crawl_id],
    ).fetchall()
    graph = igraph.Graph(n=len(index), edges=[(index[s], index[t]) for s, t in edges], directed=True)
    reference = graph.pagerank(damping=0.85, implementation="prpack")
    assert max(abs(ours[url] - reference[i]) for url, i in index.items()) < 1e-9
    assert abs(sum(ours.values()) - 1) < 1e-9
    _, result = demo
    truth_pagerank = {result.base_url + path: t.pagerank for path, t in truths[version].urls.items()}
    assert max(abs(ours[url] - truth_pagerank[url]) for url in ours) < 1e-9


def test_orphan_events_equal_truth_delta(
    marts: duckdb.DuckDBPyConnection, demo: tuple[Settings, DemoResult], truths: dict[int, Truth]
) -> None:
    _, result = demo
    first, second = crawl_ids(marts)
    events = marts.execute("select crawl_id, previous_crawl_id, url, event from orphan_events").fetchall()
    delta = orphan_delta(truths[1], truths[2])
    expected = {(second, first, result.base_url + path, "new") for path in delta.new_orphans} | {
        (second, first, result.base_url + path, "resolved") for path in delta.resolved
    }
    assert len(events) == len(expected) == 5
    assert set(events) == expected


def test_webhook_received_exactly_one_alert_naming_the_new_orphans(
    marts: duckdb.DuckDBPyConnection, demo: tuple[Settings, DemoResult], truths: dict[int, Truth]
) -> None:
    _, result = demo
    assert len(result.alerts) == 1
    body = result.alerts[0]["body"]
    new_orphans = sorted(result.base_url + path for path in orphan_delta(truths[1], truths[2]).new_orphans)
    assert body["kind"] == "new_orphans"
    assert body["site"] == "demo"
    assert body["crawl_id"] == crawl_ids(marts)[1]
    assert body["urls"] == new_orphans
    assert body["count"] == 4
    for url in new_orphans:
        assert url in body["text"]


def test_alert_is_recorded_so_reruns_do_not_resend(
    demo: tuple[Settings, DemoResult], marts: duckdb.DuckDBPyConnection
) -> None:
    settings, _ = demo
    sent = sorted(p.name for p in (settings.lake_root / "alerts" / "sent" / "site=demo").glob("*.parquet"))
    assert sent == [f"new_orphans-{crawl_ids(marts)[1]}.parquet"]


def test_exports_and_no_leftover_build_files(demo: tuple[Settings, DemoResult]) -> None:
    settings, _ = demo
    marts = [
        "anchor_text_profile",
        "broken_internal_links",
        "canonicalised_internal_links",
        "hreflang_link_issues",
        "orphan_events",
        "other_error_links",
        "page_link_metrics",
        "redirected_internal_links",
        "site_kpis",
        "url_inventory",
    ]
    assert sorted(p.name for p in settings.exports_dir.glob("*.parquet")) == [f"{m}.parquet" for m in marts]
    assert not list(settings.build_dir.glob("*.duckdb"))


def test_printed_summary_counts_equal_truth(
    demo: tuple[Settings, DemoResult], truths: dict[int, Truth]
) -> None:
    """The depth histogram ``make demo`` prints: one bar per depth, unreachable pages apart."""
    settings, _ = demo
    truth = truths[2]
    # Past the top 10 too: which orphan ranks where depends on demo demand, not on the counts.
    text = summary(settings.marts_path, top=100)
    depths = Counter(
        "unreachable" if t.click_depth is None else f"{DEEPEST_BUCKET}+" if t.click_depth >= DEEPEST_BUCKET
        else str(t.click_depth)
        for t in truth.urls.values()
    )  # fmt: skip
    printed = dict(re.findall(r"^ {4} *(\d+\+?|unreachable) +([\d,]+)  #+$", text, flags=re.MULTILINE))
    assert {label: int(count.replace(",", "")) for label, count in printed.items()} == depths
    assert re.search(rf"^  orphan pages +{len(truth.orphans()):,} ", text, flags=re.MULTILINE)
    newsletter = truth.planted["nofollow_only"]
    inlinks = truth.urls[newsletter].unique_inlinks
    assert re.search(
        rf"\. {re.escape(newsletter)}\n +orphan \([^)]*\); {inlinks} unique inlinks \(0 followed\)", text
    )

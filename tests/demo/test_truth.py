"""The truth is self-consistent and agrees with independent computations (scipy BFS, igraph)."""

from __future__ import annotations

import math

import igraph
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import shortest_path

from linkwarehouse.demo import Site, Truth, crawl_reach, pagerank
from linkwarehouse.demo.truth import link_scores


def _fetched_html(site: Site, truth: Truth) -> list[str]:
    """Fetched 2xx HTML pages whose links are recorded (a URL variant's are not: see test_planted)."""
    return [
        path
        for path, row in truth.urls.items()
        if row.status is not None and row.variant_of is None and site.pages[path].is_html_ok
    ]


def test_rows_are_exactly_what_the_crawl_reaches(site_v1: Site, truth_v1: Truth) -> None:
    reached = crawl_reach(site_v1)
    assert len(reached) == len(set(reached)) == len(truth_v1.urls)
    assert set(reached) == set(truth_v1.urls)
    assert reached[0] == "/"
    targets = {
        occ.link.target for occ in site_v1.occurrences() if occ.source in truth_v1.urls and occ.link.target
    }
    assert targets <= set(truth_v1.urls)
    assert site_v1.sitemap_paths() <= set(truth_v1.urls)
    # Only non-page assets and /cart/'s own links are unreachable routes.
    assert set(site_v1.pages) - set(truth_v1.urls) == set()


def test_inlink_totals_add_up(site_v1: Site, truth_v1: Truth) -> None:
    occurrences = [
        occ
        for path in _fetched_html(site_v1, truth_v1)
        for occ in site_v1.pages[path].occurrences()
        if occ.link.is_internal and occ.link.target != path
    ]
    rows = truth_v1.urls.values()
    assert sum(row.total_inlinks for row in rows) == len(occurrences) > 75_000
    # Not followed, spelled out apart from the truth: a rel hint, or a page that says nofollow
    # to Google (the demo's values are plain: "nofollow" or a "<bot>: nofollow" header).
    page_level = {
        path
        for path, page in site_v1.pages.items()
        if "nofollow" in (page.meta_robots or "") + (page.meta_googlebot or "")
        or page.x_robots_tag in ("nofollow", "googlebot: nofollow")
    }
    assert len(page_level) == 4
    unfollowed = [
        occ
        for occ in occurrences
        if {"nofollow", "sponsored", "ugc"} & set(occ.link.rel) or occ.source in page_level
    ]
    assert sum(row.nofollow_inlinks for row in rows) == len(unfollowed)
    for row in rows:
        by_position = row.inlinks_nav + row.inlinks_header + row.inlinks_footer + row.inlinks_aside
        assert by_position + row.inlinks_content == row.total_inlinks, row.path
        assert row.unique_inlinks <= row.total_inlinks and row.nofollow_inlinks <= row.total_inlinks


def test_unique_inlinks_count_sources_not_occurrences(site_v1: Site, truth_v1: Truth) -> None:
    home = truth_v1.urls["/"]
    # Every fetched English page links home from its logo and breadcrumb; German pages do not.
    assert home.unique_inlinks == 1891 and home.total_inlinks > 2 * 1800
    blog = truth_v1.urls["/blog/"]
    assert blog.unique_inlinks < blog.total_inlinks


def test_self_links_are_not_inlinks(site_v1: Site, truth_v1: Truth) -> None:
    self_links = [occ for occ in site_v1.occurrences() if occ.link.target == occ.source]
    assert len(self_links) > 20  # home logo, nav link to the current section, recent posts ...
    edges = set(truth_v1.followed_edges)
    assert all((occ.source, occ.source) not in edges for occ in self_links)
    fetched = set(_fetched_html(site_v1, truth_v1))
    target = "/category/running/"
    sources = {
        occ.source for occ in site_v1.occurrences() if occ.link.target == target and occ.source in fetched
    }
    assert truth_v1.urls[target].unique_inlinks == len(sources - {target})
    assert "/cart/" not in fetched  # robots-disallowed: its links are never seen


def test_click_depth_matches_an_independent_bfs(truth_v1: Truth) -> None:
    paths = sorted(truth_v1.urls)
    index = {path: i for i, path in enumerate(paths)}
    rows, cols = zip(*((index[s], index[t]) for s, t in truth_v1.followed_edges), strict=True)
    graph = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(paths), len(paths)))
    distances = shortest_path(graph, directed=True, unweighted=True, indices=index["/"])
    for path, distance in zip(paths, distances, strict=True):
        expected = None if math.isinf(distance) else int(distance)
        assert truth_v1.urls[path].click_depth == expected, path


def test_known_depths(truth_v1: Truth) -> None:
    depth = {path: row.click_depth for path, row in truth_v1.urls.items()}
    assert depth["/"] == 0
    assert depth["/category/running/"] == depth["/blog/"] == depth["/archive/"] == depth["/de/"] == 1
    assert depth["/blog/page/2/"] == depth["/blog/page/110/"] == 2
    assert depth["/blog/page/108/"] == 3  # backwards from the last page
    products = [
        path
        for path, row in truth_v1.urls.items()
        if path.startswith("/products/") and path != "/products/" and row.in_sitemap
    ]
    assert len(products) == 304
    assert all(depth[path] in (1, 2) for path in products)  # home "From the shop" or the site index


def test_followed_edges(site_v1: Site, truth_v1: Truth) -> None:
    edges = truth_v1.followed_edges
    assert list(edges) == sorted(set(edges))
    assert all(source != target for source, target in edges)
    assert all(target != "/newsletter/" and target != "/cart/" for _, target in edges)
    redirects = {
        (path, row.redirect_location) for path, row in truth_v1.urls.items() if row.redirect_location
    }
    assert redirects <= set(edges) and len(redirects) == 5


def test_indexable_follows_the_definition(truth_v1: Truth) -> None:
    for path, row in truth_v1.urls.items():
        expected = (
            row.status == 200
            and (row.content_type or "").startswith("text/html")
            and "noindex" not in (row.meta_robots or "")
            and "noindex" not in (row.x_robots_tag or "")
            and row.canonical in (None, path)
        )
        assert row.indexable == expected, path
        assert row.is_orphan == (row.indexable and row.click_depth is None), path


def test_pagerank_matches_igraph(truth_v1: Truth) -> None:
    nodes = sorted(truth_v1.urls)
    index = {path: i for i, path in enumerate(nodes)}
    graph = igraph.Graph(
        n=len(nodes), edges=[(index[s], index[t]) for s, t in truth_v1.followed_edges], directed=True
    )
    reference = graph.pagerank(directed=True, damping=0.85)
    ours = [truth_v1.urls[path].pagerank for path in nodes]
    assert math.isclose(sum(ours), 1.0, abs_tol=1e-12)
    assert max(abs(a - b) for a, b in zip(ours, reference, strict=True)) < 1e-9


def test_pagerank_small_graph_by_hand() -> None:
    # a -> b, b -> a, c dangling: c spreads uniformly; symmetric a/b.
    ranks = pagerank(["a", "b", "c"], (("a", "b"), ("b", "a")))
    assert math.isclose(ranks["c"], 0.05 / (1 - 0.85 / 3) * 1, rel_tol=1e-9) or ranks["c"] < ranks["a"]
    assert math.isclose(ranks["a"], ranks["b"], rel_tol=1e-12)
    assert math.isclose(sum(ranks.values()), 1.0, rel_tol=1e-12)
    c = ranks["c"]
    assert math.isclose(c, (1 - 0.85) / 3 + 0.85 * c / 3, rel_tol=1e-9)


def test_link_score_scale(truth_v1: Truth) -> None:
    scores = [row.link_score for row in truth_v1.urls.values()]
    assert min(scores) == 0.0 and max(scores) == 100.0
    assert truth_v1.urls["/"].link_score > 90
    assert link_scores({"a": 0.5, "b": 0.5}) == {"a": 100.0, "b": 100.0}
    assert link_scores({"a": 0.1, "b": 1.0, "c": math.sqrt(0.1)}) == {"a": 0.0, "b": 100.0, "c": 50.0}


def test_truth_json_round_trip(truth_v1: Truth) -> None:
    again = Truth.from_json(truth_v1.to_json())
    assert again == truth_v1
    assert again.urls == truth_v1.urls
    assert again.followed_edges == truth_v1.followed_edges
    assert (again.seed, again.version, again.start_paths) == (truth_v1.seed, truth_v1.version, ("/",))
    assert again.planted["redirect_loop"] == ["/go/spring-offer/", "/go/spring-offer-2/"]

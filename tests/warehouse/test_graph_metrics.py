"""linkwarehouse.graph against igraph (an independent implementation) and hand-computed cases."""

from __future__ import annotations

import math

import duckdb
import igraph
import numpy as np
import pytest

from linkwarehouse.crawl_graphs import crawl_graphs
from linkwarehouse.graph import GraphError, adjacency, bfs_depths, link_scores, pagerank


def random_graph(seed: int, n_nodes: int, n_edges: int) -> tuple[np.ndarray, np.ndarray]:
    """Random directed edges without self-loops, with repeats, leaving some nodes dangling/isolated."""
    rng = np.random.default_rng(seed)
    # Only the first 70 % of nodes link out, so the rest are dangling.
    src = rng.integers(0, int(n_nodes * 0.7), n_edges)
    dst = rng.integers(0, n_nodes, n_edges)
    keep = src != dst
    return src[keep], dst[keep]


def igraph_of(src: np.ndarray, dst: np.ndarray, n_nodes: int) -> igraph.Graph:
    pairs = sorted(set(zip(src.tolist(), dst.tolist(), strict=True)))
    return igraph.Graph(n=n_nodes, edges=pairs, directed=True)


@pytest.mark.parametrize(
    ("seed", "n_nodes", "n_edges"), [(1, 50, 120), (2, 300, 900), (3, 1000, 2500), (4, 40, 15)]
)
def test_pagerank_matches_igraph_prpack(seed: int, n_nodes: int, n_edges: int) -> None:
    src, dst = random_graph(seed, n_nodes, n_edges)
    result = pagerank(src, dst, n_nodes)
    expected = igraph_of(src, dst, n_nodes).pagerank(damping=0.85, directed=True, implementation="prpack")
    assert result.converged
    assert result.iterations < 1000
    assert np.abs(result.scores - np.array(expected)).max() < 1e-9
    assert result.scores.sum() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize(("seed", "n_nodes", "n_edges"), [(5, 60, 70), (6, 500, 700), (7, 2000, 2600)])
def test_bfs_depths_match_igraph_with_multiple_starts(seed: int, n_nodes: int, n_edges: int) -> None:
    src, dst = random_graph(seed, n_nodes, n_edges)
    starts = np.array([0, 3, 3, 11])
    depths = bfs_depths(src, dst, n_nodes, starts)
    distances = np.array(
        igraph_of(src, dst, n_nodes).distances(source=sorted(set(starts.tolist())), mode="out")
    )
    nearest = distances.min(axis=0)
    expected = np.where(np.isinf(nearest), -1, nearest).astype(np.int32)
    assert (depths == -1).any(), "the random graph should leave some nodes unreachable"
    np.testing.assert_array_equal(depths, expected)


def test_two_node_pagerank_by_hand() -> None:
    # home -> p, p dangling: x_h = 0.075 + 0.425 x_p, x_p = 1 - x_h  =>  x_h = 0.5 / 1.425.
    result = pagerank([0], [1], 2)
    assert result.scores[0] == pytest.approx(0.5 / 1.425, abs=1e-12)
    assert result.scores[1] == pytest.approx(1 - 0.5 / 1.425, abs=1e-12)
    np.testing.assert_array_equal(link_scores(result.scores), [0.0, 100.0])


def test_pagerank_collapses_repeated_edges_and_handles_edge_cases() -> None:
    once = pagerank([0, 1, 2], [1, 2, 0], 3).scores
    repeated = pagerank([0, 0, 0, 1, 2], [1, 1, 1, 2, 0], 3).scores
    np.testing.assert_allclose(repeated, once, atol=1e-15)
    np.testing.assert_allclose(once, [1 / 3] * 3, atol=1e-12)
    assert pagerank([], [], 0).scores.size == 0
    np.testing.assert_allclose(pagerank([], [], 4).scores, [0.25] * 4, atol=1e-15)


def test_bfs_depths_chain_cycle_and_no_starts() -> None:
    # 0 -> 1 -> 2 -> 3 -> 1 (cycle), 4 isolated, 5 -> 0 (5 never reached from 0)
    src, dst = [0, 1, 2, 3, 5], [1, 2, 3, 1, 0]
    np.testing.assert_array_equal(bfs_depths(src, dst, 6, [0]), [0, 1, 2, 3, -1, -1])
    np.testing.assert_array_equal(bfs_depths(src, dst, 6, [5, 2]), [1, 2, 0, 1, -1, 0])
    np.testing.assert_array_equal(bfs_depths(src, dst, 6, []), [-1] * 6)


def test_link_scores_log_scale() -> None:
    scores = np.array([1.0, math.e, math.e**2, math.e**0.5]) / 100
    np.testing.assert_array_equal(link_scores(scores), [0.0, 50.0, 100.0, 25.0])
    np.testing.assert_array_equal(link_scores([0.2] * 5), [100.0] * 5)
    assert link_scores([]).size == 0
    with pytest.raises(GraphError, match="strictly positive"):
        link_scores([0.5, 0.0])


def test_invalid_ids_name_the_problem() -> None:
    with pytest.raises(GraphError, match=r"targets: node ids must lie in \[0, 3\), got \[1, 3\]"):
        adjacency([0, 1], [1, 3], 3)
    with pytest.raises(GraphError, match="starts"):
        bfs_depths([0], [1], 2, [2])
    with pytest.raises(GraphError, match="differ in length"):
        adjacency([0, 1], [1], 2)


def test_crawl_graphs_slices_relations_per_crawl() -> None:
    con = duckdb.connect()
    nodes = con.sql(
        """
        select * from (values
            ('s', 'c1', 'u/a', true, 0), ('s', 'c1', 'u/b', false, 1),
            ('t', 'c1', 'v/x', false, 0), ('t', 'c1', 'v/y', true, 1), ('t', 'c1', 'v/z', false, 2)
        ) as nodes(site, crawl_id, url, is_start_url, node_id)
        """
    )
    edges = con.sql(
        """
        select * from (values ('s', 'c1', 0, 1), ('t', 'c1', 1, 2), ('t', 'c1', 2, 0))
            as edges(site, crawl_id, source_node_id, target_node_id)
        """
    )
    graphs = list(crawl_graphs(nodes, edges))
    assert [(g.site, g.crawl_id, g.n_nodes) for g in graphs] == [("s", "c1", 2), ("t", "c1", 3)]
    shop = graphs[1]
    assert shop.urls.to_pylist() == ["v/x", "v/y", "v/z"]
    assert shop.sources.tolist() == [1, 2] and shop.targets.tolist() == [2, 0]
    assert shop.starts.tolist() == [1]
    table = shop.table({"click_depth": bfs_depths(shop.sources, shop.targets, shop.n_nodes, shop.starts)})
    assert table.to_pylist() == [
        {"site": "t", "crawl_id": "c1", "url": "v/x", "click_depth": 2},
        {"site": "t", "crawl_id": "c1", "url": "v/y", "click_depth": 0},
        {"site": "t", "crawl_id": "c1", "url": "v/z", "click_depth": 1},
    ]


def test_crawl_graphs_rejects_sparse_node_ids() -> None:
    con = duckdb.connect()
    nodes = con.sql("select 's' as site, 'c' as crawl_id, 'u' as url, true as is_start_url, 5 as node_id")
    edges = con.sql("select 's' as site, 'c' as crawl_id, 0 as source_node_id, 0 as target_node_id limit 0")
    with pytest.raises(GraphError, match=r"site 's' crawl 'c': node ids are not dense"):
        list(crawl_graphs(nodes, edges))

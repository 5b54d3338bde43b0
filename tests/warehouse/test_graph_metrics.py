"""linkwarehouse.graph against igraph (an independent implementation) and hand-computed cases."""

from __future__ import annotations

import math

import duckdb
import igraph
import numpy as np
import pytest

from linkwarehouse.crawl_graphs import register_functions
from linkwarehouse.graph import (
    GraphError,
    adjacency,
    bfs_depths,
    equity_edges,
    link_scores,
    log10_scores,
    pagerank,
    pagerank_of_adjacency,
    rank_positions,
    unpack_edges,
    weighted_pagerank,
)


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


def test_rank_positions_share_the_better_position_on_ties() -> None:
    np.testing.assert_array_equal(rank_positions([0.1, 0.4, 0.1, 0.4, 0.0]), [3, 1, 3, 1, 5])
    np.testing.assert_array_equal(rank_positions([0.2, np.nan, 0.3]), [2, -1, 1])
    # Float noise below 12 significant digits is a tie.
    np.testing.assert_array_equal(rank_positions([0.1 + 0.2, 0.3, 0.29]), [1, 1, 3])
    assert rank_positions([]).size == 0


def test_log10_scores_put_the_strongest_page_at_10() -> None:
    np.testing.assert_array_equal(log10_scores([1e-3, 1e-4, 1e-2, 1e-14]), [9.0, 8.0, 10.0, 0.0])
    np.testing.assert_array_equal(log10_scores([0.5, np.nan]), [10.0, np.nan])


def test_link_scores_keep_nan_for_nodes_outside_the_graph() -> None:
    np.testing.assert_array_equal(link_scores([0.01, np.nan, math.e**2 / 100]), [0.0, np.nan, 100.0])


def test_unpack_edges_reads_both_halves_of_the_packed_pair() -> None:
    sources, targets = unpack_edges(np.array([0 * 2**32 + 7, 5 * 2**32 + 0, 1_000_000 * 2**32 + 999_999]))
    assert sources.tolist() == [0, 5, 1_000_000] and targets.tolist() == [7, 0, 999_999]


@pytest.mark.parametrize(("seed", "n_nodes", "n_edges"), [(8, 200, 700), (9, 1500, 3000)])
def test_weighted_pagerank_with_unit_weights_is_pagerank(seed: int, n_nodes: int, n_edges: int) -> None:
    src, dst = random_graph(seed, n_nodes, n_edges)
    pairs = np.unique(np.stack([src, dst], axis=1), axis=0)
    plain = pagerank(pairs[:, 0], pairs[:, 1], n_nodes)
    weighted = weighted_pagerank(pairs[:, 0], pairs[:, 1], n_nodes)
    assert np.abs(plain.scores - weighted.scores).max() < 1e-13


def test_weighted_pagerank_matches_igraph_with_weights() -> None:
    """Positive weights, no non-passing edges: igraph's weighted PRPACK is an independent check."""
    src, dst = random_graph(10, 400, 1600)
    pairs = np.unique(np.stack([src, dst], axis=1), axis=0)
    weights = np.random.default_rng(10).choice([1.0, 0.5, 0.3, 0.2], size=len(pairs))
    ours = weighted_pagerank(pairs[:, 0], pairs[:, 1], 400, weights)
    graph = igraph.Graph(n=400, edges=pairs.tolist(), directed=True)
    expected = graph.pagerank(damping=0.85, weights=weights.tolist(), implementation="prpack")
    assert np.abs(ours.scores - np.array(expected)).max() < 1e-9


def test_weighted_pagerank_dilution_and_eligibility_by_hand() -> None:
    # A -> B passes, A -> C (nofollow) does not: see the dbt unit test for the algebra.
    diluted = weighted_pagerank([0, 0, 1, 2], [1, 2, 0, 0], 3, passes=[True, False, True, True])
    np.testing.assert_allclose(diluted.scores, [0.5268292683, 0.3485365854, 0.1246341463], atol=1e-10)
    # Node 1 left out: 0 <-> 2 is a symmetric pair.
    subset = weighted_pagerank([0, 2], [2, 0], 3, eligible=[True, False, True])
    np.testing.assert_allclose(subset.scores, [0.5, np.nan, 0.5], atol=1e-15)
    with pytest.raises(GraphError, match="eligible nodes only"):
        weighted_pagerank([0], [1], 3, eligible=[True, False, True])
    with pytest.raises(GraphError, match=">= 0"):
        weighted_pagerank([0], [1], 2, weights=[-1.0])


def test_equity_edges_resolve_weigh_and_collapse_occurrences() -> None:
    # Nodes: 0, 1 (passes to 3), 2 (passes nowhere), 3. Positions: 0 content (1.0), 3 nav (0.3).
    sources, targets, weights, passes, eligible = equity_edges(
        [0, 0, 0, 0, 0, 1, 3, 3, 3],
        [1, 3, 3, 2, 3, 0, 0, 0, 1],
        [False, False, True, False, False, False, True, True, False],
        [3, 0, 0, 0, 3, 0, 3, 0, 0],
        4,
        position_weights=[1.0, 0.5, 0.3, 0.3, 0.2, 1.0],
        dilute=True,
        redirect_to=[0, 3, -1, 3],
    )
    assert eligible.tolist() == [True, False, False, True]
    # 0 -> 1 becomes 0 -> 3 and joins 0 -> 3: heaviest followed occurrence is content (1.0).
    # 0 -> 2 goes nowhere, 1 is ineligible as a source, 3 -> 0 is only nofollow (diluting),
    # 3 -> 1 resolves to 3 itself and is dropped.
    assert list(zip(sources.tolist(), targets.tolist(), weights.tolist(), passes.tolist(), strict=True)) == [
        (0, 3, 1.0, True),
        (3, 0, 1.0, False),
    ]
    ignored = equity_edges([3], [0], [True], [0], 4, position_weights=[1.0] * 6, dilute=False)
    assert ignored[0].size == 0 and ignored[4].all()


def test_graph_functions_through_duckdb() -> None:
    """The DuckDB functions the dbt model calls: one struct of per-node lists per crawl row."""
    con = duckdb.connect()
    register_functions(con)
    row = con.execute(
        """
        select lw_graph_metrics('s', 'c', 3, [0::bigint * 4294967296 + 1, 1::bigint * 4294967296 + 0], [0])
        """
    ).fetchone()[0]
    assert row["click_depth"] == [0, 1, None]
    assert row["rank"] == [1, 1, 3]
    assert row["pagerank"][0] == pytest.approx(row["pagerank"][1], abs=1e-15)
    assert sum(row["pagerank"]) == pytest.approx(1.0, abs=1e-12)
    # Node 1 is left out and passes to node 2: the link 0 -> 1 counts as 0 -> 2.
    equity = con.execute(
        """
        select lw_equity_pagerank(
            's', 'c', 3, [{'edge': 1::bigint, 'nofollow': false, 'position': 0}], []::bigint[],
            [{'node': 1, 'target': 2}], [1.0, 1.0, 1.0, 1.0, 1.0, 1.0], false
        )
        """
    ).fetchone()[0]
    assert equity["pagerank"][1] is None and equity["rank"] == [2, None, 1]


def test_graph_function_names_the_crawl_that_does_not_converge(monkeypatch: pytest.MonkeyPatch) -> None:
    con = duckdb.connect()
    register_functions(con)
    monkeypatch.setattr(
        "linkwarehouse.graph.pagerank_of_adjacency",
        lambda matrix: pagerank_of_adjacency(matrix, max_iter=2),
    )
    with pytest.raises(duckdb.Error, match=r"site 's' crawl 'c9': PageRank did not converge in 2 iterations"):
        con.sql("select lw_graph_metrics('s', 'c9', 3, [1::bigint, 4294967298::bigint], [0])").fetchall()

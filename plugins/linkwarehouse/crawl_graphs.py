"""DuckDB functions that compute a crawl's graph metrics from its edges, for the dbt SQL models.

``int_graph_metrics`` aggregates each crawl's edges into one list value (node ids packed as
``source * 2**32 + target``) and calls one of these vectorised (Arrow) functions, which hand
the arrays to :mod:`linkwarehouse.graph` and return per-node lists that SQL unnests again.
Keeping the model SQL means dbt unit tests can check PageRank and depth on hand-computed
graphs, which dbt does not allow for Python models; crossing into Python once per crawl with
whole arrays costs about as much as a Python model's fetch (0.5 s at 20M edges).

The functions are registered on every dbt connection by :mod:`linkwarehouse.dbt_plugin`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
from duckdb import sqltypes

from linkwarehouse import graph

__all__ = ["EQUITY_FUNCTION", "GRAPH_FUNCTION", "equity_pagerank", "graph_metrics", "register_functions"]

GRAPH_FUNCTION = "lw_graph_metrics"
EQUITY_FUNCTION = "lw_equity_pagerank"

_SCALES = [
    ("pagerank", pa.list_(pa.float64())),
    ("rank", pa.list_(pa.int32())),
    ("score_10", pa.list_(pa.float64())),
    ("link_score", pa.list_(pa.float64())),
    ("iterations", pa.int32()),
    ("l1_change", pa.float64()),
]
GRAPH_TYPE = pa.struct([*_SCALES, ("click_depth", pa.list_(pa.int32())), ("edges", pa.int64())])
EQUITY_TYPE = pa.struct(_SCALES)


def _column(values: Any) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _lists(values: Any, dtype: Any) -> Iterator[npt.NDArray[Any]]:
    """Each row of a list column as a numpy array (an empty one for a null list)."""
    column = _column(values)
    flat = column.values.to_numpy(zero_copy_only=False).astype(dtype, copy=False)
    offsets = column.offsets.to_numpy()
    for row in range(len(column)):
        yield flat[offsets[row] : offsets[row + 1]]


def _scales(result: graph.PageRank, site: str, crawl_id: str) -> dict[str, Any]:
    if not result.converged:
        raise graph.GraphError(
            f"site {site!r} crawl {crawl_id!r}: PageRank did not converge in {result.iterations} "
            f"iterations (L1 change {result.l1_change:.3e})"
        )
    ranks = graph.rank_positions(result.scores)
    return {
        "pagerank": pa.array(result.scores, from_pandas=True),
        "rank": pa.array(ranks, type=pa.int32(), mask=ranks < 0),
        "score_10": pa.array(graph.log10_scores(result.scores), from_pandas=True),
        "link_score": pa.array(graph.link_scores(result.scores), from_pandas=True),
        "iterations": result.iterations,
        "l1_change": result.l1_change,
    }


def _struct(rows: list[dict[str, Any]], dtype: pa.StructType) -> pa.StructArray:
    """One struct per crawl; list fields become ListArrays over the concatenated per-node arrays."""
    fields = []
    for field in dtype:
        if pa.types.is_list(field.type):
            parts = [row[field.name] for row in rows]
            offsets = np.concatenate([[0], np.cumsum([len(part) for part in parts])]).astype(np.int32)
            values = pa.concat_arrays(parts) if parts else pa.array([], field.type.value_type)
            fields.append(pa.ListArray.from_arrays(pa.array(offsets), values.cast(field.type.value_type)))
        else:
            fields.append(pa.array([row[field.name] for row in rows], type=field.type))
    return pa.StructArray.from_arrays(fields, fields=list(dtype))


def graph_metrics(sites: Any, crawl_ids: Any, n_nodes: Any, edges: Any, starts: Any) -> pa.StructArray:
    """``lw_graph_metrics(site, crawl_id, n_nodes, edges, starts)``: PageRank, its scales, click depth.

    ``edges`` are packed followed pairs (repeats allowed), ``starts`` the start node ids; the
    result also counts the distinct edges, which a data test compares with int_link_graph.
    """
    rows = []
    for site, crawl_id, size, packed, start_ids in zip(
        _column(sites).to_pylist(),
        _column(crawl_ids).to_pylist(),
        _column(n_nodes).to_pylist(),
        _lists(edges, np.int64),
        _lists(starts, np.int32),
        strict=True,
    ):
        sources, targets = graph.unpack_edges(packed)
        matrix = graph.adjacency(sources, targets, size)
        depths = graph.csr_depths(matrix, start_ids)
        result = graph.pagerank_of_adjacency(matrix)
        row = _scales(result, site, crawl_id)
        row["click_depth"] = pa.array(depths, type=pa.int32(), mask=depths < 0)
        row["edges"] = matrix.nnz
        rows.append(row)
    return _struct(rows, GRAPH_TYPE)


def _struct_lists(values: Any, fields: tuple[str, ...]) -> Iterator[tuple[npt.NDArray[Any], ...]]:
    """Each row of a list-of-struct column as one numpy array per field."""
    column = _column(values)
    structs = column.values
    arrays = [structs.field(name).to_numpy(zero_copy_only=False) for name in fields]
    offsets = column.offsets.to_numpy()
    for row in range(len(column)):
        yield tuple(array[offsets[row] : offsets[row + 1]] for array in arrays)


def equity_pagerank(
    sites: Any,
    crawl_ids: Any,
    n_nodes: Any,
    occurrences: Any,
    redirects: Any,
    ineligible: Any,
    weights: Any,
    dilute: Any,
) -> pa.StructArray:
    """``lw_equity_pagerank(site, crawl_id, n_nodes, occurrences, redirects, ineligible, weights, dilute)``.

    ``occurrences``: link occurrences between distinct crawled URLs as {edge, nofollow,
    position}; ``redirects``: packed redirect edges (kept only when every URL is eligible);
    ``ineligible``: {node, target} of the URLs the variant leaves out (target -1: nowhere);
    ``weights``: one per position code. Left-out URLs get null scores.
    """
    rows = []
    crawls = zip(
        _column(sites).to_pylist(),
        _column(crawl_ids).to_pylist(),
        _column(n_nodes).to_pylist(),
        _struct_lists(occurrences, ("edge", "nofollow", "position")),
        _lists(redirects, np.int64),
        _struct_lists(ineligible, ("node", "target")),
        _lists(weights, np.float64),
        _column(dilute).to_pylist(),
        strict=True,
    )
    for site, crawl_id, size, (packed, nofollow, positions), redirect, passing_on, weight, diluted in crawls:
        nodes, onward = passing_on
        resolved = np.arange(size, dtype=np.int64)
        resolved[nodes.astype(np.int64)] = onward
        sources, targets = graph.unpack_edges(packed)
        pair_sources, pair_targets, pair_weights, passes, eligible = graph.equity_edges(
            sources,
            targets,
            nofollow,
            positions,
            size,
            position_weights=weight,
            dilute=bool(diluted),
            redirect_to=resolved,
        )
        redirect_sources, redirect_targets = graph.unpack_edges(redirect)
        result = graph.weighted_pagerank(
            np.r_[pair_sources, redirect_sources],
            np.r_[pair_targets, redirect_targets],
            size,
            np.r_[pair_weights, np.ones(redirect_sources.size)],
            np.r_[passes, np.ones(redirect_sources.size, dtype=bool)],
            eligible,
        )
        rows.append(_scales(result, site, crawl_id))
    return _struct(rows, EQUITY_TYPE)


def _duckdb_type(dtype: pa.DataType) -> Any:
    simple = {
        pa.float64(): sqltypes.DOUBLE,
        pa.int32(): sqltypes.INTEGER,
        pa.int64(): sqltypes.BIGINT,
        pa.bool_(): sqltypes.BOOLEAN,
        pa.string(): sqltypes.VARCHAR,
    }
    if pa.types.is_list(dtype):
        return duckdb.list_type(_duckdb_type(dtype.value_type))
    if pa.types.is_struct(dtype):
        return duckdb.struct_type({field.name: _duckdb_type(field.type) for field in dtype})
    return simple[dtype]


_SIGNATURES: dict[str, tuple[Callable[..., pa.Array], list[pa.DataType], pa.DataType]] = {
    GRAPH_FUNCTION: (
        graph_metrics,
        [pa.string(), pa.string(), pa.int64(), pa.list_(pa.int64()), pa.list_(pa.int32())],
        GRAPH_TYPE,
    ),
    EQUITY_FUNCTION: (
        equity_pagerank,
        [
            pa.string(),
            pa.string(),
            pa.int64(),
            pa.list_(pa.struct([("edge", pa.int64()), ("nofollow", pa.bool_()), ("position", pa.int32())])),
            pa.list_(pa.int64()),
            pa.list_(pa.struct([("node", pa.int32()), ("target", pa.int32())])),
            pa.list_(pa.float64()),
            pa.bool_(),
        ],
        EQUITY_TYPE,
    ),
}


def register_functions(con: duckdb.DuckDBPyConnection) -> None:
    """Register the graph functions on ``con`` (replacing earlier registrations)."""
    for name, (function, parameters, returns) in _SIGNATURES.items():
        with contextlib.suppress(duckdb.InvalidInputException):
            con.remove_function(name)
        con.create_function(
            name,
            function,
            [_duckdb_type(parameter) for parameter in parameters],
            _duckdb_type(returns),
            type="arrow",
        )

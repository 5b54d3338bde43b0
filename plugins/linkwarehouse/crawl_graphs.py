"""Feed the dbt Python models (int_click_depth, int_pagerank) one crawl's graph at a time.

The dense node ids are assigned in SQL (int_graph_nodes_indexed), so this module only slices
the DuckDB relations per crawl into numpy arrays and wraps results back into Arrow tables.
Going crawl by crawl bounds memory to the largest crawl and is the unit issue 6 makes
incremental (only crawls missing from the existing table need computing).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from linkwarehouse.graph import GraphError

__all__ = ["CrawlGraph", "concat_tables", "crawl_graphs"]


@dataclass(frozen=True)
class CrawlGraph:
    """The followed-edge graph of one crawl; ``urls[i]`` is the URL of node ``i``."""

    site: str
    crawl_id: str
    urls: pa.Array
    sources: npt.NDArray[np.int64]
    targets: npt.NDArray[np.int64]
    starts: npt.NDArray[np.int64]

    @property
    def n_nodes(self) -> int:
        return len(self.urls)

    def table(self, columns: dict[str, pa.Array]) -> pa.Table:
        """One row per node: ``site, crawl_id, url`` followed by ``columns`` (node order)."""
        n = self.n_nodes
        return pa.table(
            {
                "site": pa.repeat(pa.scalar(self.site, pa.string()), n),
                "crawl_id": pa.repeat(pa.scalar(self.crawl_id, pa.string()), n),
                "url": self.urls,
                **columns,
            }
        )


def _crawl_filter(site: str, crawl_id: str) -> duckdb.Expression:
    return (duckdb.ColumnExpression("site") == duckdb.ConstantExpression(site)) & (
        duckdb.ColumnExpression("crawl_id") == duckdb.ConstantExpression(crawl_id)
    )


def crawl_graphs(nodes: duckdb.DuckDBPyRelation, edges: duckdb.DuckDBPyRelation) -> Iterator[CrawlGraph]:
    """Yield each crawl's graph from int_graph_nodes_indexed / int_graph_edges_indexed relations."""
    crawls = nodes.aggregate("site, crawl_id, count(*) as n_nodes", "site, crawl_id").order("site, crawl_id")
    for site, crawl_id, n_nodes in crawls.fetchall():
        where = _crawl_filter(site, crawl_id)
        node_rel = nodes.filter(where).project("node_id, url, is_start_url").order("node_id")
        node_table = node_rel.to_arrow_table()
        node_ids = node_table["node_id"].to_numpy()
        if not np.array_equal(node_ids, np.arange(n_nodes)):
            raise GraphError(f"site {site!r} crawl {crawl_id!r}: node ids are not dense 0..{n_nodes - 1}")
        edge_arrays = edges.filter(where).project("source_node_id, target_node_id").fetchnumpy()
        is_start = node_table["is_start_url"].fill_null(False).to_numpy()
        yield CrawlGraph(
            site=site,
            crawl_id=crawl_id,
            urls=node_table["url"].combine_chunks(),
            sources=np.asarray(edge_arrays["source_node_id"], dtype=np.int64),
            targets=np.asarray(edge_arrays["target_node_id"], dtype=np.int64),
            starts=np.flatnonzero(is_start).astype(np.int64),
        )


def concat_tables(tables: list[pa.Table], schema: pa.Schema) -> pa.Table:
    """All crawls' results in one table; a typed empty table when there is no crawl yet."""
    if not tables:
        return schema.empty_table()
    return pa.concat_tables([table.cast(schema) for table in tables])

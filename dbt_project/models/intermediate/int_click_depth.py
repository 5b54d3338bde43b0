"""One row per URL per crawl: breadth-first click depth over followed edges (null = unreachable).

Depth is computed, never taken from the crawler's discovery order (depth_seen), because a
crawler's queue order is not breadth-first. The graph work lives in linkwarehouse.graph.
"""

import pyarrow as pa

from linkwarehouse.crawl_graphs import concat_tables, crawl_graphs
from linkwarehouse.graph import bfs_depths

SCHEMA = pa.schema(
    [("site", pa.string()), ("crawl_id", pa.string()), ("url", pa.string()), ("click_depth", pa.int32())]
)


def model(dbt, session):
    dbt.config(materialized="table")
    nodes = dbt.ref("int_graph_nodes_indexed")
    edges = dbt.ref("int_graph_edges_indexed")
    tables = []
    for graph in crawl_graphs(nodes, edges):
        depths = bfs_depths(graph.sources, graph.targets, graph.n_nodes, graph.starts)
        tables.append(graph.table({"click_depth": pa.array(depths, type=pa.int32(), mask=depths < 0)}))
    return concat_tables(tables, SCHEMA)

"""One row per URL per crawl: internal PageRank (sums to 1 per crawl) and its 0-100 link score.

Nodes are every URL with a crawl/pages row, edges the distinct followed pairs; damping 0.85,
dangling score spread over all nodes, L1 tolerance 1e-12 (linkwarehouse.graph.pagerank).
"""

import pyarrow as pa

from linkwarehouse.crawl_graphs import concat_tables, crawl_graphs
from linkwarehouse.graph import link_scores, pagerank

SCHEMA = pa.schema(
    [
        ("site", pa.string()),
        ("crawl_id", pa.string()),
        ("url", pa.string()),
        ("internal_pagerank", pa.float64()),
        ("link_score", pa.float64()),
        ("pagerank_iterations", pa.int32()),
    ]
)


def model(dbt, session):
    dbt.config(materialized="table")
    nodes = dbt.ref("int_graph_nodes_indexed")
    edges = dbt.ref("int_graph_edges_indexed")
    tables = []
    for graph in crawl_graphs(nodes, edges):
        result = pagerank(graph.sources, graph.targets, graph.n_nodes)
        if not result.converged:
            raise RuntimeError(
                f"site {graph.site!r} crawl {graph.crawl_id!r}: PageRank did not converge in "
                f"{result.iterations} iterations (L1 change {result.l1_change:.3e})"
            )
        columns = {
            "internal_pagerank": pa.array(result.scores),
            "link_score": pa.array(link_scores(result.scores)),
            "pagerank_iterations": pa.repeat(pa.scalar(result.iterations, pa.int32()), graph.n_nodes),
        }
        tables.append(graph.table(columns))
    return concat_tables(tables, SCHEMA)

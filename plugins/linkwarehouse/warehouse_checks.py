"""Sanity checks on a freshly built warehouse file, run after ``dbt build`` and before publishing.

dbt's own tests check each model's logic; these checks compare the build with the outside
world (the lake's ``_SUCCESS`` manifests) so a crawl that the build silently lost, graph
metrics reused from an earlier build that no longer match the crawl, or a PageRank that no
longer sums to 1, block the publish instead of reaching BI.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import duckdb

__all__ = ["PAGERANK_TOLERANCE", "sanity_problems"]

PAGERANK_TOLERANCE = 1e-9


def _manifest_rows(manifests: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], int]:
    """URLs per crawl: the pages rows less the index files folded into their directory (they
    are that directory's page in the warehouse)."""
    rows = {}
    for manifest in manifests:
        partition = manifest["partition"]
        rows[(partition["site"], partition["crawl_id"])] = int(manifest["rows"]) - int(
            manifest.get("folded_rows", 0)
        )
    return rows


def _rows_per_crawl(con: duckdb.DuckDBPyConnection, relation: str) -> dict[tuple[str, str], int]:
    rows = con.table(relation).aggregate("site, crawl_id, count(*)", "site, crawl_id").fetchall()
    return {(site, crawl_id): count for site, crawl_id, count in rows}


def sanity_problems(con: duckdb.DuckDBPyConnection, page_manifests: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every way the built file disagrees with the crawl/pages manifests; empty when it is sound.

    ``page_manifests`` are :func:`linkwarehouse.lake.published_manifests` of ``crawl/pages``.
    Only published crawls (those in ``int_crawls_sequenced``) are compared: a pages partition
    without a crawl/runs row is an unfinished crawl and rightly absent from the marts.
    """
    expected = _manifest_rows(page_manifests)
    crawls = con.sql("select site, crawl_id from intermediate.int_crawls_sequenced order by all").fetchall()
    built = {
        relation: _rows_per_crawl(con, relation)
        for relation in ("main.page_link_metrics", "intermediate.int_graph_metrics")
    }
    problems = []
    for site, crawl_id in crawls:
        where = f"site {site!r} crawl {crawl_id!r}"
        manifest_rows = expected.get((site, crawl_id))
        if manifest_rows is None:
            problems.append(f"{where}: published but crawl/pages has no _SUCCESS manifest")
            continue
        for relation, counts in built.items():
            rows = counts.get((site, crawl_id), 0)
            if rows != manifest_rows:
                name = relation.split(".")[1]
                problems.append(f"{where}: {name} has {rows} rows, the pages manifest {manifest_rows}")
    for site, crawl_id, total, equity_total in con.sql(
        "select site, crawl_id, sum(internal_pagerank), coalesce(sum(equity_pagerank), 1.0) "
        "from main.page_link_metrics group by all order by all"
    ).fetchall():
        where = f"site {site!r} crawl {crawl_id!r}"
        if total is None or abs(total - 1.0) > PAGERANK_TOLERANCE:
            problems.append(f"{where}: internal_pagerank sums to {total!r}, not 1")
        if abs(equity_total - 1.0) > PAGERANK_TOLERANCE:
            problems.append(f"{where}: equity_pagerank sums to {equity_total!r}, not 1")
    return problems

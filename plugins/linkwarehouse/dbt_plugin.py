"""dbt-duckdb plugin: registers the graph functions of :mod:`linkwarehouse.crawl_graphs`.

Listed under ``plugins:`` in ``dbt_project/profiles.yml``, so every connection dbt opens
(model builds, data tests and unit tests alike) can call ``lw_graph_metrics`` and
``lw_equity_pagerank``.
"""

from __future__ import annotations

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from linkwarehouse.crawl_graphs import register_functions


class Plugin(BasePlugin):
    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        register_functions(conn)

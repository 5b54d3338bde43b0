"""A rebuild of a copy of the session's published warehouse, while a BI client holds it open.

Since the session build: a new GA4 day, a new shop crawl, the shop site switched to a diluting
equity variant in sites.yaml, and relations of an older project version planted in the
published file (with the retired mart's export and a killed build's temp file beside it). The
rebuild must reuse the graph metrics of unchanged crawls, compute only the new and the
reconfigured ones, drop the old relations and files, and neither block the BI client nor
change what its open connection sees.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from linkwarehouse.lake import PartitionWriter
from linkwarehouse.settings import Settings
from linkwarehouse.warehouse import BuildResult, build_warehouse
from tests.warehouse.conftest import published_copy
from tests.warehouse.lake_fixture import DEMO, SHOP, url, write_crawl

pytestmark = pytest.mark.integration

# A BI client in its own process: holds one read-only connection, reports, waits, reports again.
BI_CLIENT = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
query = "select count(*), count(distinct crawl_id) from page_link_metrics"
print(*con.execute(query).fetchone(), flush=True)
sys.stdin.readline()
print(*con.execute(query).fetchone(), flush=True)
"""


def shop_crawl(pages: list[str], started: datetime) -> dict:
    return {
        "pages": [
            {"url": url(p, SHOP), "final_url": url(p, SHOP), "status": 200, "content_type": "text/html"}
            for p in pages
        ],
        "links": [],
        "sitemap": [],
        "started_at": started,
        "start_urls": [url("/", SHOP)],
    }


GRAPH_ROWS = "select site, crawl_id, graph_invocation_id, graph_computed_at, equity_variant"

SITES = """
sites:
  - name: demo
    start_urls: ["https://example.com/"]
  - name: shop
    start_urls: ["https://shop.example/"]
    warehouse:
      equity:
        nofollow: dilute
"""


def graph_state(path: Path) -> dict[tuple[str, str], set[tuple]]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(f"{GRAPH_ROWS} from intermediate.int_graph_metrics").fetchall()
    state: dict[tuple[str, str], set[tuple]] = {}
    for site, crawl_id, *values in rows:
        state.setdefault((site, crawl_id), set()).add(tuple(values))
    return state


@pytest.fixture(scope="module")
def rebuilt(
    built: BuildResult, warehouse_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Settings, dict, BuildResult, list[list[str]]]:
    base = tmp_path_factory.mktemp("incremental")
    settings = published_copy(built, warehouse_settings, base)
    config = base / "sites.yaml"
    config.write_text(SITES)
    settings = dataclasses.replace(settings, config_path=config)
    before = graph_state(settings.marts_path)
    with duckdb.connect(str(settings.marts_path)) as con:
        con.execute("create table intermediate.int_pagerank as select 1 as retired")
        con.execute("create table main.retired_mart as select 1 as retired")
        con.execute("create view staging.stg_retired as select 1 as retired")
        # What the retired mart's export and a build killed while exporting left behind.
        con.execute(f"copy main.retired_mart to '{settings.exports_dir / 'retired_mart.parquet'}'")
        con.execute(f"copy main.retired_mart to '{settings.exports_dir / '.site_kpis.killed.parquet.tmp'}'")
    with PartitionWriter(settings.lake_root, "ga4_pages", {"site": "demo", "date": "2024-01-15"}) as writer:
        writer.append(
            {
                "page_url": f"{DEMO}/a",
                "host_name": "example.com",
                "page_path": "/a",
                "sessions": 4,
                "views": 5,
            }
        )
        writer.publish()
    write_crawl(
        settings.lake_root, "shop", "s2", shop_crawl(["/", "/p", "/q"], datetime(2024, 3, 1, tzinfo=UTC))
    )
    client = subprocess.Popen(
        [sys.executable, "-c", BI_CLIENT, str(settings.marts_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert client.stdout is not None and client.stdin is not None
        seen = [client.stdout.readline().split()]
        result = build_warehouse(settings, run_id="while-bi-reads", lock_timeout=5)
        client.stdin.write("again\n")
        client.stdin.flush()
        seen.append(client.stdout.readline().split())
    finally:
        client.communicate(timeout=30)
    assert client.returncode == 0
    return settings, before, result, seen


def test_read_only_bi_client_never_blocks_a_build_nor_sees_it_half_done(
    rebuilt: tuple[Settings, dict, BuildResult, list[list[str]]],
) -> None:
    settings, _, result, seen = rebuilt
    assert seen == [["29", "3"], ["29", "3"]], "the open connection keeps the old warehouse"
    assert result.row_counts["page_link_metrics"] == 32
    with duckdb.connect(str(settings.marts_path), read_only=True) as con:
        published = con.execute("select count(*), count(distinct crawl_id) from page_link_metrics").fetchone()
    assert published == (32, 4)
    assert pq.read_table(settings.exports_dir / "page_link_metrics.parquet").num_rows == 32


def test_unchanged_crawls_keep_their_graph_metrics(
    rebuilt: tuple[Settings, dict, BuildResult, list[list[str]]],
) -> None:
    settings, before, *_ = rebuilt
    after = graph_state(settings.marts_path)
    assert after[("demo", "jan")] == before[("demo", "jan")]
    assert after[("demo", "feb")] == before[("demo", "feb")]
    assert len(after[("demo", "feb")]) == 1, "one computation (invocation and time) per crawl"


def test_a_new_crawl_is_computed_by_the_rebuild(
    rebuilt: tuple[Settings, dict, BuildResult, list[list[str]]],
) -> None:
    settings, before, *_ = rebuilt
    after = graph_state(settings.marts_path)
    ((invocation, _, variant),) = after[("shop", "s2")]
    assert ("shop", "s2") not in before
    assert invocation == next(iter(after[("shop", "s1")]))[0], "computed by the same rebuild"
    assert variant == "eligibility=all;nofollow=dilute;weights=none"


def test_a_site_whose_equity_variant_changed_is_recomputed(
    rebuilt: tuple[Settings, dict, BuildResult, list[list[str]]],
) -> None:
    settings, before, *_ = rebuilt
    ((invocation, _, variant),) = graph_state(settings.marts_path)[("shop", "s1")]
    ((old_invocation, _, old_variant),) = before[("shop", "s1")]
    assert invocation != old_invocation
    assert (old_variant, variant) == (
        "eligibility=all;nofollow=ignore;weights=none",
        "eligibility=all;nofollow=dilute;weights=none",
    )


def test_the_new_ga4_day_reaches_the_marts(
    rebuilt: tuple[Settings, dict, BuildResult, list[list[str]]],
) -> None:
    settings, *_ = rebuilt
    with duckdb.connect(str(settings.marts_path), read_only=True) as con:
        sessions = con.execute(
            "select sessions_28d, pageviews_28d from page_link_metrics where crawl_id = 'feb' and url = ?",
            [f"{DEMO}/a"],
        ).fetchall()
    assert sessions == [(4, 5)]


def test_relations_the_project_no_longer_defines_are_dropped(
    rebuilt: tuple[Settings, dict, BuildResult, list[list[str]]],
) -> None:
    settings, _, result, _ = rebuilt
    with duckdb.connect(str(settings.marts_path), read_only=True) as con:
        left = con.execute(
            "select table_name from information_schema.tables where table_name in "
            "('int_pagerank', 'retired_mart', 'stg_retired')"
        ).fetchall()
    assert left == []
    assert "retired_mart" not in result.exports
    assert sorted(path.name for path in settings.exports_dir.iterdir()) == sorted(
        f"{mart}.parquet" for mart in result.exports
    ), "no export of a retired mart, no temp file of a killed build"

"""Google's follow semantics in the warehouse: one definition, a per-site switch, old lake partitions.

Two sites crawl the same 10 pages: ``strict`` keeps the default (rel=sponsored / rel=ugc are not
followed), ``relaxed`` sets ``links.sponsored_ugc_as_nofollow: false``. Planted: a hub whose meta
robots says nofollow, a hub whose X-Robots-Tag says ``googlebot: nofollow``, rel=sponsored,
rel=ugc, rel="nofollow sponsored", and a rel=ugc link to a 404. ``strict`` also has an older
crawl written in lake schema 2 (no ``nofollow_reason`` column, no ``meta_googlebot``, and the
placeholders of that schema): its reasons come from ``rel`` alone. Then ``relaxed`` is switched
back to the default and the warehouse rebuilt incrementally: only its graph is recomputed.
Every expected row below is written out from that design.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from linkwarehouse.lake import ensure_placeholders
from linkwarehouse.lake.schemas import TABLES
from linkwarehouse.settings import Settings
from linkwarehouse.warehouse import BuildResult, build_warehouse
from tests.warehouse.conftest import make_settings
from tests.warehouse.lake_fixture import write_crawl

pytestmark = pytest.mark.integration

BASES = {"strict": "https://strict.example", "relaxed": "https://relaxed.example"}
SITES = """
sites:
  - name: strict
    start_urls: ["https://strict.example/"]
  - name: relaxed
    start_urls: ["https://relaxed.example/"]
{relaxed_links}"""
RELAXED = "    links:\n      sponsored_ugc_as_nofollow: false\n"

PAGES = {
    "/": {},
    "/hub-meta": {"meta_robots": "nofollow"},
    "/hub-header": {"x_robots_tag": "googlebot: nofollow"},
    "/plain": {},
    "/m": {},
    "/h": {},
    "/ad": {},
    "/forum": {},
    "/both": {},
    "/missing": {"status": 404},
}
# (source, target, rel, nofollow_reason) as the crawler writes them.
LINKS = [
    ("/", "/hub-meta", [], []),
    ("/", "/hub-header", [], []),
    ("/", "/plain", [], []),
    ("/", "/ad", ["sponsored"], ["rel_sponsored"]),
    ("/", "/forum", ["ugc"], ["rel_ugc"]),
    ("/", "/both", ["nofollow", "sponsored"], ["rel_nofollow", "rel_sponsored"]),
    ("/hub-meta", "/m", [], ["meta_robots"]),
    ("/hub-meta", "/", [], ["meta_robots"]),
    ("/hub-header", "/h", [], ["x_robots_tag"]),
    ("/plain", "/missing", ["ugc"], ["rel_ugc"]),
]


def crawl(site: str, started: datetime, sponsored_ugc_as_nofollow: bool) -> dict:
    base = BASES[site]
    pages = [
        {"url": base + path, "final_url": base + path, "status": 200, "content_type": "text/html", **facts}
        for path, facts in PAGES.items()
    ]
    links = []
    for source, target, rel, reasons in LINKS:
        counted = [r for r in reasons if sponsored_ugc_as_nofollow or r not in ("rel_sponsored", "rel_ugc")]
        ordinal = 1 + sum(1 for link in links if link["source_url"] == base + source)
        links.append(
            {
                "source_url": base + source,
                "target_url": base + target,
                "raw_href": target,
                "href_kind": "http",
                "anchor_text": target,
                "kind": "a",
                "rel": rel,
                "nofollow": bool(counted),
                "nofollow_reason": reasons,
                "position": "content",
                "ordinal": ordinal,
                "is_internal": True,
            }
        )
    return {"pages": pages, "links": links, "sitemap": [], "started_at": started, "start_urls": [base + "/"]}


def as_schema_2(lake: Path, site: str, crawl_id: str) -> None:
    """Rewrite one crawl's links and pages files, and every placeholder, without the schema 3 columns."""
    dropped = {"crawl/links": ["nofollow_reason"], "crawl/pages": ["meta_googlebot"]}
    for table, columns in dropped.items():
        files = [*(lake / table / f"site={site}" / f"crawl_id={crawl_id}").glob("*.parquet")]
        files += [*(lake / table / "site=_empty" / "crawl_id=_empty").glob("*.parquet")]
        for path in files:
            data = pq.read_table(path).drop_columns(columns)
            if table == "crawl/links":  # schema 2: nofollow meant rel=nofollow
                nofollow = [("nofollow" in (rel or [])) for rel in data.column("rel").to_pylist()]
                index = data.schema.get_field_index("nofollow")
                data = data.set_column(index, "nofollow", pa.array(nofollow, pa.bool_()))
            pq.write_table(data, path)
    assert "nofollow_reason" not in pq.read_schema(files[0]).names


def write_follow_lake(lake: Path) -> None:
    write_crawl(lake, "strict", "old", crawl("strict", datetime(2024, 1, 1, tzinfo=UTC), True))
    ensure_placeholders(lake)
    as_schema_2(lake, "strict", "old")
    write_crawl(lake, "strict", "new", crawl("strict", datetime(2024, 2, 1, tzinfo=UTC), True))
    write_crawl(lake, "relaxed", "new", crawl("relaxed", datetime(2024, 2, 1, tzinfo=UTC), False))


@dataclasses.dataclass
class Builds:
    settings: Settings
    first: BuildResult
    first_rows: dict
    second: BuildResult
    second_rows: dict
    graph_runs: tuple[dict, dict]


def metrics(settings: Settings) -> dict:
    with duckdb.connect(str(settings.marts_path), read_only=True) as con:
        pages = con.execute(
            "select site, crawl_id, url, click_depth, is_orphan, nofollow_inlinks, unique_followed_inlinks "
            "from page_link_metrics"
        ).fetchall()
        broken = con.execute(
            "select site, crawl_id, target_url, is_nofollow, nofollow_reason from broken_internal_links"
        ).fetchall()
        graph = con.execute(
            "select distinct site, crawl_id, graph_invocation_id from intermediate.int_graph_metrics"
        ).fetchall()
    rows: dict = {}
    for site, crawl_id, url, *values in pages:
        rows.setdefault((site, crawl_id), {})[url.removeprefix(BASES[site])] = tuple(values)
    for site, crawl_id, target, *values in broken:
        rows[site, crawl_id]["broken " + target.removeprefix(BASES[site])] = tuple(values)
    return rows, {(site, crawl_id): invocation for site, crawl_id, invocation in graph}


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    base = tmp_path_factory.mktemp("follow")
    config = base / "sites.yaml"
    config.write_text(SITES.format(relaxed_links=RELAXED))
    settings = dataclasses.replace(make_settings(base), config_path=config)
    write_follow_lake(settings.lake_root)
    first = build_warehouse(settings, run_id="follow-1")
    first_rows, first_graph = metrics(settings)
    config.write_text(SITES.format(relaxed_links=""))  # relaxed back to the default
    second = build_warehouse(settings, run_id="follow-2")
    second_rows, second_graph = metrics(settings)
    return Builds(settings, first, first_rows, second, second_rows, (first_graph, second_graph))


# path: (click_depth, is_orphan, nofollow_inlinks, unique_followed_inlinks)
STRICT = {
    "/": (0, False, 1, 0),
    "/hub-meta": (1, False, 0, 1),
    "/hub-header": (1, False, 0, 1),
    "/plain": (1, False, 0, 1),
    "/m": (None, True, 1, 0),
    "/h": (None, True, 1, 0),
    "/ad": (None, True, 1, 0),
    "/forum": (None, True, 1, 0),
    "/both": (None, True, 1, 0),
    "/missing": (None, False, 1, 0),
    "broken /missing": (True, ["rel_ugc"]),
}
RELAXED_ROWS = {
    **STRICT,
    "/ad": (1, False, 0, 1),
    "/forum": (1, False, 0, 1),
    "/missing": (2, False, 0, 1),
    "broken /missing": (False, ["rel_ugc"]),
}
# Schema 2: reasons from rel only; the hubs' page-level nofollow was not recorded then.
STRICT_OLD = {
    **STRICT,
    "/": (0, False, 0, 1),
    "/m": (2, False, 0, 1),
    "/h": (2, False, 0, 1),
}


def test_one_definition_per_site_switch_and_old_partitions(builds: Builds) -> None:
    assert builds.first_rows == {
        ("strict", "new"): STRICT,
        ("strict", "old"): STRICT_OLD,
        ("relaxed", "new"): RELAXED_ROWS,
    }


def test_switching_a_site_back_recomputes_only_its_graph(builds: Builds) -> None:
    assert builds.second_rows == {
        ("strict", "new"): STRICT,
        ("strict", "old"): STRICT_OLD,
        ("relaxed", "new"): STRICT,
    }
    before, after = builds.graph_runs
    assert {key for key in before if before[key] != after[key]} == {("relaxed", "new")}


def test_placeholders_were_brought_to_the_current_schema(builds: Builds) -> None:
    placeholder = builds.settings.lake_root / "crawl/links/site=_empty/crawl_id=_empty/part-00000.parquet"
    assert pq.read_schema(placeholder).equals(TABLES["crawl/links"].schema)

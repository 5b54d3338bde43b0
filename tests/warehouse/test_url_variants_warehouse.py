"""URL variants through the whole pipeline: a real crawl of two small local sites, a real build.

``docs`` folds index files (``fold_index`` with index.html and index.htm): every page links
``/more/index.htm``, a 404, whose directory nobody links; the warehouse must report that URL
as the broken link target, not ``/more/``. ``/docs/index.html`` answers exactly like ``/docs/``
and is folded, its GA4 sessions included. ``shop`` hands out session ids: ``?zenid=`` variants
recorded as variants of their canonical, passing a level and their equity on to it.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import duckdb
import pytest

from linkwarehouse.lake import PartitionWriter
from linkwarehouse.warehouse import build_warehouse
from tests.crawler.conftest import SiteServer, lake_rows, run_crawl, write_config
from tests.crawler.variant_sites import DOCS_SITE, SESSION_SITE
from tests.warehouse.conftest import make_settings

pytestmark = pytest.mark.integration

CONFIG = """sites:
  - name: docs
    start_urls: ["{docs}/"]
    crawl: {{concurrency: 2, timeout: 10, allow_private_networks: ["127.0.0.1/32"]}}
    urls: {{fold_index: true, index_files: [index.html, index.htm]}}
  - name: shop
    start_urls: ["{shop}/"]
    crawl: {{concurrency: 2, timeout: 10, allow_private_networks: ["127.0.0.1/32"], workers: 2}}
"""


def _ga4(url: str, sessions: int) -> dict[str, Any]:
    return {"page_url": url, "page_path": url, "sessions": sessions, "views": sessions, "is_other": False}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("variants")
    lake = root / "lake"
    with SiteServer(DOCS_SITE) as docs, SiteServer(SESSION_SITE) as shop:
        config = write_config(root / "sites.yaml", CONFIG.format(docs=docs.base, shop=shop.base))
        for site in ("docs", "shop"):
            result = run_crawl(config, site, "c1", lake, timeout=120)
            assert result.returncode == 0, result.stderr[-3000:]
    # GA4 of the day before the crawl (inside its window): the index file's visits and the directory's.
    (run,) = [row for row in lake_rows(lake, "crawl/runs", "crawl_id") if row["site"] == "docs"]
    day = str(run["started_at"].date() - timedelta(days=1))
    with PartitionWriter(lake, "ga4_pages", {"site": "docs", "date": day}) as writer:
        writer.extend([_ga4(f"{docs.base}/docs/index.html", 5), _ga4(f"{docs.base}/docs/", 7)])
        writer.publish()
    settings = dataclasses.replace(make_settings(root, lake), config_path=config)
    result = build_warehouse(settings, run_id="variants")
    con = duckdb.connect(str(result.marts_path), read_only=True)
    yield {"con": con, "bases": {"docs": docs.base, "shop": shop.base}}
    con.close()


def query(built: dict[str, Any], site: str, sql: str) -> list[tuple]:
    base = built["bases"][site]
    rows = built["con"].execute(sql, [site]).fetchall()
    return [tuple(v.replace(base, "") if isinstance(v, str) else v for v in row) for row in rows]


def test_index_files_fold_only_into_a_directory_that_answered_the_same(built: dict[str, Any]) -> None:
    rows = query(
        built,
        "docs",
        "select url, status, unique_inlinks, total_inlinks, click_depth, is_orphan, sessions_28d "
        "from page_link_metrics where site = ? order by url",
    )
    assert rows == [
        ("/", 200, 0, 0, 0, False, 0),
        ("/docs/", 200, 2, 3, 1, False, 12),  # 7 own sessions + 5 of /docs/index.html
        ("/docs/intro", 200, 1, 1, 2, False, 0),
        ("/guide/", 200, 1, 1, 1, False, 0),
        ("/guide/index.html", 200, 1, 1, 1, False, 0),  # other text: a page of its own
        ("/more/index.htm", 404, 1, 1, 1, False, 0),  # never reported as /more/
        ("/old-docs", 301, 1, 1, 1, False, 0),
        ("/solo/index.html", 200, 1, 1, 1, False, 0),  # its directory was never fetched
    ]
    assert query(
        built, "docs", "select source_url, target_url, target_status from broken_internal_links where site = ?"
    ) == [("/", "/more/index.htm", 404)]
    assert query(
        built, "docs", "select url from url_inventory where site = ? and url like '%/docs/index.html'"
    ) == []


def test_session_variants_are_canonicalised_pages_that_lead_to_their_canonical(built: dict[str, Any]) -> None:
    rows = query(
        built,
        "shop",
        "select url, indexable, is_canonicalised, unique_inlinks, total_outlinks, click_depth, is_orphan "
        "from page_link_metrics where site = ? order by url",
    )
    assert rows == [
        ("/", True, False, 0, 5, 0, False),
        ("/?zenid=s2", False, True, 1, 0, 3, False),
        ("/p/", True, False, 1, 1, 1, False),  # the stripped ;jsessionid=, PHPSESSID and sid links
        ("/p/?zenid=s0", False, True, 1, 0, 1, False),
        ("/q/", True, False, 0, 1, 2, False),  # reached through its variant's canonical: no orphan
        ("/q/?zenid=s0", False, True, 1, 0, 1, False),
        ("/q/?zenid=s1", False, True, 1, 0, 2, False),
    ]
    assert query(
        built,
        "shop",
        "select source_url, target_url, target_canonical from canonicalised_internal_links "
        "where site = ? order by source_url, ordinal",
    ) == [
        ("/", "/p/?zenid=s0", "/p/"),
        ("/", "/q/?zenid=s0", "/q/"),
        ("/p/", "/q/?zenid=s1", "/q/"),
        ("/q/", "/?zenid=s2", "/"),
    ]
    (runs,) = built["con"].execute("select count(*) from site_kpis where site = 'shop'").fetchall()
    assert runs == (1,)

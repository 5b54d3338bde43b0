"""LakePipeline: final_url resolution, publish-then-commit on 'finished', abort on anything else."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from twisted.python.failure import Failure

from linkcrawler.items import PageItem, RedirectItem, SitemapItem
from linkcrawler.pipelines import LakePipeline
from linkcrawler.publish import resolve_final_urls
from linkcrawler.spiders.site import SiteSpider
from linkwarehouse.lake import PartitionWriter, published_manifests
from linkwarehouse.lake.schemas import CRAWL_PAGES

from .conftest import BASE, lake_rows, make_spider


@pytest.mark.parametrize(
    ("redirects", "finals"),
    [
        ({"/a": "/b", "/b": "/c"}, {"/a": "/c", "/b": "/c"}),
        ({"/a": "/b", "/b": "/a"}, {"/a": None, "/b": None}),
        ({"/self": "/self"}, {"/self": None}),
        ({"/x": "https://other.org/"}, {"/x": "https://other.org/"}),
        ({"/a": "/b", "/b": None}, {"/a": "/b", "/b": "/b"}),
        ({"/a": "/b", "/b": "/c", "/c": "/b"}, {"/a": None, "/b": None, "/c": None}),
    ],
)
def test_resolve_final_urls(redirects: dict, finals: dict) -> None:
    assert resolve_final_urls(redirects) == finals


def page(url: str, status: int | None, **extra: object) -> dict:
    return {
        "url": url,
        "final_url": url,
        "status": status,
        "fetched_at": datetime(2025, 1, 1, tzinfo=UTC),
        "depth_seen": 1,
        "found_via": "link",
        **extra,
    }


LINK = {
    "source_url": f"{BASE}/",
    "target_url": f"{BASE}/old",
    "raw_href": "/old",
    "href_kind": "http",
    "anchor_text": "old",
    "kind": "a",
    "img_alt": None,
    "rel": ["nofollow"],
    "nofollow": True,
    "position": "content",
    "ordinal": 1,
    "is_internal": True,
    "nofollow_reason": ["rel_nofollow", "x_robots_tag"],
}

ITEMS = [
    PageItem(
        page(f"{BASE}/", 200),
        links=[LINK],
        hreflang=[{"url": f"{BASE}/", "hreflang": "en", "alternate_url": f"{BASE}/"}],
    ),
    PageItem(page(f"{BASE}/old", 301, redirect_location=f"{BASE}/new")),
    RedirectItem(
        {"url": f"{BASE}/old", "hop": 1, "status": 301, "location": f"{BASE}/new", "raw_location": "/new"}
    ),
    PageItem(page(f"{BASE}/new", 200)),
    PageItem(page(f"{BASE}/blocked", None, error="robots_disallowed")),
    SitemapItem(
        [{"url": f"{BASE}/", "raw_url": f"{BASE}/", "lastmod": None, "sitemap": f"{BASE}/sitemap.xml"}]
    ),
]


def run_pipeline(spider: SiteSpider, reason: str, items: list = ITEMS) -> LakePipeline:
    crawler = spider.crawler
    crawler.spider = spider
    pipeline = LakePipeline.from_crawler(crawler)
    pipeline.open_spider()
    for item in items:
        pipeline.process_item(item)
    pipeline.spider_closed(spider, reason)
    return pipeline


def test_finished_crawl_is_published_then_committed(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    pipeline = run_pipeline(spider, "finished")
    lake = spider.lake_root
    stats = spider.crawler.stats
    assert stats.get_value("linkwarehouse/published") is True
    pages = lake_rows(lake, "crawl/pages", "url")
    assert [(p["url"], p["status"], p["final_url"], p["error"], p["site"], p["crawl_id"]) for p in pages] == [
        (f"{BASE}/", 200, f"{BASE}/", None, "shop", "c1"),
        (f"{BASE}/blocked", None, f"{BASE}/blocked", "robots_disallowed", "shop", "c1"),
        (f"{BASE}/new", 200, f"{BASE}/new", None, "shop", "c1"),
        (f"{BASE}/old", 301, f"{BASE}/new", None, "shop", "c1"),
    ]
    (link,) = lake_rows(lake, "crawl/links", "ordinal")
    assert (link["rel"], link["nofollow"], link["nofollow_reason"]) == (
        ["nofollow"],
        True,
        ["rel_nofollow", "x_robots_tag"],
    )
    assert [m["rows"] for m in published_manifests(lake, "crawl/redirects")] == [1]
    assert [m["rows"] for m in published_manifests(lake, "crawl/sitemap_urls")] == [1]
    assert [m["rows"] for m in published_manifests(lake, "crawl/hreflang")] == [1]
    (run,) = lake_rows(lake, "crawl/runs", "crawl_id")
    assert {
        k: run[k] for k in ("crawl_id", "pages", "links", "errors", "stop_reason", "start_urls", "site")
    } == {
        "crawl_id": "c1",
        "pages": 4,
        "links": 1,
        "errors": 1,
        "stop_reason": "finished",
        "start_urls": [f"{BASE}/"],
        "site": "shop",
    }
    assert run["config_hash"] == spider.site_config.config_hash()
    assert run["started_at"] <= run["finished_at"]
    assert (
        stats.get_value("linkwarehouse/links/nofollow"),
        stats.get_value("linkwarehouse/links/nofollow_reason/rel_nofollow"),
        stats.get_value("linkwarehouse/links/nofollow_reason/x_robots_tag"),
        stats.get_value("linkwarehouse/links/nofollow_reason/rel_sponsored"),
        stats.get_value("linkwarehouse/pages/errors"),
    ) == (1, 1, 1, None, 1)
    assert not (lake / "_staging" / spider.run_id).exists()
    assert pipeline.pages == 4


def test_rerun_replaces_its_own_partition(tmp_path: Path) -> None:
    run_pipeline(make_spider(tmp_path), "finished")
    spider = make_spider(tmp_path)
    run_pipeline(spider, "finished", ITEMS[:1])
    assert [p["url"] for p in lake_rows(spider.lake_root, "crawl/pages", "url")] == [f"{BASE}/"]
    assert [r["pages"] for r in lake_rows(spider.lake_root, "crawl/runs", "crawl_id")] == [1]


def test_parts_left_by_a_killed_run_are_never_published(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    partition = {"site": "shop", "crawl_id": "c1"}
    killed = PartitionWriter(spider.lake_root, CRAWL_PAGES, partition, run_id=f"{spider.run_id}-w0")
    killed.append(page(f"{BASE}/stale", 200))
    killed.flush()  # a part on disk, then SIGKILL: no publish, no cleanup
    run_pipeline(spider, "finished")
    assert [p["url"] for p in lake_rows(spider.lake_root, "crawl/pages", "url")] == [
        f"{BASE}/",
        f"{BASE}/blocked",
        f"{BASE}/new",
        f"{BASE}/old",
    ]


@pytest.mark.parametrize("reason", ["shutdown", "cancelled", "closespider_timeout"])
def test_unfinished_crawl_is_not_published(tmp_path: Path, reason: str) -> None:
    spider = make_spider(tmp_path)
    run_pipeline(spider, reason)
    stats = spider.crawler.stats
    assert stats.get_value("linkwarehouse/published") is False
    assert (
        stats.get_value("linkwarehouse/abort_reason")
        == f"the crawl did not finish (Scrapy finish reason {reason!r})"
    )
    assert not (spider.lake_root / "crawl").exists()
    assert not (spider.lake_root / "_staging" / spider.run_id).exists()


def test_internal_error_aborts_even_a_finished_crawl(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    crawler = spider.crawler
    crawler.spider = spider
    pipeline = LakePipeline.from_crawler(crawler)
    pipeline.open_spider()
    pipeline.spider_error(Failure(ValueError("boom")), None, spider)
    pipeline.spider_closed(spider, "finished")
    assert (
        crawler.stats.get_value("linkwarehouse/abort_reason")
        == "1 internal error(s), first: callback for ?: boom"
    )
    assert not (spider.lake_root / "crawl").exists()


def test_unknown_items_are_refused(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    spider.crawler.spider = spider
    pipeline = LakePipeline.from_crawler(spider.crawler)
    pipeline.open_spider()
    with pytest.raises(TypeError, match="LakePipeline cannot write a dict item"):
        pipeline.process_item({"url": "x"})


def test_written_files_match_the_lake_schema(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    run_pipeline(spider, "finished")
    part = next((spider.lake_root / "crawl/pages").rglob("*.parquet"))
    assert pq.read_schema(part).equals(CRAWL_PAGES.schema, check_metadata=False)

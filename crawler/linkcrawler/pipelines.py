"""The one item pipeline: stage the crawl lake tables, publish them only for a complete crawl.

Rows are staged per table under ``<lake>/_staging/<run_id>-w<k>/`` while the crawl runs (k is
this process's worker number, 0 for a single-process crawl). When the spider closes with reason
``finished`` (a ``max_pages`` stop also finishes normally: the spider just stops admitting
URLs), a single-process crawl publishes here (publish.py); a worker of a multi-process crawl
hands its staged parts to the coordinator, which publishes once for all. Any other ending
(shutdown, cancel, every start URL refused (seeds.py), an exception in a callback or here)
aborts: staging removed, nothing published, the reason kept in the ``linkwarehouse/abort_reason``
stat for the CLI.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.crawler import Crawler
from twisted.python.failure import Failure

from linkcrawler.items import PageItem, RedirectItem, Row, SitemapItem
from linkcrawler.publish import CrawlOutcome, discard_staging, publish_crawl
from linkwarehouse.faults import kill_point
from linkwarehouse.lake import PartitionWriter
from linkwarehouse.lake.schemas import (
    CRAWL_HREFLANG,
    CRAWL_LINKS,
    CRAWL_PAGE_TEXT,
    CRAWL_PAGES,
    CRAWL_REDIRECTS,
    CRAWL_SITEMAP_URLS,
    CRAWL_SITEMAPS,
    CRAWL_TABLES,
)

if TYPE_CHECKING:
    from linkcrawler.spiders.site import SiteSpider

__all__ = ["PUBLISHABLE_REASONS", "LakePipeline"]

logger = logging.getLogger(__name__)

PUBLISHABLE_REASONS = frozenset({"finished"})
#: Rows buffered per table before a part is written: bounds a crawl's memory (main text rows
#: are large, link rows many); parts are cheap, the publisher moves them as they are.
BATCH_ROWS = {CRAWL_PAGE_TEXT.name: 2_000, CRAWL_LINKS.name: 25_000}


class LakePipeline:
    """Append rows to one PartitionWriter per crawl table; publish or abort when the spider closes."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.writers: dict[str, PartitionWriter] = {}
        self.pages = 0
        self.links = 0
        self.errors = 0
        self.internal_errors: list[str] = []
        self.started_at = datetime.now(UTC)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LakePipeline:
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(pipeline.spider_error, signal=signals.spider_error)
        crawler.signals.connect(pipeline.item_error, signal=signals.item_error)
        return pipeline

    @property
    def spider(self) -> SiteSpider:
        return self.crawler.spider  # type: ignore[return-value]

    @property
    def staging_run(self) -> str:
        return f"{self.spider.run_id}-w{self.spider.worker_index}"

    def open_spider(self) -> None:
        spider = self.spider
        partition = {"site": spider.site_config.name, "crawl_id": spider.crawl_id}
        self.started_at = datetime.now(UTC)
        self.writers = {
            table.name: PartitionWriter(
                spider.lake_root,
                table,
                partition,
                run_id=self.staging_run,
                batch_rows=BATCH_ROWS.get(table.name, 100_000),
            )
            for table in CRAWL_TABLES
        }

    def process_item(self, item: Any) -> Any:
        stats = self.crawler.stats
        if isinstance(item, PageItem):
            self._add_page(item)
        elif isinstance(item, RedirectItem):
            self.writers[CRAWL_REDIRECTS.name].append(item.row)
            stats.inc_value("linkwarehouse/redirects")
        elif isinstance(item, SitemapItem):
            self.writers[CRAWL_SITEMAP_URLS.name].extend(item.rows)
            if item.file is not None:
                self.writers[CRAWL_SITEMAPS.name].append(item.file)
            stats.inc_value("linkwarehouse/sitemap_urls", len(item.rows))
        else:
            raise TypeError(f"LakePipeline cannot write a {type(item).__name__} item")
        return item

    def _add_page(self, item: PageItem) -> None:
        stats = self.crawler.stats
        page = item.page
        status = page.get("status")
        self.pages += 1
        stats.inc_value("linkwarehouse/pages")
        stats.inc_value(f"linkwarehouse/pages/status/{status if status is not None else 'none'}")
        if page.get("error") is not None:
            self.errors += 1
            stats.inc_value("linkwarehouse/pages/errors")
        if page.get("trap_suspected") is not None:
            stats.inc_value("linkwarehouse/pages/trap_suspected")
        self.writers[CRAWL_PAGES.name].append(page)
        if item.links:
            self.writers[CRAWL_LINKS.name].extend(item.links)
            self.links += len(item.links)
            stats.inc_value("linkwarehouse/links", len(item.links))
            self._count_nofollow(item.links)
        if item.hreflang:
            self.writers[CRAWL_HREFLANG.name].extend(item.hreflang)
            stats.inc_value("linkwarehouse/hreflang", len(item.hreflang))
        if item.text is not None:
            self.writers[CRAWL_PAGE_TEXT.name].append(item.text)
        kill_point("crawl.page")

    def _count_nofollow(self, links: list[Row]) -> None:
        """``links/nofollow`` (not followed on this site) and ``links/nofollow_reason/<reason>``."""
        nofollow = 0
        reasons: Counter[str] = Counter()
        for link in links:
            if link["nofollow_reason"]:
                reasons.update(link["nofollow_reason"])
                nofollow += link["nofollow"]
        stats = self.crawler.stats
        if nofollow:
            stats.inc_value("linkwarehouse/links/nofollow", nofollow)
        for reason, count in reasons.items():
            stats.inc_value(f"linkwarehouse/links/nofollow_reason/{reason}", count)

    def spider_error(self, failure: Failure, response: Any, spider: Any) -> None:
        self.internal_errors.append(
            f"callback for {getattr(response, 'url', '?')}: {failure.getErrorMessage()}"
        )

    def item_error(self, item: Any, response: Any, spider: Any, failure: Failure) -> None:
        self.internal_errors.append(f"writing a {type(item).__name__}: {failure.getErrorMessage()}")

    def outcome(self, reason: str) -> CrawlOutcome:
        spider = self.spider
        return CrawlOutcome(
            finish_reason=reason,
            notes=dict(spider.notes),
            robots={
                origin: rules.describe(self.crawler.settings.get("USER_AGENT"))
                for origin, rules in spider.robots.known.items()
            },
            workers=spider.workers,
        )

    def spider_closed(self, spider: Any, reason: str) -> None:
        stats = self.crawler.stats
        if self.spider.refused is not None:
            self._abort(self.spider.refused)
            return
        if self.internal_errors:
            self._abort(f"{len(self.internal_errors)} internal error(s), first: {self.internal_errors[0]}")
            return
        if reason not in PUBLISHABLE_REASONS:
            self._abort(f"the crawl did not finish (Scrapy finish reason {reason!r})")
            return
        try:
            for writer in self.writers.values():
                writer.flush()
            if self.spider.remote is not None:
                self.spider.remote.staged(self.staging_run, self.outcome(reason))
                return
            row = self._publish(reason)
        except Exception as exc:
            logger.exception("publishing crawl %s failed", self.spider.crawl_id)
            self._abort(f"publishing failed: {type(exc).__name__}: {exc}")
            return
        stats.set_value("linkwarehouse/stop_reason", row["stop_reason"])
        # What was published (trap rows are added at publishing), not what passed through here.
        stats.set_value("linkwarehouse/pages", row["pages"])
        stats.set_value("linkwarehouse/pages/errors", row["errors"])
        stats.set_value("linkwarehouse/traps/volatile_params", len(row["volatile_params"]))
        stats.set_value("linkwarehouse/published", True)
        logger.info("published crawl %s of site %s", self.spider.crawl_id, self.spider.site_config.name)

    def _publish(self, reason: str) -> Row:
        spider = self.spider
        return publish_crawl(
            spider.lake_root,
            spider.site_config.name,
            spider.crawl_id,
            spider.run_id,
            [self.staging_run],
            spider.frontier,
            self.outcome(reason),
            {
                "started_at": self.started_at,
                "config_hash": spider.site_config.config_hash(),
                "start_urls": spider.seed_urls,
                "user_agent": self.crawler.settings.get("USER_AGENT"),
            },
            follow_nofollow=spider.follow_nofollow,
            normalize=spider.normalize,
            volatile_min_pages=spider.site_config.crawl.trap_volatile_param_pages,
        )

    def _abort(self, reason: str) -> None:
        logger.error("crawl %s NOT published: %s", self.spider.crawl_id, reason)
        stats = self.crawler.stats
        stats.set_value("linkwarehouse/stop_reason", self.spider.stop_reason)
        stats.set_value("linkwarehouse/published", False)
        stats.set_value("linkwarehouse/abort_reason", reason)
        for writer in self.writers.values():
            writer.abort()
        discard_staging(self.spider.lake_root, [self.staging_run])
        if self.spider.remote is not None:
            self.spider.remote.aborted(reason)

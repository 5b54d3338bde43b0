"""The one item pipeline: write the crawl lake tables and publish them only for a complete crawl.

Rows are staged per table under ``<lake>/_staging/<run_id>/`` while the crawl runs. When the
spider closes with reason ``finished`` (a ``max_pages`` stop also finishes normally: the spider
just stops admitting URLs) every partition ``site=<site>/crawl_id=<id>`` is published and THEN
the crawl/runs row is written: it is the commit marker the warehouse reads. Any other ending
(shutdown, cancel, an exception in a callback or here) aborts: staging removed, nothing
published, the reason kept in the ``linkwarehouse/abort_reason`` stat for the CLI.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.crawler import Crawler
from twisted.python.failure import Failure

from linkcrawler.items import PageItem, RedirectItem, Row, SitemapItem
from linkwarehouse.lake import PartitionWriter, partition_dir, write_file_partition
from linkwarehouse.lake.schemas import (
    CRAWL_HREFLANG,
    CRAWL_LINKS,
    CRAWL_PAGES,
    CRAWL_REDIRECTS,
    CRAWL_RUNS,
    CRAWL_SITEMAP_URLS,
    CRAWL_TABLES,
)
from linkwarehouse.lake.writer import STAGING

if TYPE_CHECKING:
    from linkcrawler.spiders.site import SiteSpider

logger = logging.getLogger(__name__)

PUBLISHABLE_REASONS = frozenset({"finished"})


def resolve_final_urls(redirects: Mapping[str, str | None]) -> dict[str, str | None]:
    """For each 3xx URL, the end of its redirect chain as far as this crawl followed it.

    ``redirects`` maps every 3xx URL to its normalised Location (``None`` when unusable). The
    chain ends at the first URL that is not itself a 3xx of this crawl; a loop gives ``None``.
    """
    finals: dict[str, str | None] = {}
    for start in redirects:
        current: str | None = start
        visited = {start}
        while current in redirects:
            following = redirects[current]
            if following is None:
                break
            if following in visited:
                current = None
                break
            visited.add(following)
            current = following
        finals[start] = current
    return finals


def _remove_empty_dirs(root: Path) -> None:
    """Remove empty folders under (and including) ``root``, never touching files."""
    if not root.is_dir():
        return
    for folder, _dirs, _files in os.walk(root, topdown=False):
        try:
            Path(folder).rmdir()
        except OSError:
            continue


class LakePipeline:
    """Append rows to one PartitionWriter per crawl table; publish or abort when the spider closes."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.writers: dict[str, PartitionWriter] = {}
        self.redirect_pages: list[Row] = []
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

    def open_spider(self) -> None:
        spider = self.spider
        partition = {"site": spider.site_config.name, "crawl_id": spider.crawl_id}
        self.started_at = datetime.now(UTC)
        self.writers = {
            table.name: PartitionWriter(spider.lake_root, table, partition, run_id=spider.run_id)
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
        if status is not None and 300 <= status < 400:
            self.redirect_pages.append(page)  # final_url is only known at the end
        else:
            self.writers[CRAWL_PAGES.name].append(page)
        if item.links:
            self.writers[CRAWL_LINKS.name].extend(item.links)
            self.links += len(item.links)
            stats.inc_value("linkwarehouse/links", len(item.links))
            nofollow = sum(1 for link in item.links if link["nofollow"])
            if nofollow:
                stats.inc_value("linkwarehouse/links/nofollow", nofollow)
        if item.hreflang:
            self.writers[CRAWL_HREFLANG.name].extend(item.hreflang)
            stats.inc_value("linkwarehouse/hreflang", len(item.hreflang))

    def spider_error(self, failure: Failure, response: Any, spider: Any) -> None:
        self.internal_errors.append(
            f"callback for {getattr(response, 'url', '?')}: {failure.getErrorMessage()}"
        )

    def item_error(self, item: Any, response: Any, spider: Any, failure: Failure) -> None:
        self.internal_errors.append(f"writing a {type(item).__name__}: {failure.getErrorMessage()}")

    def spider_closed(self, spider: Any, reason: str) -> None:
        stats = self.crawler.stats
        stats.set_value("linkwarehouse/stop_reason", self.spider.stop_reason)
        if self.internal_errors:
            self._abort(f"{len(self.internal_errors)} internal error(s), first: {self.internal_errors[0]}")
        elif reason not in PUBLISHABLE_REASONS:
            self._abort(f"the crawl did not finish (Scrapy finish reason {reason!r})")
        else:
            try:
                self._publish()
            except Exception as exc:
                logger.exception("publishing crawl %s failed", self.spider.crawl_id)
                self._abort(f"publishing failed: {type(exc).__name__}: {exc}")
                return
            stats.set_value("linkwarehouse/published", True)
            logger.info("published crawl %s of site %s", self.spider.crawl_id, self.spider.site_config.name)

    def _publish(self) -> None:
        spider = self.spider
        site = spider.site_config.name
        finals = resolve_final_urls({row["url"]: row.get("redirect_location") for row in self.redirect_pages})
        pages = self.writers[CRAWL_PAGES.name]
        for row in self.redirect_pages:
            row["final_url"] = finals[row["url"]]
            pages.append(row)
        # Withdraw an earlier runs row of this crawl id first: while partitions are swapped the
        # crawl is invisible rather than inconsistent.
        runs_dir = partition_dir(spider.lake_root, CRAWL_RUNS, {"site": site})
        (runs_dir / f"{spider.crawl_id}.parquet").unlink(missing_ok=True)
        extra = {"crawl_id": spider.crawl_id, "stop_reason": spider.stop_reason}
        for writer in self.writers.values():
            writer.publish(extra)
        write_file_partition(spider.lake_root, CRAWL_RUNS, {"site": site}, [self._runs_row()])
        _remove_empty_dirs(spider.lake_root / STAGING / spider.run_id)

    def _runs_row(self) -> Row:
        spider = self.spider
        return {
            "crawl_id": spider.crawl_id,
            "started_at": self.started_at,
            "finished_at": datetime.now(UTC),
            "pages": self.pages,
            "links": self.links,
            "errors": self.errors,
            "stop_reason": spider.stop_reason,
            "config_hash": spider.site_config.config_hash(),
            "start_urls": spider.seed_urls,
            "user_agent": self.crawler.settings.get("USER_AGENT"),
        }

    def _abort(self, reason: str) -> None:
        logger.error("crawl %s NOT published: %s", self.spider.crawl_id, reason)
        stats = self.crawler.stats
        stats.set_value("linkwarehouse/published", False)
        stats.set_value("linkwarehouse/abort_reason", reason)
        for writer in self.writers.values():
            writer.abort()
        _remove_empty_dirs(self.spider.lake_root / STAGING / self.spider.run_id)

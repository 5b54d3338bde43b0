"""Progress log: one line every few seconds so a long crawl shows it is alive and how fast.

Replaces Scrapy's per-minute LogStats with what an operator asks about a link crawl: pages
recorded, pages/s since the last line, requests waiting in the scheduler, errors.
"""

from __future__ import annotations

import logging
import time

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

logger = logging.getLogger(__name__)


class ProgressLog:
    """Logs ``pages``, ``pages/s``, ``queue``, ``in flight`` and ``errors`` every interval."""

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.task = None
        self._last_pages = 0
        self._last_time = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressLog:
        interval = crawler.settings.getfloat("LINKWAREHOUSE_PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured
        extension = cls(crawler, interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self) -> None:
        self._last_time = time.monotonic()
        self.task = create_looping_call(self.log_progress)
        self.task.start(self.interval, now=False)

    def spider_closed(self) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()

    def log_progress(self) -> None:
        stats = self.crawler.stats
        engine = self.crawler.engine
        pages = stats.get_value("linkwarehouse/pages", 0)
        now = time.monotonic()
        rate = (pages - self._last_pages) / max(now - self._last_time, 1e-9)
        self._last_pages, self._last_time = pages, now
        scheduler = engine.scheduler if engine is not None else None
        queued = len(scheduler) if scheduler is not None and hasattr(scheduler, "__len__") else 0
        in_flight = len(engine.downloader.active) if engine is not None else 0
        logger.info(
            "progress: %d pages (%.1f pages/s), queue %d, in flight %d, errors %d",
            pages,
            rate,
            queued,
            in_flight,
            stats.get_value("linkwarehouse/pages/errors", 0),
        )

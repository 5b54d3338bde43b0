"""Scrapy settings of the link crawler; per-site values come from :func:`site_settings`.

Only values that depart from Scrapy's defaults are set, each with the reason.
"""

from __future__ import annotations

from typing import Any

from linkwarehouse.config import SiteConfig

BOT_NAME = "linkcrawler"
SPIDER_MODULES = ["linkcrawler.spiders"]
NEWSPIDER_MODULE = "linkcrawler.spiders"

# Remote code execution / introspection ports have no place in a scheduled crawl.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

# Every hop is recorded as its own page row and fetched as its own request by the spider.
REDIRECT_ENABLED = False
# Same reason: a meta refresh must not be followed behind the crawl's back.
METAREFRESH_ENABLED = False
# 4xx/5xx pages are data (broken links), so they must reach the callback.
HTTPERROR_ALLOW_ALL = True
# The spider dedupes normalised URLs before creating requests (all use dont_filter=True).
DUPEFILTER_CLASS = "scrapy.dupefilters.BaseDupeFilter"
# A linked URL dropped silently for its length would have no page row; traps are issue 4's.
URLLENGTH_LIMIT = 0

# Breadth-first: lower depth first, FIFO within a depth. One site per crawl, so one global
# priority order (not per download slot) keeps that true across the site's subdomains.
DEPTH_PRIORITY = 1
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"
SCHEDULER_PRIORITY_QUEUE = "scrapy.pqueues.ScrapyPriorityQueue"

# A page that needs more than 30 s is reported as a timeout; 180 s stalls the crawl.
DOWNLOAD_TIMEOUT = 30
# Real HTML pages are far below 10 MiB; 1 GiB (the default) is an attack surface.
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
# A name that does not resolve in 15 s will not resolve in 60.
DNS_TIMEOUT = 15

# Transient server errors are retried; the final status is what the page row records.
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]

# Scrapy starts this many asyncio tasks per response to run its outputs through the (synchronous)
# pipeline; the default 100 cost ~100 task creations per page for no parallelism at all.
CONCURRENT_ITEMS = 1

# Sessions would make pages vary between fetches; a link crawl needs none.
COOKIES_ENABLED = False
# Off by default in Scrapy; parsed with Protego (the default parser). Per site: crawl.respect_robots.
ROBOTSTXT_OBEY = True

DOWNLOADER_MIDDLEWARES = {
    # Before robots (100): a refused host gets no robots.txt request either.
    "linkcrawler.middlewares.SsrfGuardMiddleware": 40,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "linkcrawler.middlewares.RobotsPolicyMiddleware": 100,
}
ITEM_PIPELINES = {"linkcrawler.pipelines.LakePipeline": 300}
EXTENSIONS = {"linkcrawler.extensions.ProgressLog": 500}

# Per-request DEBUG lines cost more than parsing at hundreds of pages/s.
LOG_LEVEL = "INFO"
# Replaced by ProgressLog (every few seconds instead of every minute).
LOGSTATS_INTERVAL = 0
LINKWAREHOUSE_PROGRESS_INTERVAL = 5.0
#: CIDRs the SSRF guard lets through; set per site from crawl.allow_private_networks.
LINKWAREHOUSE_ALLOW_PRIVATE_NETWORKS: list[str] = []


def site_settings(site: SiteConfig) -> dict[str, Any]:
    """The settings one site's config overrides (applied with ``spider`` priority)."""
    crawl = site.crawl
    return {
        "USER_AGENT": crawl.user_agent,
        "CONCURRENT_REQUESTS": crawl.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrency,
        "DOWNLOAD_DELAY": crawl.delay,
        "DOWNLOAD_TIMEOUT": crawl.timeout,
        "DOWNLOAD_MAXSIZE": crawl.max_page_bytes,
        "DOWNLOAD_WARNSIZE": min(DOWNLOAD_WARNSIZE, crawl.max_page_bytes),
        "ROBOTSTXT_OBEY": crawl.respect_robots,
        "LINKWAREHOUSE_ALLOW_PRIVATE_NETWORKS": list(crawl.allow_private_networks),
    }

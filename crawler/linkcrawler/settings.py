"""Scrapy settings of the link crawler; per-site values come from :func:`site_settings`.

Only values that depart from Scrapy's defaults are set, each with the reason. Every component
a link crawl does not need is switched off: at hundreds of pages per second each middleware,
extension and signal receiver is paid for on every request.
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

# Connection-time SSRF guard: the resolver Twisted asks for every address it connects to.
TWISTED_DNS_RESOLVER = "linkcrawler.ssrf.GuardedResolver"

# Every hop is recorded as its own page row and fetched as its own request by the spider.
REDIRECT_ENABLED = False
# Same reason: a meta refresh is recorded and followed as a hop by the spider.
METAREFRESH_ENABLED = False
# 4xx/5xx pages are data (broken links), so they must reach the callback.
HTTPERROR_ALLOW_ALL = True
# The spider dedupes normalised URLs before creating requests (all use dont_filter=True).
DUPEFILTER_CLASS = "scrapy.dupefilters.BaseDupeFilter"
# Long URLs are judged by the frontier (crawl.max_url_length, recorded as a trap), not dropped.
URLLENGTH_LIMIT = 0

# Breadth-first: lower depth first (the spider gives each page request priority -depth), FIFO
# within a depth. One site per crawl, so one global priority order (not per download slot)
# keeps that true across the site's subdomains.
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"
SCHEDULER_PRIORITY_QUEUE = "scrapy.pqueues.ScrapyPriorityQueue"

# A page that needs more than 30 s is reported as a timeout; 180 s stalls the crawl.
DOWNLOAD_TIMEOUT = 30
# Real HTML pages are far below 10 MiB; 1 GiB (the default) is an attack surface. Scrapy 2.19
# applies it to each decompressed Content-Encoding layer too (double-gzip bombs stop there).
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
# A name that does not resolve in 15 s will not resolve in 60 (both SSRF checks' lookups use it).
DNS_TIMEOUT = 15

# Scrapy's RetryMiddleware retries at once and ignores Retry-After: replaced (middlewares.py).
RETRY_ENABLED = False
LINKWAREHOUSE_RETRIES = 2
LINKWAREHOUSE_RETRY_BACKOFF = 1.0
LINKWAREHOUSE_RETRY_AFTER_MAX = 60.0
# crawl.delay, a robots.txt Crawl-delay and a Retry-After are minimum spacings of a host's
# requests (throttle.py); Scrapy's ±50 % random jitter would undercut them half of the time.
DOWNLOAD_DELAY_JITTER = 0.0
# Longest robots.txt Crawl-delay honoured (crawl.crawl_delay_max); see throttle.py for precedence.
LINKWAREHOUSE_CRAWL_DELAY_MAX = 10.0
# Processes crawling the site (crawl.workers): each spaces its requests to a host this much wider.
LINKWAREHOUSE_PROCESSES = 1

# Scrapy starts this many asyncio tasks per response to run its outputs through the (synchronous)
# pipeline; the default 100 cost ~100 task creations per page for no parallelism at all.
CONCURRENT_ITEMS = 1

# Sessions would make pages vary between fetches; a link crawl needs none.
COOKIES_ENABLED = False
# Environment proxies would connect somewhere the SSRF guard never sees.
HTTPPROXY_ENABLED = False
# Only http(s) is crawled; a file:, ftp:, s3: or data: request must fail, never read anything.
DOWNLOAD_HANDLERS = {"file": None, "ftp": None, "s3": None, "data": None}
# Off by default in Scrapy; applied by RobotsPolicyMiddleware (RFC 9309). Per site: crawl.respect_robots.
ROBOTSTXT_OBEY = True

DOWNLOADER_MIDDLEWARES = {
    # Before robots (100): a refused host gets no robots.txt request either.
    "linkcrawler.middlewares.SsrfGuardMiddleware": 40,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "linkcrawler.middlewares.RobotsPolicyMiddleware": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "linkcrawler.middlewares.BackoffRetryMiddleware": 550,
    # Not needed by a link crawl (scope is the frontier's, no auth, cookies, proxies or
    # redirects), and DownloaderStats serialises every request just to count its bytes.
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
    "scrapy.downloadermiddlewares.httpproxy.HttpProxyMiddleware": None,
    "scrapy.downloadermiddlewares.stats.DownloaderStats": None,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
}
# Depth, referer, URL length and HTTP errors are the spider's own business (see above).
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.httperror.HttpErrorMiddleware": None,
    "scrapy.spidermiddlewares.referer.RefererMiddleware": None,
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
}
ITEM_PIPELINES = {"linkcrawler.pipelines.LakePipeline": 300}
EXTENSIONS = {
    "linkcrawler.extensions.ProgressLog": 500,
    # Per-host pacing on Scrapy's download slots: Crawl-delay, and 429/503 pausing the host.
    # After AutoThrottle (0), so its receivers run last and AutoThrottle cannot undercut them.
    "linkcrawler.throttle.HostThrottle": 510,
}

# Per-request DEBUG lines cost more than parsing at hundreds of pages/s.
LOG_LEVEL = "INFO"
# Scrapy re-reads the callbacks' source to warn about generators returning values: not ours.
WARN_ON_GENERATOR_RETURN_VALUE = False
# Replaced by ProgressLog (every few seconds instead of every minute).
LOGSTATS_INTERVAL = 0
LINKWAREHOUSE_PROGRESS_INTERVAL = 5.0
#: CIDRs the SSRF guard lets through; set per site from crawl.allow_private_networks.
LINKWAREHOUSE_ALLOW_PRIVATE_NETWORKS: list[str] = []


def site_settings(site: SiteConfig, processes: int = 1) -> dict[str, Any]:
    """The settings one site's config overrides (applied with ``spider`` priority).

    ``processes`` crawl the site together; each spaces its requests to a host ``processes``
    times ``crawl.delay`` apart, so the host sees one request per ``crawl.delay`` on average.
    """
    crawl = site.crawl
    return {
        "USER_AGENT": crawl.user_agent,
        "CONCURRENT_REQUESTS": crawl.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrency,
        "DOWNLOAD_DELAY": crawl.delay * processes,
        "DOWNLOAD_TIMEOUT": crawl.timeout,
        "DOWNLOAD_MAXSIZE": crawl.max_page_bytes,
        "DOWNLOAD_WARNSIZE": min(DOWNLOAD_WARNSIZE, crawl.max_page_bytes),
        "ROBOTSTXT_OBEY": crawl.respect_robots,
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
        "LINKWAREHOUSE_RETRIES": crawl.retries,
        "LINKWAREHOUSE_RETRY_BACKOFF": crawl.retry_backoff,
        "LINKWAREHOUSE_RETRY_AFTER_MAX": crawl.retry_after_max,
        "LINKWAREHOUSE_CRAWL_DELAY_MAX": crawl.crawl_delay_max,
        "LINKWAREHOUSE_PROCESSES": processes,
        "LINKWAREHOUSE_ALLOW_PRIVATE_NETWORKS": list(crawl.allow_private_networks),
    }

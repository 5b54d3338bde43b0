"""The ``site`` spider: crawls one configured site per the Definitions of the lake contract.

Seeds are the start URLs; robots.txt ``Sitemap:`` lines and configured sitemaps are fetched
alongside. Internal link targets and redirect Locations are admitted once each by the
:class:`~linkcrawler.frontier.Frontier`; sitemap-only URLs are admitted when link discovery has
run dry (spider idle), so ``found_via='sitemap'`` means "not reached by links from the start
URLs first". Redirects are recorded hop by hop and each Location is fetched as its own URL, so
chains and loops stay visible.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import ada_url
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import HtmlResponse, Response, TextResponse
from twisted.python.failure import Failure

from linkcrawler.extract import PageExtractor
from linkcrawler.failures import error_of
from linkcrawler.frontier import Frontier
from linkcrawler.items import PageItem, RedirectItem, Row, SitemapItem
from linkcrawler.scope import Scope, hostname_of
from linkcrawler.settings import site_settings
from linkcrawler.sitemaps import SITEMAP_MAX_BYTES, SitemapError, parse_sitemap, robots_sitemaps
from linkwarehouse.config import ConfigError, SiteConfig, load_sites
from linkwarehouse.lake import partition_dir
from linkwarehouse.lake.schemas import CRAWL_PAGES
from linkwarehouse.settings import load_settings

logger = logging.getLogger(__name__)

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
#: Sitemaps are fetched before pages so every sitemap URL is known when links run dry.
SITEMAP_FETCH_PRIORITY = 100
#: Below any link-discovered page: pages found by links from sitemap-only pages still go first.
SITEMAP_PAGE_PRIORITY = -1_000_000
MAX_SITEMAPS = 1_000
MAX_SITEMAP_REDIRECTS = 5


class PageMeta(NamedTuple):
    """What the spider remembers about a page request (one meta key, one tuple)."""

    url: str
    depth: int
    found_via: str
    hop: int


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    if value is None:
        return None
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _header_list(response: Response, name: bytes) -> str | None:
    values = [value.decode("latin-1").strip() for value in response.headers.getlist(name)]
    return ", ".join(values).lower() if values else None


def _media_type(content_type: str | None) -> str | None:
    if content_type is None:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


class SiteSpider(Spider):
    """Crawl one site of the sites file into the crawl lake tables (via LakePipeline)."""

    name = "site"

    def __init__(
        self,
        site: str,
        crawl_id: str | None = None,
        config: str | None = None,
        lake: str | None = None,
        run_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        paths = load_settings()
        config_path = Path(config) if config else paths.config_path
        try:
            self.site_config: SiteConfig = load_sites(config_path).site(site)
        except KeyError as exc:
            raise ConfigError(f"{config_path}: {exc.args[0]}") from None
        self.crawl_id = crawl_id or datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self.lake_root = Path(lake) if lake else paths.lake_root
        self.run_id = run_id or f"crawl-{site}-{self.crawl_id}"
        partition_dir(self.lake_root, CRAWL_PAGES, {"site": site, "crawl_id": self.crawl_id})
        self.normalize = self.site_config.normalizer()
        self.scope = Scope.for_site(self.site_config)
        self.frontier = Frontier(
            self.scope, self.site_config.crawl.max_pages, self.site_config.crawl.max_depth
        )
        self.extractor = PageExtractor(self.normalize, self.scope)
        self.follow_nofollow = self.site_config.crawl.follow_nofollow
        self.seed_urls = list(
            dict.fromkeys(url for url in map(self.normalize, self.site_config.start_urls) if url)
        )
        self._pending_sitemap_urls: dict[str, None] = {}
        self._sitemaps_requested: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SiteSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        # Settings are still mutable here (frozen right after the spider is created).
        crawler.settings.update(site_settings(spider.site_config), priority="spider")
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        return spider

    @property
    def stop_reason(self) -> str:
        return self.frontier.stop_reason

    def closed(self, reason: str) -> None:
        stats = self.crawler.stats
        frontier = self.frontier
        stats.set_value("linkwarehouse/frontier/admitted", frontier.admitted)
        stats.set_value("linkwarehouse/frontier/external_urls", frontier.external)
        stats.set_value("linkwarehouse/frontier/excluded_urls", frontier.excluded)
        stats.set_value("linkwarehouse/frontier/too_deep_urls", len(frontier.too_deep))
        stats.set_value("linkwarehouse/frontier/over_max_pages_urls", len(frontier.over_limit))

    async def start(self) -> AsyncIterator[Request]:
        for url in self.seed_urls:
            if self.frontier.admit(url, 0, seed=True):
                yield self._page_request(PageMeta(url, 0, "start", 0))
        for raw in self.site_config.sitemaps:
            request = self._sitemap_request(self.normalize(raw), hops=0)
            if request is not None:
                yield request
        if self.site_config.discover_sitemaps:
            origins = dict.fromkeys(ada_url.URL(url).origin for url in self.seed_urls)
            for origin in origins:
                yield Request(
                    f"{origin}/robots.txt",
                    callback=self.parse_robots,
                    errback=self.aux_failed,
                    dont_filter=True,
                    priority=SITEMAP_FETCH_PRIORITY,
                    meta={"dont_obey_robotstxt": True},
                )

    # -- pages ---------------------------------------------------------------------------

    def _page_request(self, meta: PageMeta, priority: int = 0) -> Request:
        return Request(
            meta.url,
            callback=self.parse_page,
            errback=self.page_failed,
            dont_filter=True,
            priority=priority,
            meta={"lw_page": meta, "depth": meta.depth},
        )

    def _page_row(self, meta: PageMeta) -> Row:
        return {
            "url": meta.url,
            "final_url": meta.url,
            "fetched_at": datetime.now(UTC),
            "depth_seen": meta.depth,
            "found_via": meta.found_via,
        }

    def parse_page(self, response: Response) -> Iterator[Request | PageItem | RedirectItem]:
        meta: PageMeta = response.meta["lw_page"]
        status = response.status
        content_type = _header(response, b"Content-Type")
        media_type = _media_type(content_type)
        page = self._page_row(meta)
        latency = response.meta.get("download_latency")
        page.update(
            status=status,
            content_type=content_type.strip() if content_type is not None else None,
            x_robots_tag=_header_list(response, b"X-Robots-Tag"),
            response_ms=round(latency * 1000, 3) if latency is not None else None,
            bytes=len(response.body),
        )
        item = PageItem(page)
        if 300 <= status < 400:
            yield from self._redirect(response, meta, page)
        elif 200 <= status < 300 and self._is_html(response, media_type):
            yield from self._extract(response, meta, item)
        yield item

    @staticmethod
    def _is_html(response: Response, media_type: str | None) -> bool:
        """HTML by Content-Type; without one, by Scrapy's sniffing of the body."""
        if media_type is None:
            return isinstance(response, HtmlResponse)
        return media_type in HTML_TYPES and isinstance(response, TextResponse)

    def _extract(self, response: Response, meta: PageMeta, item: PageItem) -> Iterator[Request]:
        try:
            extraction = self.extractor.extract(response.text, meta.url)
        except Exception as exc:
            logger.exception("extracting %s failed", meta.url)
            item.page["error"] = f"extract_failed: {type(exc).__name__}: {exc}"
            return
        item.page.update(extraction.facts)
        item.links = extraction.links
        item.hreflang = extraction.hreflang
        depth = meta.depth + 1
        admit = self.frontier.admit
        for link in extraction.links:
            target = link["target_url"]
            if (
                link["is_internal"]
                and (self.follow_nofollow or not link["nofollow"])
                and admit(target, depth)
            ):
                yield self._page_request(PageMeta(target, depth, "link", 0))

    def _redirect(self, response: Response, meta: PageMeta, page: Row) -> Iterator[Request | RedirectItem]:
        raw_location = _header(response, b"Location")
        if raw_location is None:
            return
        location = self.normalize(raw_location.strip(), meta.url)
        page["redirect_location"] = location
        hop = meta.hop + 1
        yield RedirectItem(
            {
                "url": meta.url,
                "hop": hop,
                "status": response.status,
                "location": location,
                "raw_location": raw_location,
            }
        )
        if location is not None and self.frontier.admit(location, meta.depth + 1):
            yield self._page_request(PageMeta(location, meta.depth + 1, "redirect", hop))

    def page_failed(self, failure: Failure) -> Iterator[PageItem]:
        meta: PageMeta = failure.request.meta["lw_page"]
        page = self._page_row(meta)
        page["error"] = error_of(failure)
        yield PageItem(page)

    # -- robots.txt and sitemaps ---------------------------------------------------------

    def parse_robots(self, response: Response) -> Iterator[Request]:
        self.crawler.stats.inc_value(f"linkwarehouse/robots/status/{response.status}")
        if response.status != 200:
            return
        for raw in robots_sitemaps(response.body):
            request = self._sitemap_request(self.normalize(raw.strip(), response.url), hops=0)
            if request is not None:
                yield request

    def _sitemap_request(self, url: str | None, hops: int) -> Request | None:
        if url is None or url in self._sitemaps_requested:
            return None
        if len(self._sitemaps_requested) >= MAX_SITEMAPS:
            self.crawler.stats.inc_value("linkwarehouse/sitemaps/over_limit")
            return None
        self._sitemaps_requested.add(url)
        return Request(
            url,
            callback=self.parse_sitemap,
            errback=self.aux_failed,
            dont_filter=True,
            priority=SITEMAP_FETCH_PRIORITY,
            # Sitemaps are declared by the site (robots.txt) or by us: fetched even if disallowed.
            meta={
                "dont_obey_robotstxt": True,
                "download_maxsize": SITEMAP_MAX_BYTES,
                "lw_sitemap": (url, hops),
            },
        )

    def parse_sitemap(self, response: Response) -> Iterator[Request | SitemapItem]:
        url, hops = response.meta["lw_sitemap"]
        stats = self.crawler.stats
        if 300 <= response.status < 400 and hops < MAX_SITEMAP_REDIRECTS:
            location = _header(response, b"Location")
            request = self._sitemap_request(
                self.normalize(location.strip(), url) if location else None, hops + 1
            )
            if request is not None:
                yield request
            return
        if response.status != 200:
            stats.inc_value("linkwarehouse/sitemaps/failed")
            logger.warning("sitemap %s answered HTTP %d, skipped", url, response.status)
            return
        try:
            sitemap = parse_sitemap(response.body, url)
        except SitemapError as exc:
            stats.inc_value("linkwarehouse/sitemaps/invalid")
            logger.warning("%s", exc)
            return
        stats.inc_value("linkwarehouse/sitemaps/parsed")
        if sitemap.kind == "sitemapindex":
            sitemap_host = hostname_of(url)
            for entry in sitemap.entries:
                child = self.normalize(entry.loc, url)
                if child is not None and (
                    self.scope.is_internal(child) or hostname_of(child) == sitemap_host
                ):
                    request = self._sitemap_request(child, hops=0)
                    if request is not None:
                        yield request
            return
        rows = []
        for entry in sitemap.entries:
            target = self.normalize(entry.loc)  # the protocol requires absolute URLs
            rows.append({"url": target, "raw_url": entry.loc, "lastmod": entry.lastmod, "sitemap": url})
            if target is not None and target not in self.frontier.seen:
                self._pending_sitemap_urls[target] = None
        yield SitemapItem(rows)

    def aux_failed(self, failure: Failure) -> None:
        """robots.txt (sitemap discovery) or a sitemap could not be fetched: counted and logged."""
        what = "sitemaps" if "lw_sitemap" in failure.request.meta else "robots"
        self.crawler.stats.inc_value(f"linkwarehouse/{what}/failed")
        logger.warning("could not fetch %s: %s", failure.request.url, error_of(failure))

    def on_idle(self) -> None:
        """Links ran dry: admit the sitemap URLs nothing linked to (yet), at the lowest priority."""
        pending, self._pending_sitemap_urls = self._pending_sitemap_urls, {}
        scheduled = 0
        for url in pending:
            if self.frontier.admit(url, 0):
                self.crawler.engine.crawl(
                    self._page_request(PageMeta(url, 0, "sitemap", 0), SITEMAP_PAGE_PRIORITY)
                )
                scheduled += 1
        if scheduled:
            raise DontCloseSpider

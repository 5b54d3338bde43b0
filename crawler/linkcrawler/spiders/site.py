"""The ``site`` spider: crawls one configured site per the Definitions of the lake contract.

Seeds are the start URLs; robots.txt ``Sitemap:`` lines and configured sitemaps are fetched
alongside. Internal link targets, redirect Locations and meta refresh targets are admitted once
each by the :class:`~linkcrawler.frontier.Frontier` (in this process, or in the coordinator of a
multi-process crawl, see coordinator.py). A page whose rel=canonical names a parameter variant of
its URL (``?sid=``, ``;jsessionid=``) is recorded as a variant of that canonical and not
expanded; the canonical is offered instead. When link discovery has run dry (spider idle) the
sitemap URLs nothing linked to are admitted (``found_via='sitemap'``), then the URLs known from
the lake (``previous_crawl``, ``ga4``, ``gsc``). Redirects are recorded hop by hop and each
Location is fetched as its own URL, so chains and loops stay visible.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
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
from linkcrawler.frontier import Frontier, Verdict
from linkcrawler.items import PageItem, RedirectItem, Row, SitemapItem
from linkcrawler.known_urls import LATE_PHASES, late_phase_urls
from linkcrawler.robots import RobotsBook, RobotsRules
from linkcrawler.scope import Scope, hostname_of
from linkcrawler.seeds import StartUrls
from linkcrawler.settings import site_settings
from linkcrawler.sitemaps import SITEMAP_MAX_BYTES, SitemapError, parse_sitemap
from linkcrawler.ssrf import AddressPolicy, install_policy, installed_resolver
from linkcrawler.throttle import robots_parsed
from linkwarehouse.config import ConfigError, SiteConfig, load_sites
from linkwarehouse.lake import partition_dir
from linkwarehouse.lake.schemas import CRAWL_PAGES
from linkwarehouse.settings import load_settings
from linkwarehouse.urls import parameter_variant_base

logger = logging.getLogger(__name__)

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
#: Sitemaps are fetched before pages so every sitemap URL is known when links run dry.
SITEMAP_FETCH_PRIORITY = 100
#: Below any link-discovered page: pages found by links from sitemap-only pages still go first.
LATE_PAGE_PRIORITY = -1_000_000
MAX_SITEMAPS = 1_000
MAX_SITEMAP_REDIRECTS = 5


class PageMeta(NamedTuple):
    """What the spider remembers about a page request (one meta key, one tuple)."""

    url: str
    depth: int
    found_via: str
    hop: int
    trap: str | None = None


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    if value is None:
        return None
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _header_lines(response: Response, name: bytes) -> list[str]:
    """Every line of a repeatable header, decoded and stripped (one item per header line)."""
    return [value.decode("latin-1").strip() for value in response.headers.getlist(name)]


def _header_list(response: Response, name: bytes) -> str | None:
    values = _header_lines(response, name)
    return ", ".join(values).lower() if values else None


def _media_type(content_type: str | None) -> str | None:
    if content_type is None:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


_LINK_VALUE = re.compile(r"<([^>]*)>((?:\s*;\s*[a-zA-Z*-]+\s*(?:=\s*(?:\"[^\"]*\"|[^;,]*))?)*)")
_LINK_PARAM = re.compile(r";\s*([a-zA-Z*-]+)\s*(?:=\s*(?:\"([^\"]*)\"|([^;,]*)))?")


def link_header(response: Response) -> list[tuple[str, dict[str, str]]]:
    """``(target, params)`` of every value of the HTTP ``Link`` headers (RFC 8288), params lower-cased."""
    links = []
    for raw in response.headers.getlist(b"Link"):
        text = raw.decode("latin-1")
        for match in _LINK_VALUE.finditer(text):
            params = {
                name.lower(): (quoted or bare).strip()
                for name, quoted, bare in _LINK_PARAM.findall(match.group(2))
            }
            links.append((match.group(1).strip(), params))
    return links


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
        worker: str | None = None,
        coordinator: str | None = None,
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
        crawl = self.site_config.crawl
        self.normalize = self.site_config.normalizer()
        self.scope = Scope.for_site(self.site_config)
        self.frontier = Frontier.for_site(self.site_config)
        self.extractor = PageExtractor(
            self.normalize, self.scope, self.site_config.links.sponsored_ugc_as_nofollow
        )
        self.follow_nofollow = crawl.follow_nofollow
        self.expand_variants = self.site_config.urls.expand_variants
        self.max_redirects = crawl.max_redirects
        self.seed_urls = list(
            dict.fromkeys(url for url in map(self.normalize, self.site_config.start_urls) if url)
        )
        self.worker_index, self.workers = (int(part) for part in (worker or "0/1").split("/"))
        self.coordinator_path = coordinator
        self.remote: Any = None  # linkcrawler.remote.RemoteFrontier in a multi-process crawl
        self.robots = RobotsBook(self._download, self.normalize, self._robots_known)
        self.start_outcomes = StartUrls(site, self.seed_urls)
        #: Why the crawl fails without publishing anything (every start URL refused), if it does.
        self.refused: str | None = None
        self._closing: asyncio.Future[None] | None = None
        self.notes: Counter[str] = Counter()
        self._pending_sitemap_urls: dict[str, None] = {}
        self._sitemaps_requested: set[str] = set()
        self._late_phases = list(LATE_PHASES)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SiteSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        if crawler.settings.get("JOBDIR"):
            # Scrapy would resume its queue but not the frontier or the staged rows: a resumed
            # crawl could be published incomplete. A killed crawl restarts cleanly instead.
            raise ConfigError(
                f"site {spider.site_config.name!r}: JOBDIR resume is not supported; re-run the crawl id"
            )
        # Settings are still mutable here (frozen right after the spider is created).
        crawler.settings.update(site_settings(spider.site_config, spider.workers), priority="spider")
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        install_policy(AddressPolicy(spider.site_config.crawl.allow_private_networks))
        if spider.coordinator_path:
            from linkcrawler.remote import RemoteFrontier

            spider.remote = RemoteFrontier(spider, spider.coordinator_path)
            crawler.signals.connect(spider.remote.open, signal=signals.spider_opened)
        return spider

    async def _download(self, request: Request) -> Response:
        return await self.crawler.engine.download_async(request)

    def _robots_known(self, rules: RobotsRules) -> None:
        self.crawler.signals.send_catch_log(robots_parsed, rules=rules)

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

    # -- admission -----------------------------------------------------------------------

    def discover(self, url: str, depth: int, via: str, hop: int = 0, priority: int = 0) -> Request | None:
        """Offer ``url`` to the frontier; the page request when it is to be fetched here and now."""
        if self.remote is not None:
            self.remote.offer(url, depth, via, hop)
            return None
        if self.frontier.offer(url, depth, via, hop=hop) is not Verdict.FETCH:
            return None
        found = self.frontier.found[url]
        return self._page_request(PageMeta(url, depth, via, hop, found.trap), priority)

    def order(self, url: str, depth: int, via: str, hop: int, trap: str | None) -> None:
        """Fetch a URL the coordinator admitted for this worker (multi-process crawls)."""
        priority = LATE_PAGE_PRIORITY if via in ("sitemap", "previous_crawl", "ga4", "gsc") else 0
        self.crawler.engine.crawl(self._page_request(PageMeta(url, depth, via, hop, trap), priority))

    async def start(self) -> AsyncIterator[Request]:
        if installed_resolver() is None:
            raise RuntimeError(
                "the connection-time SSRF guard is not installed: run crawls with "
                "TWISTED_DNS_RESOLVER = 'linkcrawler.ssrf.GuardedResolver' (python -m linkcrawler does)"
            )
        if self.remote is None or self.worker_index == 0:
            for url in self.seed_urls:
                if self.remote is not None:
                    self.remote.offer(url, 0, "start", 0, seed=True)
                elif self.frontier.offer(url, 0, "start", seed=True) is Verdict.FETCH:
                    yield self._page_request(PageMeta(url, 0, "start", 0))
                elif url in self.frontier.refused_seeds:
                    logger.warning("start URL %s refused: %s", url, self.frontier.refused_seeds[url])
                    self.start_outcome(url, self.frontier.refused_seeds[url])
                else:
                    self._refuse_if(self.start_outcomes.skipped(url))
            if self.refused is not None:
                return
            for raw in self.site_config.sitemaps:
                request = self._sitemap_request(self.normalize(raw), 0, "config", None, None)
                if request is not None:
                    yield request
            if self.site_config.discover_sitemaps:
                in_scope = [url for url in self.seed_urls if self.frontier.scope_refusal(url) is None]
                for origin in dict.fromkeys(ada_url.URL(url).origin for url in in_scope):
                    rules = await self.robots.rules(origin)
                    self.crawler.stats.inc_value(f"linkwarehouse/robots/status/{rules.status}")
                    for raw in rules.sitemaps:
                        request = self._sitemap_request(
                            self.normalize(raw, f"{origin}/robots.txt"), 0, "robots", None, None
                        )
                        if request is not None:
                            yield request

    # -- pages ---------------------------------------------------------------------------

    def _page_request(self, meta: PageMeta, priority: int = 0) -> Request:
        return Request(
            meta.url,
            callback=self.parse_page,
            errback=self.page_failed,
            dont_filter=True,
            priority=priority - meta.depth,
            meta={"lw_page": meta, "depth": meta.depth},
        )

    def _page_row(self, meta: PageMeta) -> Row:
        return {
            "url": meta.url,
            "final_url": meta.url,
            "fetched_at": datetime.now(UTC),
            "depth_seen": meta.depth,
            "found_via": meta.found_via,
            "trap_suspected": meta.trap,
        }

    def start_outcome(self, url: str, error: str | None) -> None:
        """A start URL was fetched (``error`` None) or failed/refused: fail the crawl if all are refused."""
        if self.remote is not None:
            self.remote.start_outcome(url, error)
        else:
            self._refuse_if(self.start_outcomes.outcome(url, error))

    def _refuse_if(self, failure: str | None) -> None:
        if failure is None or self.refused is not None:
            return
        self.refused = failure
        stats = self.crawler.stats
        stats.set_value("linkwarehouse/abort_permanent", self.start_outcomes.permanent)
        logger.error("%s", failure)
        self._closing = asyncio.ensure_future(
            self.crawler.engine.close_spider_async(reason="start_urls_refused")
        )

    def parse_page(self, response: Response) -> Iterator[Request | PageItem | RedirectItem]:
        meta: PageMeta = response.meta["lw_page"]
        if meta.found_via == "start":
            self.start_outcome(meta.url, None)
        try:
            yield from self._page_outputs(response)
        finally:
            # Even when a callback bug raised: the coordinator waits for every order to be done.
            if self.remote is not None:
                self.remote.page_done()

    def _page_outputs(self, response: Response) -> Iterator[Request | PageItem | RedirectItem]:
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
            retries=response.meta.get("lw_retries", 0),
        )
        item = PageItem(page)
        if b"Link" in response.headers:
            self._link_header(response, meta, item)
        if 300 <= status < 400:
            yield from self._redirect(response, meta, page)
        elif 200 <= status < 300 and self._is_html(response, media_type):
            yield from self._extract(response, meta, item)
        if page.get("canonical") is None:  # the header is how PDFs and other non-HTML name one
            page["canonical"] = page.get("canonical_header")
        yield item

    def _link_header(self, response: Response, meta: PageMeta, item: PageItem) -> None:
        """HTTP ``Link: <url>; rel=canonical`` and hreflang alternates (RFC 8288)."""
        for target, params in link_header(response):
            rel = params.get("rel", "").lower().split()
            if "canonical" in rel and item.page.get("canonical_header") is None:
                item.page["canonical_header"] = self.normalize(target, meta.url)
            if "alternate" in rel and "hreflang" in params:
                item.hreflang.append(
                    {
                        "url": meta.url,
                        "hreflang": params["hreflang"].lower(),
                        "alternate_url": self.normalize(target, meta.url),
                    }
                )

    @staticmethod
    def _is_html(response: Response, media_type: str | None) -> bool:
        """HTML by Content-Type; without one, by Scrapy's sniffing of the body."""
        if media_type is None:
            return isinstance(response, HtmlResponse)
        return media_type in HTML_TYPES and isinstance(response, TextResponse)

    def _extract(self, response: TextResponse, meta: PageMeta, item: PageItem) -> Iterator[Request]:
        page = item.page
        try:
            page["charset"] = response.encoding
            robots_header = _header_lines(response, b"X-Robots-Tag")
            extraction = self.extractor.extract(response.text, meta.url, robots_header)
        except Exception as exc:
            logger.exception("extracting %s failed", meta.url)
            page["error"] = f"extract_failed: {type(exc).__name__}: {exc}"
            return
        page.update(extraction.facts)
        for reason in extraction.page_nofollow:
            self.crawler.stats.inc_value(f"linkwarehouse/pages/nofollow/{reason}")
        variant_of = self._variant_of(meta.url, page)
        if variant_of is not None:
            yield from self._record_variant(meta, item, variant_of)
            return
        item.links = extraction.links
        item.hreflang = extraction.hreflang + item.hreflang
        item.text = {
            "url": meta.url,
            "main_text": extraction.main_text,
            "word_count": len(extraction.main_text.split()),
        }
        if meta.trap is not None:
            self.crawler.stats.inc_value("linkwarehouse/traps/not_expanded")
            return
        depth = meta.depth + 1
        discover = self.discover
        follow_nofollow = self.follow_nofollow
        for link in extraction.links:
            if link["is_internal"] and (follow_nofollow or not link["nofollow"]):
                request = discover(link["target_url"], depth, "link")
                if request is not None:
                    yield request
        if page["meta_refresh"] is not None:
            yield from self._hop(
                meta,
                page,
                status=response.status,
                location=page["meta_refresh"],
                raw=None,
                kind="meta_refresh",
            )

    def _variant_of(self, url: str, page: Row) -> str | None:
        """The canonical ``url`` is a parameter variant of, when the page is to be recorded as one.

        A session id or tracking key the strip list does not know makes every page reachable
        under endless URLs, each naming the same canonical: such a page is kept as a variant of
        its canonical instead of being crawled as a page of its own.
        """
        if self.expand_variants:
            return None
        canonical = page.get("canonical") or page.get("canonical_header")
        if canonical is None or canonical == url:
            return None
        return canonical if parameter_variant_base(canonical) == parameter_variant_base(url) else None

    def _record_variant(self, meta: PageMeta, item: PageItem, canonical: str) -> Iterator[Request]:
        """Keep the page row only (its links, alternates and text are its canonical's) and make
        sure the canonical is fetched, whether or not a link names it: the crawl does not depend
        on which of the two was fetched first."""
        item.page["variant_of"] = canonical
        item.hreflang = []
        self.crawler.stats.inc_value("linkwarehouse/variants/not_expanded")
        request = self.discover(canonical, meta.depth + 1, "canonical")
        if request is not None:
            yield request

    def _hop(
        self, meta: PageMeta, page: Row, status: int, location: str | None, raw: str | None, kind: str
    ) -> Iterator[Request | RedirectItem]:
        """Record one redirect(-like) hop and fetch its target as the next hop of the chain."""
        hop = meta.hop + 1
        yield RedirectItem(
            {
                "url": meta.url,
                "hop": hop,
                "status": status,
                "location": location,
                "raw_location": raw,
                "redirect_type": "http" if kind == "redirect" else kind,
            }
        )
        if location is None:
            return
        if hop > self.max_redirects:
            page["redirect_issue"] = "too_many_hops"
            self.notes["max_redirects"] += 1
            return
        request = self.discover(location, meta.depth + 1, kind, hop)
        if request is not None:
            yield request

    def _redirect(self, response: Response, meta: PageMeta, page: Row) -> Iterator[Request | RedirectItem]:
        raw_location = _header(response, b"Location")
        if raw_location is None:
            page["redirect_issue"] = "missing_location"
            return
        location = self.normalize(raw_location.strip(), meta.url)
        page["redirect_location"] = location
        if location is None:
            page["redirect_issue"] = "invalid_location"
        yield from self._hop(meta, page, response.status, location, raw_location, "redirect")

    def page_failed(self, failure: Failure) -> Iterator[PageItem]:
        meta: PageMeta = failure.request.meta["lw_page"]
        page = self._page_row(meta)
        page["error"] = error_of(failure)
        page["retries"] = failure.request.meta.get("lw_retries", 0)
        if page["error"].startswith("robots_unavailable"):
            self.notes["robots_unavailable"] += 1
        if meta.found_via == "start":
            self.start_outcome(meta.url, page["error"])
        if self.remote is not None:
            self.remote.page_done(error=True)
        yield PageItem(page)

    # -- sitemaps --------------------------------------------------------------------------

    def _sitemap_request(
        self, url: str | None, hops: int, source: str, parent: str | None, lastmod: str | None
    ) -> Request | None:
        if url is None or url in self._sitemaps_requested:
            return None
        if len(self._sitemaps_requested) >= MAX_SITEMAPS:
            self.crawler.stats.inc_value("linkwarehouse/sitemaps/over_limit")
            self.notes["max_sitemaps"] += 1
            return None
        self._sitemaps_requested.add(url)
        return Request(
            url,
            callback=self.parse_sitemap,
            errback=self.sitemap_failed,
            dont_filter=True,
            priority=SITEMAP_FETCH_PRIORITY,
            # Sitemaps are declared by the site (robots.txt) or by us: fetched even if disallowed.
            meta={
                "dont_obey_robotstxt": True,
                "download_maxsize": SITEMAP_MAX_BYTES,
                "lw_sitemap": (url, hops, source, parent, lastmod),
            },
        )

    @staticmethod
    def _sitemap_row(meta: tuple, **values: Any) -> Row:
        url, _hops, source, parent, lastmod = meta
        return {"sitemap": url, "source": source, "parent": parent, "lastmod": lastmod, **values}

    def parse_sitemap(self, response: Response) -> Iterator[Request | SitemapItem]:
        meta = response.meta["lw_sitemap"]
        url, hops, source, parent, _lastmod = meta
        stats = self.crawler.stats
        row = self._sitemap_row(meta, status=response.status, bytes=len(response.body))
        if 300 <= response.status < 400 and hops < MAX_SITEMAP_REDIRECTS:
            location = _header(response, b"Location")
            target = self.normalize(location.strip(), url) if location else None
            row["error"] = f"redirect to {target}" if target else "redirect without a usable Location"
            yield SitemapItem([], row)
            request = self._sitemap_request(target, hops + 1, source, parent, None)
            if request is not None:
                yield request
            return
        if response.status != 200:
            stats.inc_value("linkwarehouse/sitemaps/failed")
            logger.warning("sitemap %s answered HTTP %d, skipped", url, response.status)
            row["error"] = f"HTTP {response.status}"
            yield SitemapItem([], row)
            return
        try:
            sitemap = parse_sitemap(response.body, url)
        except SitemapError as exc:
            stats.inc_value("linkwarehouse/sitemaps/invalid")
            logger.warning("%s", exc)
            row["error"] = str(exc)
            yield SitemapItem([], row)
            return
        stats.inc_value("linkwarehouse/sitemaps/parsed")
        row.update(kind=sitemap.kind, entries=len(sitemap.entries))
        if sitemap.kind == "sitemapindex":
            yield SitemapItem([], row)
            sitemap_host = hostname_of(url)
            for entry in sitemap.entries:
                child = self.normalize(entry.loc, url)
                if child is not None and (
                    self.scope.is_internal(child) or hostname_of(child) == sitemap_host
                ):
                    request = self._sitemap_request(child, 0, "index", url, entry.lastmod)
                    if request is not None:
                        yield request
            return
        rows = []
        for entry in sitemap.entries:
            target = self.normalize(entry.loc)  # the protocol requires absolute URLs
            rows.append({"url": target, "raw_url": entry.loc, "lastmod": entry.lastmod, "sitemap": url})
            if target is not None and target not in self.frontier.seen:
                self._pending_sitemap_urls[target] = None
        if self.remote is not None:
            self.remote.late_urls(list(self._pending_sitemap_urls), "sitemap")
            self._pending_sitemap_urls = {}
        yield SitemapItem(rows, row)

    def sitemap_failed(self, failure: Failure) -> Iterator[SitemapItem]:
        """A sitemap could not be fetched: a crawl/sitemaps row with the error."""
        self.crawler.stats.inc_value("linkwarehouse/sitemaps/failed")
        logger.warning("could not fetch sitemap %s: %s", failure.request.url, error_of(failure))
        yield SitemapItem([], self._sitemap_row(failure.request.meta["lw_sitemap"], error=error_of(failure)))

    # -- phases ------------------------------------------------------------------------------

    def on_idle(self) -> None:
        """Links ran dry: start the next late phase that has URLs to fetch, at the lowest priority."""
        if self.remote is not None:
            self.remote.idle()
            raise DontCloseSpider
        while self._late_phases:
            phase = self._late_phases.pop(0)
            self.frontier.next_phase()
            scheduled = 0
            late = late_phase_urls(
                phase, self._pending_sitemap_urls, self.site_config, self.lake_root, self.crawl_id
            )
            for url, via in late:
                request = self.discover(url, 0, via, priority=LATE_PAGE_PRIORITY)
                if request is not None:
                    self.crawler.engine.crawl(request)
                    scheduled += 1
            if scheduled:
                logger.info("links ran dry: fetching %d URL(s) found via %s", scheduled, phase)
                raise DontCloseSpider

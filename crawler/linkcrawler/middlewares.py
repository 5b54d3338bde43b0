"""Downloader middlewares, one concern each: SSRF pre-check, robots.txt policy, retries.

Refusals raise an :class:`~scrapy.exceptions.IgnoreRequest` subclass that says why (errors.py),
so the spider's errback records them as crawl/pages rows instead of the request silently
disappearing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadFailedError, NotConfigured, ResponseDataLossError
from scrapy.http import Request, Response
from scrapy.statscollectors import StatsCollector
from scrapy.utils.asyncio import sleep
from scrapy.utils.httpobj import urlparse_cached

from linkcrawler.errors import HostUnresolvable, RobotsDisallowed, RobotsUnavailable, SsrfRefused
from linkcrawler.ssrf import AddressPolicy, resolve_host
from linkcrawler.throttle import HOST_THROTTLE_STATUSES, retry_after_seconds

__all__ = ["BackoffRetryMiddleware", "RobotsPolicyMiddleware", "SsrfGuardMiddleware", "retry_delay"]

logger = logging.getLogger(__name__)
Resolver = Callable[[str], Any]


class SsrfGuardMiddleware:
    """Refuse, before it is queued for download, any request whose host is not allowed.

    Runs for every request through the downloader: pages, robots.txt, sitemaps and each
    redirect hop (hops are separate requests here). Verdicts are cached per host. The
    authoritative check is the connection-time :class:`~linkcrawler.ssrf.GuardedResolver`;
    this one makes a refusal cheap and immediate. A lookup slower than ``DNS_TIMEOUT`` fails.
    """

    def __init__(
        self,
        policy: AddressPolicy,
        stats: StatsCollector,
        resolver: Resolver = resolve_host,
        timeout: float | None = None,
    ) -> None:
        self.policy = policy
        self.stats = stats
        self.resolver = resolver
        self.timeout = timeout
        self._verdicts: dict[str, str | None] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SsrfGuardMiddleware:
        networks = crawler.settings.getlist("LINKWAREHOUSE_ALLOW_PRIVATE_NETWORKS")
        return cls(AddressPolicy(networks), crawler.stats, timeout=crawler.settings.getfloat("DNS_TIMEOUT"))

    async def process_request(self, request: Request) -> None:
        host = urlparse_cached(request).hostname or ""
        if host in self._verdicts:
            refused = self._verdicts[host]
        else:
            try:
                addresses = await asyncio.wait_for(self.resolver(host), self.timeout)
            except TimeoutError:
                self.stats.inc_value("linkwarehouse/refused/dns")
                raise HostUnresolvable(request.url, host, f"no answer within {self.timeout:g} s") from None
            except (OSError, UnicodeError) as exc:
                self.stats.inc_value("linkwarehouse/refused/dns")
                raise HostUnresolvable(request.url, host, str(exc)) from None
            if not addresses:
                raise HostUnresolvable(request.url, host, "no addresses")
            refused = self._verdicts[host] = self.policy.refused(addresses)
        if refused is not None:
            self.stats.inc_value("linkwarehouse/refused/ssrf")
            raise SsrfRefused(request.url, host, refused)


def _origin(request: Request) -> str:
    parsed = urlparse_cached(request)
    return f"{parsed.scheme}://{parsed.netloc}"


class RobotsPolicyMiddleware:
    """Apply the origin's robots.txt (RFC 9309 semantics, see robots.py) to every page request.

    Requests with ``dont_obey_robotstxt`` in meta (robots.txt itself, sitemaps) pass. The rules
    come from the spider's :class:`~linkcrawler.robots.RobotsBook`, which fetches each origin's
    robots.txt once and is also what discovers sitemaps.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.user_agent = crawler.settings.get("USER_AGENT")
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RobotsPolicyMiddleware:
        if not crawler.settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        if request.meta.get("dont_obey_robotstxt"):
            return
        book = self.crawler.spider.robots  # type: ignore[union-attr]
        origin = _origin(request)
        rules = book.cached(origin) or await book.rules(origin)
        if rules.allows(request.url, self.user_agent):
            return
        if rules.unavailable is not None:
            self.stats.inc_value("linkwarehouse/refused/robots_unavailable")
            raise RobotsUnavailable(request.url, rules.unavailable)
        self.stats.inc_value("linkwarehouse/refused/robots")
        raise RobotsDisallowed(request.url)


def retry_delay(
    retry_after: bytes | None,
    attempt: int,
    backoff: float,
    now: datetime | None = None,
    date: bytes | None = None,
) -> float:
    """Seconds to wait before retry number ``attempt + 1``: Retry-After if given, else backoff.

    ``Retry-After`` is delta-seconds or an HTTP date (see
    :func:`~linkcrawler.throttle.retry_after_seconds`); an unparseable one falls back to the
    exponential backoff ``backoff * 2**attempt``.
    """
    seconds = retry_after_seconds(retry_after, date, now)
    return backoff * (2**attempt) if seconds is None else seconds


# Connection dropped mid-response; refused connections and DNS failures are not transient.
_TRANSIENT = (DownloadFailedError, ResponseDataLossError)


class BackoffRetryMiddleware:
    """Retry 5xx/429/408 responses and dropped connections with backoff, honouring Retry-After.

    Scrapy's RetryMiddleware retries at once and ignores Retry-After. A 429 or 503 has already
    paused the whole host (throttle.py), so its retry is simply queued behind that pause in the
    host's download slot. Other answers wait here, for their Retry-After or
    ``retry_backoff * 2**n``. A Retry-After beyond ``crawl.retry_after_max`` ends the retries
    (the last response is recorded). Timeouts are not retried: a page slower than the timeout
    would stall the crawl again. ``meta['lw_retries']`` counts the retries for the page row.
    """

    RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 522, 524})

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.max_retries = settings.getint("LINKWAREHOUSE_RETRIES")
        self.backoff = settings.getfloat("LINKWAREHOUSE_RETRY_BACKOFF")
        self.retry_after_max = settings.getfloat("LINKWAREHOUSE_RETRY_AFTER_MAX")
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        return cls(crawler)

    async def _retry(self, request: Request, delay: float, why: str) -> Request:
        attempt = request.meta.get("lw_retries", 0)
        self.stats.inc_value("linkwarehouse/retries")
        if delay > 0:
            logger.info("retrying %s in %.1f s (%s, retry %d)", request.url, delay, why, attempt + 1)
            began = time.monotonic()
            await sleep(delay)
            self.stats.inc_value("linkwarehouse/retries/wait_s", round(time.monotonic() - began, 3))
        else:
            logger.info("retrying %s after its host's pause (%s, retry %d)", request.url, why, attempt + 1)
        retry = request.replace(dont_filter=True)
        retry.meta["lw_retries"] = attempt + 1
        return retry

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status not in self.RETRY_STATUSES or request.meta.get("dont_retry"):
            return response
        attempt = request.meta.get("lw_retries", 0)
        if attempt >= self.max_retries:
            return response
        headers = response.headers
        retry_after = retry_after_seconds(headers.get(b"Retry-After"), headers.get(b"Date"))
        if retry_after is not None and retry_after > self.retry_after_max:
            self.stats.inc_value("linkwarehouse/retries/retry_after_too_long")
            return response
        if response.status in HOST_THROTTLE_STATUSES:
            return await self._retry(request, 0.0, f"HTTP {response.status}")
        delay = self.backoff * (2**attempt) if retry_after is None else retry_after
        return await self._retry(request, delay, f"HTTP {response.status}")

    async def process_exception(self, request: Request, exception: Exception) -> Request | None:
        if not isinstance(exception, _TRANSIENT) or request.meta.get("dont_retry"):
            return None
        attempt = request.meta.get("lw_retries", 0)
        if attempt >= self.max_retries:
            return None
        return await self._retry(request, retry_delay(None, attempt, self.backoff), type(exception).__name__)

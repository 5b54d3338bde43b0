"""robots.txt per origin, as RFC 9309 and the search engines read it, fetched once per crawl.

Outcomes by the status of ``<origin>/robots.txt`` (after up to five redirects):

- 2xx: the first 500 KiB (RFC 9309 2.5) are parsed with Protego, a UTF-8 BOM dropped,
  undecodable bytes replaced;
- 4xx (not 429), or more than five redirects: no rules, everything allowed (2.3.1.3);
- 5xx, 429, a timeout or a network error: "unreachable", so NOTHING on that origin is
  crawled (2.3.1.4; Google treats 429 like 5xx). Each page refused so records
  ``robots_unavailable: <why>`` and the crawl's stop reasons include ``robots_unavailable``.

The same fetch serves sitemap discovery (``Sitemap:`` lines) and the ``Crawl-delay`` for our
user agent (applied by throttle.py), so robots.txt is requested once per origin and process.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from protego import Protego
from scrapy import Request
from scrapy.http import Response
from twisted.python.failure import Failure

from linkcrawler.failures import error_of

logger = logging.getLogger(__name__)

ROBOTS_MAX_BYTES = 500 * 1024
#: Size limit of a robots.txt response (declared and decompressed), instead of the page limit:
#: a file over the page limit must still give its first 500 KiB of rules (RFC 9309 2.5), not
#: make the whole site robots_unavailable.
ROBOTS_DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
MAX_ROBOTS_REDIRECTS = 5
_BOM = "\ufeff"


@dataclass
class RobotsRules:
    """What one origin's robots.txt says; ``unavailable`` (a reason) means disallow everything."""

    origin: str
    status: int | None = None
    unavailable: str | None = None
    parser: Protego | None = None
    sitemaps: list[str] = field(default_factory=list)

    def allows(self, url: str, user_agent: str) -> bool:
        if self.unavailable is not None:
            return False
        return self.parser is None or bool(self.parser.can_fetch(url, user_agent))

    def crawl_delay(self, user_agent: str) -> float | None:
        """The file's ``Crawl-delay`` for ``user_agent`` (its group, else ``*``), if a usable one."""
        if self.parser is None:
            return None
        seconds = self.parser.crawl_delay(user_agent)
        if seconds is None or not math.isfinite(seconds) or seconds <= 0:
            return None
        return float(seconds)

    def describe(self, user_agent: str | None = None) -> str:
        if self.unavailable is not None:
            return f"{self.unavailable} (disallow all)"
        if self.parser is None:
            return f"HTTP {self.status} (allow all)"
        delay = self.crawl_delay(user_agent) if user_agent else None
        return f"HTTP {self.status}" if delay is None else f"HTTP {self.status}, Crawl-delay {delay:g} s"


def parse_robots_body(body: bytes) -> tuple[Protego, list[str]]:
    """Protego rules and ``Sitemap:`` URLs of a robots.txt body (size-capped, BOM dropped)."""
    text = body[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace").lstrip(_BOM)
    parser = Protego.parse(text)
    return parser, [url.strip() for url in parser.sitemaps]


def rules_from_status(origin: str, status: int, body: bytes) -> RobotsRules:
    """Rules for a final (non-redirect) robots.txt response."""
    if 200 <= status < 300:
        parser, sitemaps = parse_robots_body(body)
        return RobotsRules(origin, status, parser=parser, sitemaps=sitemaps)
    if status == 429 or status >= 500:
        return RobotsRules(origin, status, unavailable=f"robots_unavailable: HTTP {status}")
    return RobotsRules(origin, status)


Download = Callable[[Request], Coroutine[Any, Any, Response]]


class RobotsBook:
    """Fetches and caches :class:`RobotsRules` per origin; concurrent askers share one fetch.

    ``on_rules`` is called once per origin with its rules, before any asker gets them (so a
    Crawl-delay is in force before the origin's first page request is queued).
    """

    def __init__(
        self,
        download: Download,
        normalize: Callable[[str, str], str | None],
        on_rules: Callable[[RobotsRules], None] | None = None,
    ) -> None:
        self._download = download
        self._normalize = normalize
        self._on_rules = on_rules
        self._rules: dict[str, asyncio.Future[RobotsRules]] = {}
        self.known: dict[str, RobotsRules] = {}

    def cached(self, origin: str) -> RobotsRules | None:
        return self.known.get(origin)

    async def rules(self, origin: str) -> RobotsRules:
        future = self._rules.get(origin)
        if future is None:
            future = self._rules[origin] = asyncio.get_running_loop().create_future()
            try:
                rules = await self._fetch(origin)
            except Exception as exc:  # never leave waiters hanging
                logger.exception("robots.txt of %s", origin)
                rules = RobotsRules(origin, unavailable=f"robots_unavailable: {type(exc).__name__}: {exc}")
            self.known[origin] = rules
            if self._on_rules is not None:
                try:
                    self._on_rules(rules)
                except Exception:  # never leave waiters hanging
                    logger.exception("applying robots.txt of %s", origin)
            future.set_result(rules)
            return rules
        return await future

    async def _fetch(self, origin: str) -> RobotsRules:
        url = f"{origin}/robots.txt"
        for _hop in range(MAX_ROBOTS_REDIRECTS + 1):
            meta = {
                "dont_obey_robotstxt": True,
                "lw_robots": origin,
                "download_maxsize": ROBOTS_DOWNLOAD_MAXSIZE,
            }
            request = Request(url, meta=meta, dont_filter=True, priority=1000)
            try:
                response = await self._download(request)
            except Exception as exc:
                return RobotsRules(origin, unavailable=f"robots_unavailable: {error_of(Failure(exc))}")
            if 300 <= response.status < 400:
                location = response.headers.get(b"Location")
                target = self._normalize(location.decode("latin-1").strip(), url) if location else None
                if target is None:
                    return RobotsRules(origin, response.status)
                url = target
                continue
            return rules_from_status(origin, response.status, response.body)
        return RobotsRules(origin, None)

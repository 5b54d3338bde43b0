"""Per-host pacing: robots.txt ``Crawl-delay`` as a floor, and the whole host backing off on 429/503.

Scrapy's downloader already spaces requests per slot (one slot per hostname here): a slot
sends its next request ``slot.delay`` seconds after the previous one (``slot.lastseen``). This
module only moves those two numbers; the downloader does the waiting, for every request queued
for that host, not just the one that was answered 429. Per host and crawl process:

1. **Floor**: ``max(crawl.delay, min(Crawl-delay, crawl.crawl_delay_max))``, where Crawl-delay
   is the robots.txt value for our user agent (only with ``crawl.respect_robots``; RFC 9309
   leaves it optional, our users expect it). A crawl in k processes spaces each process k
   times wider, so the host sees the configured rate. The floor is never undercut.
2. **Pause** on a 429 or 503: no request to the host for ``Retry-After`` seconds
   (delta-seconds, or an HTTP date taken relative to the response's own ``Date`` header so
   clock skew between us and the server does not matter), else for twice the current spacing
   (at least ``crawl.retry_backoff``); both capped at ``crawl.retry_after_max``. Answers to
   requests already in flight when a pause began do not lengthen it. In a multi-process crawl
   the pause is relayed to every process (coordinator.py).
3. **Recovery**: after the pause the spacing stays at the pause length and halves with each
   answer that is not a 429/503, back to the floor.
4. AutoThrottle (``crawl.autothrottle``) may raise the spacing further, never lower it below 1-3.

Every one of these is a minimum, so slots have no random jitter (settings.py).
"""

from __future__ import annotations

import email.utils
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Response

if TYPE_CHECKING:
    from scrapy.core.downloader import Downloader, Slot

    from linkcrawler.robots import RobotsRules

__all__ = [
    "HOST_THROTTLE_STATUSES",
    "HostThrottle",
    "Pacer",
    "host_paused",
    "merge_stats",
    "peer_paused",
    "retry_after_seconds",
    "robots_parsed",
]

logger = logging.getLogger(__name__)

#: Answers that mean "this host is overloaded": they pause the host, not just the request.
HOST_THROTTLE_STATUSES = frozenset({429, 503})
#: Below this a backed-off spacing counts as recovered (also ends halving towards a zero floor).
MIN_SPACING = 0.01

#: Throttle stats that are maxima; the others are counts and sums (merging processes' stats).
MAX_STATS = frozenset(
    {
        "linkwarehouse/throttle/pause_max_s",
        "linkwarehouse/throttle/crawl_delay_s",
        "linkwarehouse/throttle/host_floor_s",
    }
)

#: Sent by the spider when an origin's robots.txt is known (``rules``).
robots_parsed = object()
#: Sent by :class:`HostThrottle` when it paused a host (``host``, ``seconds``), for other processes.
host_paused = object()
#: Sent when another process of the crawl paused a host (``host``, ``seconds``).
peer_paused = object()


def merge_stats(total: dict[str, float], part: Mapping[str, float]) -> None:
    """Add one process's ``linkwarehouse/throttle/*`` stats into ``total``."""
    for key, value in part.items():
        known = total.get(key)
        if known is None:
            total[key] = value
        else:
            total[key] = max(known, value) if key in MAX_STATS else known + value


def _http_date(text: str) -> datetime | None:
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def retry_after_seconds(
    value: bytes | None, date: bytes | None = None, now: datetime | None = None
) -> float | None:
    """Seconds a ``Retry-After`` header asks for (RFC 9110 10.2.3); None if absent or unparseable.

    An HTTP date is measured from the response's ``Date`` header when it has a valid one (the
    server's clock, so skew between the clocks does not change the wait), else from ``now``.
    """
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isascii() and text.isdigit():  # str.isdigit() also accepts "²"
        return float(text)
    when = _http_date(text)
    if when is None:
        return None
    reference = _http_date(date.decode("latin-1")) if date else None
    if reference is None:
        reference = now or datetime.now(UTC)
    return max(0.0, (when - reference).total_seconds())


@dataclass(slots=True)
class HostPace:
    """How one host is spaced by this process: ``delay`` >= ``floor``, nothing before ``resume_at``."""

    floor: float
    delay: float
    resume_at: float = -math.inf
    crawl_delay: float | None = None


class Pacer:
    """The pacing policy of the module docstring, per host, on an injectable monotonic clock."""

    def __init__(
        self,
        base_delay: float,
        backoff: float,
        cap: float,
        crawl_delay_max: float,
        processes: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_delay = base_delay
        self.backoff = backoff
        self.cap = cap
        self.crawl_delay_max = crawl_delay_max
        self.processes = processes
        self.clock = clock
        self.hosts: dict[str, HostPace] = {}
        self.backing_off: set[str] = set()

    def pace(self, host: str) -> HostPace:
        pace = self.hosts.get(host)
        if pace is None:
            pace = self.hosts[host] = HostPace(self.base_delay, self.base_delay)
        return pace

    def crawl_delay(self, host: str, seconds: float) -> float:
        """Apply a robots.txt Crawl-delay to ``host``; return the seconds honoured (capped)."""
        honoured = min(seconds, self.crawl_delay_max)
        pace = self.pace(host)
        # Several origins (http/https, ports) share a host: the strictest one counts.
        pace.crawl_delay = max(pace.crawl_delay or 0.0, honoured)
        pace.floor = max(pace.floor, honoured * self.processes)
        pace.delay = max(pace.delay, pace.floor)
        return honoured

    def throttled(self, host: str, retry_after: float | None) -> float | None:
        """A 429/503 from ``host``: the pause begun now (seconds), or None if none is needed."""
        now = self.clock()
        pace = self.pace(host)
        if retry_after is not None:
            pause = min(retry_after, self.cap)
        elif now < pace.resume_at:
            return None  # an answer to a request sent before the pause began
        else:
            pause = min(self.cap, max(self.backoff, 2 * pace.delay))
        pause = max(pace.floor, pause)
        if now + pause <= pace.resume_at:
            return None
        self._pause(host, pace, now, pause)
        return pause

    def from_peer(self, host: str, seconds: float) -> bool:
        """Another process paused ``host`` for ``seconds``: True when that extends the pause here."""
        now = self.clock()
        pace = self.pace(host)
        pause = max(pace.floor, min(seconds, self.cap))
        if now + pause <= pace.resume_at:
            return False
        self._pause(host, pace, now, pause)
        return True

    def _pause(self, host: str, pace: HostPace, now: float, pause: float) -> None:
        pace.delay = pause
        pace.resume_at = now + pause
        if pause > pace.floor:
            self.backing_off.add(host)
        else:
            self.backing_off.discard(host)

    def answered(self, host: str) -> bool:
        """An answer other than 429/503 from ``host``: True when its spacing went down."""
        if host not in self.backing_off:
            return False
        pace = self.hosts[host]
        if self.clock() < pace.resume_at:
            return False  # in flight before the pause: says nothing about the host now
        halved = pace.delay / 2
        if halved <= pace.floor or halved < max(self.backoff, MIN_SPACING):
            pace.delay = pace.floor
            self.backing_off.discard(host)
        else:
            pace.delay = halved
        return True


class HostThrottle:
    """Scrapy extension applying :class:`Pacer` to the downloader's slots.

    It listens to ``response_downloaded``, which the downloader sends before it looks at the
    slot's queue again, so a pause is in place before the next request to that host leaves.
    """

    def __init__(self, crawler: Crawler, pacer: Pacer) -> None:
        self.crawler = crawler
        self.pacer = pacer
        self.stats = crawler.stats
        settings = crawler.settings
        self.obey_robots = settings.getbool("ROBOTSTXT_OBEY")
        self.autothrottle = settings.getbool("AUTOTHROTTLE_ENABLED")
        self.user_agent = settings.get("USER_AGENT")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostThrottle:
        settings = crawler.settings
        pacer = Pacer(
            base_delay=settings.getfloat("DOWNLOAD_DELAY"),
            backoff=settings.getfloat("LINKWAREHOUSE_RETRY_BACKOFF"),
            cap=settings.getfloat("LINKWAREHOUSE_RETRY_AFTER_MAX"),
            crawl_delay_max=settings.getfloat("LINKWAREHOUSE_CRAWL_DELAY_MAX"),
            processes=settings.getint("LINKWAREHOUSE_PROCESSES", 1),
        )
        throttle = cls(crawler, pacer)
        # Connected after AutoThrottle's receiver (an earlier extension): we have the last word.
        crawler.signals.connect(throttle.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(throttle.robots_parsed, signal=robots_parsed)
        crawler.signals.connect(throttle.peer_paused, signal=peer_paused)
        return throttle

    @property
    def downloader(self) -> Downloader:
        return self.crawler.engine.downloader  # type: ignore[union-attr]

    # -- signals -----------------------------------------------------------------------------

    def response_downloaded(self, response: Response, request: Request) -> None:
        status = response.status
        if status in HOST_THROTTLE_STATUSES:
            self._throttled(response, request)
            return
        if not self.pacer.backing_off and not self.autothrottle:
            return  # the common case, once per response: nothing to do
        host = self._host(request)
        if self.pacer.answered(host):
            self._apply(host)
            if host not in self.pacer.backing_off:
                self.stats.inc_value("linkwarehouse/throttle/recovered")
                logger.info("host %s recovered: spacing back to %.2f s", host, self.pacer.hosts[host].delay)
        elif self.autothrottle and host in self.pacer.hosts:
            self._apply(host)  # AutoThrottle may just have lowered the slot's delay

    def robots_parsed(self, rules: RobotsRules) -> None:
        if not self.obey_robots:
            return
        seconds = rules.crawl_delay(self.user_agent)
        if seconds is None:
            return
        host = urlparse(rules.origin).hostname or ""
        honoured = self.pacer.crawl_delay(host, seconds)
        self.stats.max_value("linkwarehouse/throttle/crawl_delay_s", honoured)
        self.stats.max_value("linkwarehouse/throttle/host_floor_s", self.pacer.hosts[host].floor)
        if honoured < seconds:
            self.stats.inc_value("linkwarehouse/throttle/crawl_delay_capped")
            logger.warning(
                "robots.txt of %s asks for Crawl-delay %g s: honouring %g s (crawl.crawl_delay_max)",
                rules.origin,
                seconds,
                honoured,
            )
        else:
            logger.info("robots.txt of %s: Crawl-delay %g s honoured", rules.origin, seconds)
        self._apply(host)

    def peer_paused(self, host: str, seconds: float) -> None:
        if self.pacer.from_peer(host, seconds):
            self.stats.inc_value("linkwarehouse/throttle/peer_pauses")
            self._apply(host, restart=True)

    # -- slots ---------------------------------------------------------------------------------

    def _host(self, request: Request) -> str:
        return request.meta.get("download_slot") or self.downloader.get_slot_key(request)

    def _throttled(self, response: Response, request: Request) -> None:
        host = self._host(request)
        self.stats.inc_value(f"linkwarehouse/throttle/responses/{response.status}")
        retry_after = retry_after_seconds(response.headers.get(b"Retry-After"), response.headers.get(b"Date"))
        if retry_after is not None and retry_after > self.pacer.cap:
            self.stats.inc_value("linkwarehouse/throttle/retry_after_capped")
        pause = self.pacer.throttled(host, retry_after)
        if pause is None:
            return
        self._apply(host, restart=True)
        self.stats.inc_value("linkwarehouse/throttle/pauses")
        self.stats.inc_value("linkwarehouse/throttle/pause_s", pause)
        self.stats.max_value("linkwarehouse/throttle/pause_max_s", pause)
        logger.info(
            "host %s answered HTTP %d%s: no request to it for %.2f s",
            host,
            response.status,
            "" if retry_after is None else f" (Retry-After {retry_after:g} s)",
            pause,
        )
        self.crawler.signals.send_catch_log(host_paused, host=host, seconds=pause)

    def _slot(self, host: str, create: bool) -> Slot | None:
        slot = self.downloader.slots.get(host)
        if slot is None and create:
            # The downloader's own constructor (concurrency, default delay, slot GC).
            url = f"http://[{host}]/" if ":" in host else f"http://{host}/"
            _key, slot = self.downloader._get_slot(Request(url, meta={"download_slot": host}))
        return slot

    def _apply(self, host: str, restart: bool = False) -> None:
        """Make ``host``'s slot follow its pace; ``restart`` starts the pause now."""
        pace = self.pacer.hosts[host]
        if pace.floor > self.pacer.base_delay:
            # A slot idle for a minute is dropped and recreated from DOWNLOAD_SLOTS: keep the floor.
            self.downloader.per_slot_settings[host] = {"delay": pace.floor}
        slot = self._slot(host, create=restart)
        if slot is None:
            return
        slot.delay = max(slot.delay, pace.delay) if self.autothrottle else pace.delay
        if restart:
            slot.lastseen = self.pacer.clock()

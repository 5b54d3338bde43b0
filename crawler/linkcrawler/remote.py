"""The worker side of a multi-process crawl: talk to the coordinator's frontier over a socket.

A worker offers the URLs it discovers (each at most once, again only when found closer to a
seed), reports how many of its orders it finished, and fetches the URLs the coordinator orders
it to. Messages are JSON lines on a Unix socket: writes are small and blocking (the coordinator
always reads), reads are non-blocking from the reactor's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from typing import TYPE_CHECKING, Any

from linkcrawler.frontier import VIA_RANK
from linkcrawler.publish import CrawlOutcome
from linkcrawler.throttle import host_paused, peer_paused

if TYPE_CHECKING:
    from linkcrawler.spiders.site import SiteSpider

logger = logging.getLogger(__name__)

BATCH = 512
FLUSH_INTERVAL = 0.02
#: Stats the coordinator adds up over workers for its summary.
SHARED_STATS = "linkwarehouse/throttle/"


class RemoteFrontier:
    """Batches offers to the coordinator and turns its orders into requests of this worker."""

    def __init__(self, spider: SiteSpider, path: str) -> None:
        self.spider = spider
        self.path = path
        self.offered: dict[str, tuple[int, int]] = {}
        self._out: list[list[Any]] = []
        self._done = 0
        self._errors = 0
        self._reported_done = 0
        self._buffer = b""
        self._sock: socket.socket | None = None
        self._flusher: asyncio.TimerHandle | None = None
        self._closing: asyncio.Future[None] | None = None

    def open(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(self.path)
        self._sock = sock
        loop = asyncio.get_running_loop()
        loop.add_reader(sock.fileno(), self._readable)
        self._send({"t": "hello", "worker": self.spider.worker_index})
        self.spider.crawler.signals.connect(self.host_paused, signal=host_paused)
        self._schedule_flush()

    def _send(self, message: dict[str, Any]) -> None:
        assert self._sock is not None
        self._sock.sendall(json.dumps(message, separators=(",", ":")).encode() + b"\n")

    def _schedule_flush(self) -> None:
        self._flusher = asyncio.get_running_loop().call_later(FLUSH_INTERVAL, self._tick)

    def _tick(self) -> None:
        self.flush()
        self._schedule_flush()

    def offer(self, url: str, depth: int, via: str, hop: int, seed: bool = False) -> None:
        key = (depth, VIA_RANK.get(via, 99))
        previous = self.offered.get(url)
        if previous is not None and previous <= key:
            return
        self.offered[url] = key
        self._out.append([url, depth, via, hop, seed])
        if len(self._out) >= BATCH:
            self.flush()

    def page_done(self, error: bool = False) -> None:
        self._done += 1
        self._errors += error

    def flush(self) -> None:
        if self._sock is None or (not self._out and self._done == self._reported_done):
            return
        items, self._out = self._out, []
        self._reported_done = self._done
        self._send({"t": "offers", "items": items, "done": self._done, "errors": self._errors})

    def start_outcome(self, url: str, error: str | None) -> None:
        """A start URL this worker fetched (``error`` None) or failed: the coordinator judges the crawl."""
        self.flush()
        self._send({"t": "seed", "url": url, "error": error})

    def host_paused(self, host: str, seconds: float) -> None:
        """This worker paused a host (429/503): every other worker must pause it too."""
        if self._sock is not None:
            self._send({"t": "pause", "host": host, "s": seconds})

    def late_urls(self, urls: list[str], via: str) -> None:
        self.flush()
        for start in range(0, len(urls), BATCH):
            self._send({"t": "late", "via": via, "urls": urls[start : start + BATCH]})

    def idle(self) -> None:
        self.flush()
        self._send({"t": "idle", "done": self._done, "errors": self._errors})

    def staged(self, staging_run: str, outcome: CrawlOutcome) -> None:
        self.flush()
        self._send(
            {
                "t": "staged",
                "run": staging_run,
                "finish_reason": outcome.finish_reason,
                "notes": outcome.notes,
                "robots": outcome.robots,
                "stats": {
                    key: value
                    for key, value in self.spider.crawler.stats.get_stats().items()
                    if key.startswith(SHARED_STATS)
                },
            }
        )
        self.spider.crawler.stats.set_value("linkwarehouse/staged", True)

    def aborted(self, reason: str) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._send({"t": "aborted", "reason": reason})

    def _readable(self) -> None:
        assert self._sock is not None
        try:
            chunk = self._sock.recv(1 << 20, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return
        if not chunk:
            asyncio.get_running_loop().remove_reader(self._sock.fileno())
            logger.error("the coordinator closed the connection: stopping")
            self._close("shutdown")
            return
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            if line:
                self._handle(json.loads(line))

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message["t"]
        if kind == "fetch":
            for url, depth, via, hop, trap in message["items"]:
                self.spider.order(url, depth, via, hop, trap)
        elif kind == "pause":
            signals = self.spider.crawler.signals
            signals.send_catch_log(peer_paused, host=message["host"], seconds=message["s"])
        elif kind == "finish":
            self._close("finished")
        elif kind == "abort":
            self._close("shutdown")

    def _close(self, reason: str) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
        engine = self.spider.crawler.engine
        if engine is not None and self._closing is None:
            self._closing = asyncio.ensure_future(engine.close_spider_async(reason=reason))

"""A crawl in several processes: one frontier here, N Scrapy workers fetching and extracting.

Scrapy's per-request machinery keeps one process on one core, so ``crawl.workers: 2`` runs two
``python -m linkcrawler --worker k/2`` processes. Each URL belongs to one worker (crc32 of the
URL modulo N). Workers offer the URLs they discover; this process owns the
:class:`~linkcrawler.frontier.Frontier` (limits, traps, phases, best discovery), orders each
admitted URL from its worker, and detects the end of a phase: every worker idle with all its
orders done. Then the late phases (sitemap, known URLs) run the same way, the workers are told
to finish, stage their rows, and this process publishes them once (publish.py).

A worker that dies or aborts aborts the whole crawl: nothing is published; so does a crawl whose
every start URL is refused (seeds.py). A host one worker pauses (429/503, throttle.py) is
paused in every worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import sys
import tempfile
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from linkcrawler.frontier import Frontier, Verdict
from linkcrawler.known_urls import LATE_PHASES, late_phase_urls
from linkcrawler.publish import CrawlOutcome, discard_staging, publish_crawl
from linkcrawler.seeds import StartUrls
from linkcrawler.throttle import merge_stats
from linkwarehouse.config import SiteConfig

logger = logging.getLogger("linkcrawler.coordinator")

PROGRESS_INTERVAL = 5.0
#: Longest message line accepted from a worker. Lines carry batches of URLs (a sitemap can list
#: 50,000 of them); asyncio's default limit of 64 KiB would kill the connection mid-crawl.
MAX_LINE_BYTES = 1 << 30


def owner(url: str, workers: int) -> int:
    """The worker that fetches ``url``: stable across runs and processes (not ``hash()``)."""
    return zlib.crc32(url.encode("utf-8", "surrogatepass")) % workers


class Coordinator:
    """Runs one multi-process crawl; :meth:`run` returns the CLI's JSON summary."""

    def __init__(
        self, site: SiteConfig, config: Path, crawl_id: str, lake: Path, run_id: str, log_level: str | None
    ) -> None:
        self.site = site
        self.config = config
        self.crawl_id = crawl_id
        self.lake = lake
        self.run_id = run_id
        self.log_level = log_level
        self.workers = site.crawl.workers
        self.frontier = Frontier.for_site(site)
        self.normalize = site.normalizer()
        self.seed_urls = list(dict.fromkeys(u for u in map(self.normalize, site.start_urls) if u))
        self.start_outcomes = StartUrls(site.name, self.seed_urls)
        self.permanent = False
        self.worker_stats: dict[str, float] = {}
        self.late_phases = list(LATE_PHASES)
        self.pending_sitemap: dict[str, None] = {}
        self.writers: dict[int, asyncio.StreamWriter] = {}
        self.sent = [0] * self.workers
        self.done = [0] * self.workers
        self.errors = [0] * self.workers
        self.idle = [False] * self.workers
        self.staged: dict[int, dict[str, Any]] = {}
        self.failed: str | None = None
        self.finishing = False
        self._orders: list[list[list[Any]]] = [[] for _ in range(self.workers)]
        self._all_connected = asyncio.Event()
        self._ended = asyncio.Event()
        self.started_at = datetime.now(UTC)

    # -- messages ------------------------------------------------------------------------

    def _offer(self, url: str, depth: int, via: str, hop: int, seed: bool = False) -> None:
        if self.frontier.offer(url, depth, via, seed=seed, hop=hop) is Verdict.FETCH:
            worker = owner(url, self.workers)
            self._orders[worker].append([url, depth, via, hop, self.frontier.found[url].trap])
        elif seed and url in self.frontier.refused_seeds:
            logger.warning("start URL %s refused: %s", url, self.frontier.refused_seeds[url])
            self._start_outcome(self.start_outcomes.outcome(url, self.frontier.refused_seeds[url]))
        elif seed:
            self._start_outcome(self.start_outcomes.skipped(url))

    def _start_outcome(self, failure: str | None) -> None:
        if failure is not None:
            self.permanent = self.start_outcomes.permanent
            self._fail(failure)

    def _send(self, worker: int, message: dict[str, Any]) -> None:
        self.writers[worker].write(json.dumps(message, separators=(",", ":")).encode() + b"\n")

    def _dispatch(self) -> None:
        for worker, orders in enumerate(self._orders):
            if orders:
                self._orders[worker] = []
                self.sent[worker] += len(orders)
                self.idle[worker] = False
                self._send(worker, {"t": "fetch", "items": orders})

    def _handle(self, worker: int, message: dict[str, Any]) -> None:
        kind = message["t"]
        if kind == "offers":
            self.idle[worker] = False
            for url, depth, via, hop, seed in message["items"]:
                self._offer(url, depth, via, hop, seed)
            self.done[worker], self.errors[worker] = message["done"], message["errors"]
        elif kind == "seed":
            self._start_outcome(self.start_outcomes.outcome(message["url"], message["error"]))
        elif kind == "pause":
            for other in self.writers:
                if other != worker:
                    self._send(other, message)
        elif kind == "late":
            for url in message["urls"]:
                if url not in self.frontier.seen:
                    self.pending_sitemap[url] = None
        elif kind == "idle":
            self.done[worker], self.errors[worker] = message["done"], message["errors"]
            self.idle[worker] = True
        elif kind == "staged":
            self.staged[worker] = message
            merge_stats(self.worker_stats, message.get("stats", {}))
            if len(self.staged) == self.workers:
                self._ended.set()
        elif kind == "aborted":
            self._fail(f"worker {worker} aborted: {message['reason']}")
        if self.failed is not None:
            return
        self._dispatch()
        if not self.finishing and self._quiescent():
            self._next_phase()

    def _quiescent(self) -> bool:
        return len(self.writers) == self.workers and all(self.idle) and self.sent == self.done

    def _next_phase(self) -> None:
        while self.late_phases:
            phase = self.late_phases.pop(0)
            self.frontier.next_phase()
            before = sum(self.sent)
            for url, via in late_phase_urls(phase, self.pending_sitemap, self.site, self.lake, self.crawl_id):
                self._offer(url, 0, via, 0)
            self._dispatch()
            if sum(self.sent) > before:
                logger.info("links ran dry: fetching %d URL(s) found via %s", sum(self.sent) - before, phase)
                return
        self.finishing = True
        logger.info("every worker is idle with its orders done: finishing")
        for worker in range(self.workers):
            self._send(worker, {"t": "finish"})

    def _fail(self, reason: str) -> None:
        if self.failed is None:
            self.failed = reason
            logger.error("crawl %s fails: %s", self.crawl_id, reason)
            for worker in self.writers:
                with contextlib.suppress(Exception):
                    self._send(worker, {"t": "abort"})
        self._ended.set()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        worker: int | str = "?"
        try:
            hello = json.loads(await reader.readline())
            worker = int(hello["worker"])
            self.writers[worker] = writer
            if self.failed is not None:  # connected after the crawl failed: it must stop too
                self._send(worker, {"t": "abort"})
            if len(self.writers) == self.workers:
                self._all_connected.set()
            await self._all_connected.wait()
            while line := await reader.readline():
                self._handle(worker, json.loads(line))
        except Exception as exc:  # a broken exchange must end the crawl, never hang it
            logger.exception("talking to worker %s", worker)
            self._fail(f"worker {worker}: {type(exc).__name__}: {exc}")
        if worker not in self.staged:
            self._fail(f"worker {worker} disconnected before staging its rows")

    # -- processes -------------------------------------------------------------------------

    def _command(self, worker: int, socket_path: str) -> list[str]:
        command = [
            sys.executable, "-m", "linkcrawler", "--config", str(self.config), "--site", self.site.name,
            "--crawl-id", self.crawl_id, "--lake", str(self.lake), "--run-id", self.run_id,
            "--worker", f"{worker}/{self.workers}", "--coordinator", socket_path,
        ]  # fmt: skip
        if self.log_level:
            command += ["--log-level", self.log_level]
        return command

    async def _progress(self) -> None:
        last, last_time = 0, time.monotonic()
        while True:
            await asyncio.sleep(PROGRESS_INTERVAL)
            pages, now = sum(self.done), time.monotonic()
            logger.info(
                "progress: %d pages (%.1f pages/s), queue %d, errors %d, workers %d",
                pages,
                (pages - last) / max(now - last_time, 1e-9),
                sum(self.sent) - pages,
                sum(self.errors),
                self.workers,
            )
            last, last_time = pages, now

    async def run(self) -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="linkcrawler-") as folder:
            socket_path = str(Path(folder) / "frontier.sock")
            server = await asyncio.start_unix_server(self._client, path=socket_path, limit=MAX_LINE_BYTES)
            processes = [
                await asyncio.create_subprocess_exec(
                    *self._command(k, socket_path), stdout=sys.stderr.fileno()
                )
                for k in range(self.workers)
            ]
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, self._fail, f"received signal {signum}")
            progress = asyncio.ensure_future(self._progress())
            waiters = [asyncio.ensure_future(process.wait()) for process in processes]
            # Worker 0 offers the start URLs and fetches robots.txt and sitemaps.
            await self._all_connected_or_dead(waiters)
            if self.failed is None:
                await self._ended.wait()
            codes = await asyncio.gather(*waiters)
            progress.cancel()
            server.close()
        runs = [message["run"] for message in self.staged.values()]
        if self.failed is None and any(codes):
            self.failed = f"worker exit codes {codes}"
        if self.failed is not None:
            discard_staging(self.lake, [f"{self.run_id}-w{k}" for k in range(self.workers)])
            return {"published": False, "abort_reason": self.failed, "permanent": self.permanent}
        outcome = CrawlOutcome(workers=self.workers)
        for message in self.staged.values():
            for key, value in message["notes"].items():
                outcome.notes[key] = outcome.notes.get(key, 0) + value
            outcome.robots.update(message["robots"])
        row = publish_crawl(
            self.lake,
            self.site.name,
            self.crawl_id,
            self.run_id,
            sorted(runs),
            self.frontier,
            outcome,
            {
                "started_at": self.started_at,
                "config_hash": self.site.config_hash(),
                "start_urls": self.seed_urls,
                "user_agent": self.site.crawl.user_agent,
            },
            follow_nofollow=self.site.crawl.follow_nofollow,
            normalize=self.normalize,
            volatile_min_pages=self.site.crawl.trap_volatile_param_pages,
        )
        return {"published": True, "row": row}

    async def _all_connected_or_dead(self, waiters: list[asyncio.Future[int]]) -> None:
        connected = asyncio.ensure_future(self._all_connected.wait())
        await asyncio.wait([connected, *waiters], return_when=asyncio.FIRST_COMPLETED)
        if not connected.done():
            connected.cancel()
            self._fail("a worker exited before connecting")

"""Per-host pacing (throttle.py): Retry-After, pauses of the whole host on 429/503, Crawl-delay.

The policy runs on an injected clock; its effect on Scrapy's real download slots is checked on a
real Downloader; the crawls of local servers check the waits the crawler scheduled (its stats)
and, from the server's own clock, that nothing reached the host before a pause was over.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from scrapy import Request
from scrapy.core.downloader import Downloader
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from linkcrawler.robots import rules_from_status
from linkcrawler.throttle import HostThrottle, Pacer, merge_stats, retry_after_seconds

from .conftest import Route, html, lake_rows, run_crawl, write_config

NOW = datetime(2026, 6, 1, tzinfo=UTC)
UA = "LinkWarehouseBot/0.1 (+https://github.com/linkwarehouse)"


@pytest.mark.parametrize(
    ("value", "date", "seconds"),
    [
        (None, None, None),
        (b"", None, None),
        (b"7", None, 7.0),
        (b" 12 ", None, 12.0),
        (b"Mon, 01 Jun 2026 00:00:30 GMT", None, 30.0),  # no Date header: our clock
        (b"Mon, 01 Jun 2026 00:00:30 GMT", b"Mon, 01 Jun 2026 00:00:28 GMT", 2.0),  # the server's clock
        (b"Mon, 01 Jun 2026 00:00:30 GMT", b"yesterday", 30.0),  # unusable Date: our clock
        (b"Sun, 31 May 2026 23:00:00 GMT", None, 0.0),  # in the past: now
        (b"Monday, 01-Jun-26 00:00:30 GMT", None, 30.0),  # RFC 850, obsolete but allowed
        (b"soon", None, None),
        ("\u00b2".encode("latin-1"), None, None),
        (b"-5", None, None),
    ],
)
def test_retry_after_seconds(value: bytes | None, date: bytes | None, seconds: float | None) -> None:
    assert retry_after_seconds(value, date, now=NOW) == seconds


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def pacer(clock: Clock, **kwargs: float) -> Pacer:
    settings = {"base_delay": 0.0, "backoff": 1.0, "cap": 60.0, "crawl_delay_max": 10.0, **kwargs}
    return Pacer(clock=clock, **settings)  # type: ignore[arg-type]


def test_429_without_retry_after_doubles_then_recovers_by_halving() -> None:
    clock = Clock()
    pace = pacer(clock)
    steps = []
    for at, event in [
        (0.0, "429"),  # pause 1 s (crawl.retry_backoff)
        (0.5, "429"),  # sent before the pause began: same episode, no escalation
        (0.6, "200"),  # also in flight before the pause: says nothing yet
        (1.2, "503"),  # the first request after the pause is refused again: 2 s
        (3.5, "200"),  # spacing halves: 1 s
        (3.6, "200"),  # 0.5 s would be below the backoff: back to the floor (0)
        (3.7, "200"),
    ]:
        clock.now = 1000.0 + at
        changed = pace.answered("h") if event == "200" else pace.throttled("h", None)
        state = pace.hosts["h"]
        steps.append((at, changed, state.delay, round(state.resume_at - 1000.0, 3), "h" in pace.backing_off))
    assert steps == [
        (0.0, 1.0, 1.0, 1.0, True),
        (0.5, None, 1.0, 1.0, True),
        (0.6, False, 1.0, 1.0, True),
        (1.2, 2.0, 2.0, 3.2, True),
        (3.5, True, 1.0, 3.2, True),
        (3.6, True, 0.0, 3.2, False),
        (3.7, False, 0.0, 3.2, False),
    ]


def test_retry_after_is_honoured_and_capped_and_the_floor_kept() -> None:
    clock = Clock()
    pace = pacer(clock, cap=30.0, base_delay=0.5)
    assert pace.throttled("h", 7.0) == 7.0
    clock.now += 1  # a longer Retry-After while paused extends the pause
    assert pace.throttled("h", 3600.0) == 30.0
    assert pace.hosts["h"].resume_at == clock.now + 30.0
    clock.now += 40  # the server may ask for less than our floor: the floor holds
    assert pace.throttled("h", 0.0) == 0.5
    assert "h" not in pace.backing_off and pace.hosts["h"].delay == 0.5


def test_crawl_delay_is_capped_and_the_site_delay_is_its_floor() -> None:
    clock = Clock()
    pace = pacer(clock, base_delay=0.6, crawl_delay_max=5.0, processes=2)
    assert pace.crawl_delay("a", 0.2) == 0.2
    assert pace.hosts["a"].floor == 0.6  # crawl.delay (x processes) is more than 2 x 0.2
    assert pace.crawl_delay("b", 30.0) == 5.0
    assert pace.hosts["b"].floor == 10.0  # 5 s capped, two processes: each waits 10 s
    assert pace.throttled("b", None) == 20.0  # a 429 doubles the spacing the host had
    clock.now += 20
    assert pace.answered("b") and pace.hosts["b"].delay == 10.0 and "b" not in pace.backing_off


def test_a_peer_pause_pauses_this_process_too() -> None:
    clock = Clock()
    pace = pacer(clock)
    assert pace.from_peer("h", 4.0)
    assert (pace.hosts["h"].delay, pace.hosts["h"].resume_at) == (4.0, clock.now + 4.0)
    assert not pace.from_peer("h", 2.0)  # already paused longer
    clock.now += 1
    assert pace.throttled("h", None) is None  # our in-flight answers belong to the same pause


def test_merge_stats_of_processes() -> None:
    total: dict[str, float] = {}
    merge_stats(total, {"linkwarehouse/throttle/pauses": 1, "linkwarehouse/throttle/pause_max_s": 2.0})
    merge_stats(total, {"linkwarehouse/throttle/pauses": 2, "linkwarehouse/throttle/pause_max_s": 1.5})
    assert total == {"linkwarehouse/throttle/pauses": 3, "linkwarehouse/throttle/pause_max_s": 2.0}


def throttle_on_a_downloader(clock: Clock, **settings: object) -> tuple[HostThrottle, Downloader]:
    """The extension on a real Downloader (call inside a running event loop, as Scrapy does)."""
    crawler = get_crawler(
        settings_dict={
            "DOWNLOAD_DELAY": 0.0,
            "DOWNLOAD_DELAY_JITTER": 0.0,
            "ROBOTSTXT_OBEY": True,
            "LINKWAREHOUSE_RETRY_BACKOFF": 1.0,
            "LINKWAREHOUSE_RETRY_AFTER_MAX": 60.0,
            "LINKWAREHOUSE_CRAWL_DELAY_MAX": 10.0,
            "USER_AGENT": UA,
            **settings,
        }
    )
    downloader = Downloader(crawler)
    crawler.engine = SimpleNamespace(downloader=downloader)  # type: ignore[assignment]
    throttle = HostThrottle.from_crawler(crawler)
    throttle.pacer.clock = clock
    return throttle, downloader


def answer(downloader: Downloader, status: int, **headers: str) -> tuple[Response, Request]:
    request = Request("http://example.com/p")
    _key, _slot = downloader._get_slot(request)
    request.meta["download_slot"] = "example.com"
    return Response(request.url, status=status, headers=headers, request=request), request


def in_loop(test):
    """Run ``test`` inside an asyncio loop: Scrapy's downloader starts timers on its slots."""

    def run() -> None:
        async def body() -> None:
            test()

        asyncio.run(body())

    run.__name__, run.__doc__ = test.__name__, test.__doc__
    return run


@in_loop
def test_a_429_moves_the_hosts_download_slot() -> None:
    """Scrapy sends a slot's next request ``delay`` after ``lastseen``: that is the whole pause."""
    clock = Clock()
    throttle, downloader = throttle_on_a_downloader(clock)
    response, request = answer(downloader, 429, **{"Retry-After": "3"})
    slot = downloader.slots["example.com"]
    assert (slot.delay, slot.lastseen) == (0.0, 0)
    throttle.response_downloaded(response, request)
    assert (slot.delay, slot.lastseen) == (3.0, clock.now)
    clock.now += 3
    ok, request = answer(downloader, 200)
    throttle.response_downloaded(ok, request)
    assert slot.delay == 1.5
    throttle.response_downloaded(ok, request)
    assert slot.delay == 0.0  # recovered
    assert throttle.stats.get_stats() == {
        "linkwarehouse/throttle/responses/429": 1,
        "linkwarehouse/throttle/pauses": 1,
        "linkwarehouse/throttle/pause_s": 3.0,
        "linkwarehouse/throttle/pause_max_s": 3.0,
        "linkwarehouse/throttle/recovered": 1,
    }


@in_loop
def test_crawl_delay_for_our_user_agent_sets_the_slot_floor() -> None:
    clock = Clock()
    throttle, downloader = throttle_on_a_downloader(clock)
    body = b"User-agent: *\nCrawl-delay: 60\n\nUser-agent: LinkWarehouseBot\nCrawl-delay: 2.5\n"
    throttle.robots_parsed(rules_from_status("http://example.com", 200, body))
    # No slot yet: the one Scrapy creates for the host starts with the floor and no jitter.
    assert downloader.per_slot_settings == {"example.com": {"delay": 2.5}}
    answer(downloader, 200)
    assert downloader.slots["example.com"].delay == 2.5
    assert throttle.stats.get_stats() == {
        "linkwarehouse/throttle/crawl_delay_s": 2.5,
        "linkwarehouse/throttle/host_floor_s": 2.5,
    }


@in_loop
def test_crawl_delay_is_ignored_when_robots_txt_is() -> None:
    throttle, downloader = throttle_on_a_downloader(Clock(), ROBOTSTXT_OBEY=False)
    throttle.robots_parsed(rules_from_status("http://example.com", 200, b"User-agent: *\nCrawl-delay: 5\n"))
    assert (downloader.per_slot_settings, throttle.stats.get_stats()) == ({}, {})


# -- crawls of local servers ------------------------------------------------------------------

CONFIG = """sites:
  - name: paced
    start_urls: ["{base}/"]
    discover_sitemaps: false
    crawl:
      concurrency: {concurrency}
      retry_backoff: 0.5
      retry_after_max: {retry_after_max}
      fetch_known_urls: false
      workers: {workers}
      allow_private_networks: ["127.0.0.1/32"]
{extra}"""

HOME = html("".join(f'<a href="/{name}">{name}</a>' for name in "abcdef"))
PAGES = {f"/{name}": html(f"<p>{name}</p>") for name in "abcdef"}
# The server's clock, fixed: an HTTP-date Retry-After 1 s after it asks for exactly 1 s.
SERVER_DATE = "Mon, 01 Jun 2026 00:00:00 GMT"


def crawl(
    serve,
    tmp_path: Path,
    routes: dict,
    workers: int = 1,
    concurrency: int = 1,
    extra: str = "",
    retry_after_max: float = 5,
):
    site = serve(routes)
    config = CONFIG.format(
        base=site.base, workers=workers, concurrency=concurrency, extra=extra, retry_after_max=retry_after_max
    )
    lake = tmp_path / "lake"
    result = run_crawl(write_config(tmp_path / "sites.yaml", config), "paced", "p1", lake, timeout=120)
    assert result.returncode == 0, result.stderr[-4000:]
    return site, lake, printed_stats(result.stdout)


def printed_stats(stdout: str) -> dict[str, object]:
    """The ``linkwarehouse/...`` stats the CLI prints in its summary."""
    stats = {}
    for line in stdout.splitlines():
        key, _, value = line.strip().partition(": ")
        if key.startswith("linkwarehouse/"):
            try:
                stats[key] = json.loads(value)
            except json.JSONDecodeError:
                stats[key] = value
    return stats


def throttle_stats(stats: dict) -> dict:
    return {key: value for key, value in stats.items() if key.startswith("linkwarehouse/throttle/")}


def page_rows(site, lake: Path) -> dict[str, tuple]:
    return {
        p["url"].replace(site.base, ""): (p["status"], p["error"], p["retries"])
        for p in lake_rows(lake, "crawl/pages", "url")
    }


@pytest.mark.integration
@pytest.mark.parametrize(
    ("status", "headers", "pause"),
    [
        (429, (("Retry-After", "1"),), 1.0),
        (429, (("Date", SERVER_DATE), ("Retry-After", "Mon, 01 Jun 2026 00:00:01 GMT")), 1.0),
        (503, (), 0.5),  # no Retry-After: crawl.retry_backoff
    ],
    ids=["seconds", "http-date", "backoff"],
)
def test_a_throttled_answer_pauses_the_whole_host(
    serve, tmp_path: Path, status: int, headers: tuple, pause: float
) -> None:
    routes = {**PAGES, "/": HOME, "/a": Route("busy", status=status, headers=headers, then=(PAGES["/a"],))}
    site, lake, stats = crawl(serve, tmp_path, routes)
    assert throttle_stats(stats) == {
        f"linkwarehouse/throttle/responses/{status}": 1,
        "linkwarehouse/throttle/pauses": 1,
        "linkwarehouse/throttle/pause_s": pause,
        "linkwarehouse/throttle/pause_max_s": pause,
        "linkwarehouse/throttle/recovered": 1,
    }
    rows = page_rows(site, lake)
    assert rows == {"/": (200, None, 0), "/a": (200, None, 1), **{f"/{n}": (200, None, 0) for n in "bcdef"}}
    # On the server's clock: the next request of ANY page came only after the pause (the old
    # middleware slept for /a alone and let /b through at once).
    arrivals = sorted((t, path) for path, times in site.times.items() for t in times)
    throttled_at = site.times["/a"][0]
    following = [t for t, _path in arrivals if t > throttled_at]
    assert following[0] - throttled_at >= pause


@pytest.mark.integration
def test_retry_after_beyond_the_cap_pauses_for_the_cap_and_is_recorded(serve, tmp_path: Path) -> None:
    routes = {**PAGES, "/": HOME, "/a": Route("later", status=429, headers=(("Retry-After", "3600"),))}
    site, lake, stats = crawl(serve, tmp_path, routes, retry_after_max=1)
    assert throttle_stats(stats) == {
        "linkwarehouse/throttle/responses/429": 1,
        "linkwarehouse/throttle/retry_after_capped": 1,
        "linkwarehouse/throttle/pauses": 1,
        "linkwarehouse/throttle/pause_s": 1.0,
        "linkwarehouse/throttle/pause_max_s": 1.0,
        "linkwarehouse/throttle/recovered": 1,
    }
    assert page_rows(site, lake)["/a"] == (429, None, 0)  # not retried: an hour is too long
    assert site.requests["/a"] == 1


def robots(crawl_delay: str) -> Route:
    body = f"User-agent: *\nCrawl-delay: 60\n\nUser-agent: LinkWarehouseBot\nCrawl-delay: {crawl_delay}\n"
    return Route(body, content_type="text/plain")


@pytest.mark.integration
@pytest.mark.parametrize(
    ("crawl_delay", "extra", "floor", "capped"),
    [
        ("0.4", "", 0.4, None),  # our own group's value, not the 60 s of *
        ("30", "      crawl_delay_max: 0.3\n", 0.3, 1),
        ("0.2", "      delay: 0.5\n", 0.5, None),  # crawl.delay is the floor
    ],
    ids=["honoured", "capped", "site-delay-floor"],
)
def test_crawl_delay_spaces_every_request_to_the_host(
    serve, tmp_path: Path, crawl_delay: str, extra: str, floor: float, capped: int | None
) -> None:
    routes = {**PAGES, "/": HOME, "/robots.txt": robots(crawl_delay)}
    site, lake, stats = crawl(serve, tmp_path, routes, concurrency=4, extra=extra)
    honoured = min(float(crawl_delay), floor)
    expected = {
        "linkwarehouse/throttle/crawl_delay_s": honoured,
        "linkwarehouse/throttle/host_floor_s": floor,
    }
    if capped:
        expected["linkwarehouse/throttle/crawl_delay_capped"] = capped
    assert throttle_stats(stats) == expected
    assert len(page_rows(site, lake)) == 7
    (run,) = lake_rows(lake, "crawl/runs", "crawl_id")
    assert json.loads(run["stop_details"])["robots"] == {site.base: f"HTTP 200, Crawl-delay {crawl_delay} s"}
    # Seven pages, four allowed in flight: spaced by the floor all the same (the first one may
    # have had a slower way to the server than the next, hence half a floor of slack).
    pages = sorted(t for path, times in site.times.items() if path != "/robots.txt" for t in times)
    assert pages[-1] - pages[0] >= 6 * floor - floor / 2


@pytest.mark.integration
def test_two_processes_share_pauses_and_split_the_crawl_delay(serve, tmp_path: Path) -> None:
    routes = {
        **PAGES,
        "/": HOME,
        "/robots.txt": robots("0.2"),
        "/a": Route("busy", status=429, headers=(("Retry-After", "1"),), then=(PAGES["/a"],)),
    }
    site, lake, stats = crawl(serve, tmp_path, routes, workers=2)
    assert throttle_stats(stats) == {
        "linkwarehouse/throttle/crawl_delay_s": 0.2,
        "linkwarehouse/throttle/host_floor_s": 0.4,  # each of two processes: twice the delay
        "linkwarehouse/throttle/responses/429": 1,
        "linkwarehouse/throttle/pauses": 1,
        "linkwarehouse/throttle/pause_s": 1.0,
        "linkwarehouse/throttle/pause_max_s": 1.0,
        "linkwarehouse/throttle/peer_pauses": 1,  # the other process paused the host too
        # Recovery needs answers after the pause: how many processes still had pages is timing.
        "linkwarehouse/throttle/recovered": stats.get("linkwarehouse/throttle/recovered"),
    }
    assert stats["linkwarehouse/throttle/recovered"] in (1, 2)
    rows = page_rows(site, lake)
    assert rows == {"/": (200, None, 0), "/a": (200, None, 1), **{f"/{n}": (200, None, 0) for n in "bcdef"}}

"""BackoffRetryMiddleware: which answers are retried, how long it waits (Retry-After), when it stops."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from scrapy import Request
from scrapy.exceptions import DownloadTimeoutError, ResponseDataLossError
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from linkcrawler import middlewares
from linkcrawler.middlewares import BackoffRetryMiddleware, retry_delay


@pytest.mark.parametrize(
    ("header", "attempt", "delay"),
    [
        (None, 0, 1.0),
        (None, 2, 4.0),
        (b"7", 0, 7.0),
        (b"  12 ", 1, 12.0),
        (b"Mon, 01 Jun 2026 00:00:30 GMT", 0, 30.0),
        (b"Sun, 31 May 2026 23:00:00 GMT", 0, 0.0),
        (b"soon", 1, 2.0),
        ("\u00b2".encode("latin-1"), 0, 1.0),
    ],
)
def test_retry_delay_honours_retry_after(header: bytes | None, attempt: int, delay: float) -> None:
    assert retry_delay(header, attempt, 1.0, now=datetime(2026, 6, 1, tzinfo=UTC)) == delay


def test_retry_after_date_is_read_on_the_servers_clock() -> None:
    """The response's Date, not ours: a server 10 minutes behind still means "in 30 s"."""
    header, date = b"Sun, 31 May 2026 23:50:30 GMT", b"Sun, 31 May 2026 23:50:00 GMT"
    assert retry_delay(header, 0, 1.0, now=datetime(2026, 6, 1, tzinfo=UTC), date=date) == 30.0


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(middlewares, "sleep", sleep)
    return slept


def retry_middleware() -> BackoffRetryMiddleware:
    settings = {
        "LINKWAREHOUSE_RETRIES": 2,
        "LINKWAREHOUSE_RETRY_BACKOFF": 0.5,
        "LINKWAREHOUSE_RETRY_AFTER_MAX": 60,
    }
    return BackoffRetryMiddleware.from_crawler(get_crawler(settings_dict=settings))


def answer(
    status: int, attempt: int = 0, meta: dict | None = None, **headers: str
) -> tuple[Request, Response]:
    request = Request("http://example.com/p", meta={"lw_retries": attempt, **(meta or {})})
    return request, Response(request.url, status=status, headers=headers, request=request)


@pytest.mark.parametrize(
    ("status", "attempt", "headers", "meta", "retried_after"),
    [
        # 429/503 paused the whole host (throttle.py): the retry waits in the host's slot, not here.
        (503, 0, {"Retry-After": "7"}, {}, 0.0),
        (429, 1, {}, {}, 0.0),
        (500, 0, {"Retry-After": "7"}, {}, 7.0),
        (502, 1, {}, {}, 1.0),  # backoff 0.5 * 2**1
        (429, 0, {"Retry-After": "3600"}, {}, None),  # longer than retry_after_max: recorded as is
        (
            429,
            0,
            {"Retry-After": "Mon, 01 Jun 2026 01:00:00 GMT", "Date": "Mon, 01 Jun 2026 00:00:00 GMT"},
            {},
            None,
        ),  # an hour on the server's clock, whatever ours says
        (503, 2, {}, {}, None),  # retries used up
        (503, 0, {}, {"dont_retry": True}, None),
        (404, 0, {}, {}, None),
        (301, 0, {}, {}, None),
    ],
)
def test_which_answers_are_retried(
    waits: list[float], status: int, attempt: int, headers: dict, meta: dict, retried_after: float | None
) -> None:
    request, response = answer(status, attempt, meta, **headers)
    result = asyncio.run(retry_middleware().process_response(request, response))
    if retried_after is None:
        assert (result, waits) == (response, [])
    else:
        assert isinstance(result, Request)
        assert (result.url, result.meta["lw_retries"], result.dont_filter, waits) == (
            request.url,
            attempt + 1,
            True,
            [retried_after] if retried_after else [],
        )


def test_only_dropped_connections_are_retried(waits: list[float]) -> None:
    middleware = retry_middleware()
    request = Request("http://example.com/p")
    retry = asyncio.run(middleware.process_exception(request, ResponseDataLossError("lost")))
    assert (retry.meta["lw_retries"], waits) == (1, [0.5])
    # A timeout is not retried: a page slower than the timeout would stall the crawl again.
    assert asyncio.run(middleware.process_exception(request, DownloadTimeoutError("slow"))) is None

"""Turn a failed request into the ``error`` string of its crawl/pages row.

Refusals keep their contract spelling (``robots_disallowed``, ``ssrf_refused: <ip>``); network
failures get a short stable code first so the warehouse can group them, then the detail.
"""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from twisted.python.failure import Failure

from linkcrawler.middlewares import HostUnresolvable, RobotsDisallowed, SsrfRefused

_CODES: tuple[tuple[type[BaseException], str], ...] = (
    (DownloadTimeoutError, "timeout"),
    (CannotResolveHostError, "dns_error"),
    (DownloadConnectionRefusedError, "connection_refused"),
    (ResponseDataLossError, "data_loss"),
    (DownloadFailedError, "connection_failed"),
    (DownloadCancelledError, "download_cancelled"),
    (IgnoreRequest, "ignored"),
)


def error_of(failure: Failure) -> str:
    """The error string recorded for a request that produced no response."""
    exc = failure.value
    if isinstance(exc, RobotsDisallowed):
        return "robots_disallowed"
    if isinstance(exc, SsrfRefused):
        return f"ssrf_refused: {exc.address}"
    if isinstance(exc, HostUnresolvable):
        return str(exc)
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, DownloadCancelledError) and "max size" in detail:
        return f"max_size_exceeded: {detail}"
    for exc_type, code in _CODES:
        if isinstance(exc, exc_type):
            return f"{code}: {detail}"
    return f"{type(exc).__name__}: {detail}"

"""Turn a failed request into the ``error`` string of its crawl/pages row.

Refusals keep their contract spelling (``robots_disallowed``, ``ssrf_refused: <ip>``,
``robots_unavailable: HTTP 503``); network failures get a short stable code first so the
warehouse can group them, then the detail.
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
from scrapy.utils.httpobj import urlparse_cached
from twisted.python.failure import Failure

from linkcrawler.errors import HostUnresolvable, RobotsDisallowed, RobotsUnavailable, SsrfRefused
from linkcrawler.ssrf import installed_resolver

_CODES: tuple[tuple[type[BaseException], str], ...] = (
    (DownloadTimeoutError, "timeout"),
    (CannotResolveHostError, "dns_error"),
    (DownloadConnectionRefusedError, "connection_refused"),
    (ResponseDataLossError, "data_loss"),
    (DownloadFailedError, "connection_failed"),
    (DownloadCancelledError, "download_cancelled"),
    (IgnoreRequest, "ignored"),
)


def _connect_time_refusal(failure: Failure) -> str | None:
    """The address the connection-time guard refused for this request's host, if it did."""
    resolver = installed_resolver()
    request = getattr(failure, "request", None)
    if resolver is None or request is None:
        return None
    return resolver.refusals.get(urlparse_cached(request).hostname or "")


def error_of(failure: Failure) -> str:
    """The error string recorded for a request that produced no response."""
    exc = failure.value
    if isinstance(exc, RobotsDisallowed):
        return "robots_disallowed"
    if isinstance(exc, RobotsUnavailable):
        return exc.reason
    if isinstance(exc, SsrfRefused):
        return f"ssrf_refused: {exc.address}"
    if isinstance(exc, HostUnresolvable):
        return str(exc)
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, CannotResolveHostError):
        refused = _connect_time_refusal(failure)
        if refused is not None:
            return f"ssrf_refused: {refused}"
    if isinstance(exc, DownloadCancelledError) and "max size" in detail:
        return f"max_size_exceeded: {detail}"
    if isinstance(exc, DownloadCancelledError) and not str(exc):
        # Scrapy cancels a body without Content-Length once it passes DOWNLOAD_MAXSIZE and says
        # so only in a log line; timeouts and shutdowns have their own exceptions.
        return "max_size_exceeded: the body grew past the download max size (no Content-Length)"
    if isinstance(exc, IgnoreRequest) and "during decompression" in detail:
        return f"max_size_exceeded: {detail}"
    for exc_type, code in _CODES:
        if isinstance(exc, exc_type):
            return f"{code}: {detail}"
    return f"{type(exc).__name__}: {detail}"

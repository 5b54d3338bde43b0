"""Why a request was refused before or instead of being sent: each becomes a page row's ``error``.

All are :class:`~scrapy.exceptions.IgnoreRequest` subclasses so Scrapy hands them to the
spider's errback, which records them (a refused URL never silently disappears).
"""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest


class SsrfRefused(IgnoreRequest):
    """The request's host is or resolves to a non-public address the site may not reach."""

    def __init__(self, url: str, host: str, address: str) -> None:
        self.address = address
        super().__init__(f"ssrf_refused: {address} ({host} in {url})")


class HostUnresolvable(IgnoreRequest):
    """The host did not resolve, so it cannot be checked: refused rather than trusted."""

    def __init__(self, url: str, host: str, reason: str) -> None:
        super().__init__(f"dns_error: {host} did not resolve ({reason}) for {url}")


class RobotsDisallowed(IgnoreRequest):
    """robots.txt disallows the URL for our user agent."""

    def __init__(self, url: str) -> None:
        super().__init__(f"robots_disallowed: {url}")


class RobotsUnavailable(IgnoreRequest):
    """robots.txt answered 5xx/429 or failed: RFC 9309 says crawl nothing on that origin."""

    def __init__(self, url: str, reason: str) -> None:
        self.reason = reason
        super().__init__(f"{reason} (for {url})")

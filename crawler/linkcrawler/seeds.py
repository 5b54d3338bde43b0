"""Start URLs the crawler refused: a crawl none of whose start URLs it may fetch fails.

A start URL refused before any byte was exchanged with the site (SSRF guard, robots.txt, scope,
a host that does not resolve) says nothing about the site; a crawl made only of such rows would
be published as a "finished" crawl of a site that was never reached, and the warehouse would
report every page gone. So once every start URL is refused the crawl stops, publishes nothing,
and says which URL was refused and why. A start URL that was fetched (whatever its status) or
failed on the network (timeout, connection refused) counts as reached: that is data.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["PERMANENT_REFUSALS", "REFUSALS", "StartUrls", "refusal_code"]

#: ``error`` codes of crawl/pages rows (failures.py) that are refusals, with what to do about each.
REFUSALS = {
    "ssrf_refused": "not a public address; list its network in crawl.allow_private_networks "
    "if the site is internal",
    "robots_disallowed": "robots.txt disallows it for crawl.user_agent "
    "(crawl.respect_robots: false ignores robots.txt)",
    "robots_unavailable": "robots.txt could not be read, so RFC 9309 allows nothing",
    "dns_error": "the host name does not resolve",
    "out_of_scope": "outside the site's allowed_domains or urls rules",
}
#: Refusals a retry of the task cannot cure: the config or the site's robots.txt must change.
PERMANENT_REFUSALS = frozenset({"ssrf_refused", "robots_disallowed", "out_of_scope"})


def refusal_code(error: str | None) -> str | None:
    """The refusal code of a page's ``error`` (``ssrf_refused: 127.0.0.1`` -> ``ssrf_refused``)."""
    if error is None:
        return None
    code = error.split(":", 1)[0]
    return code if code in REFUSALS else None


class StartUrls:
    """What became of each start URL; :meth:`failure` is the crawl's failure once all are refused."""

    def __init__(self, site: str, urls: Iterable[str]) -> None:
        self.site = site
        self.urls = list(urls)
        self.pending = dict.fromkeys(self.urls)
        self.refused: dict[str, str] = {}
        self.reached = 0

    def outcome(self, url: str, error: str | None) -> str | None:
        """Record a start URL's fate (``error`` of its page row); the failure message if now due."""
        if url not in self.pending:
            return None
        del self.pending[url]
        if refusal_code(error) is not None:
            self.refused[url] = error  # type: ignore[assignment]
        else:
            self.reached += 1
        return self.failure()

    def skipped(self, url: str) -> str | None:
        """A start URL that is not fetched for a limit (not refused, not reached either)."""
        self.pending.pop(url, None)
        return self.failure()

    def failure(self) -> str | None:
        if self.pending or self.reached or not self.refused:
            return None
        refused = [(url, self.refused[url]) for url in self.urls if url in self.refused]  # config order
        codes = dict.fromkeys(refusal_code(error) for _url, error in refused)
        urls = "; ".join(f"{url} ({error})" for url, error in refused)
        hints = "; ".join(f"{code}: {REFUSALS[code]}" for code in codes if code is not None)
        return (
            f"site {self.site!r}: every start URL was refused, nothing was crawled or published: "
            f"{urls}. {hints}"
        )

    @property
    def permanent(self) -> bool:
        """True when no refusal could go away by itself (a retry of the task would fail again)."""
        return bool(self.refused) and all(
            refusal_code(error) in PERMANENT_REFUSALS for error in self.refused.values()
        )

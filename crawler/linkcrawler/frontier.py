"""The crawl frontier's admission decision: is this normalised URL fetched, and may it be now?

The spider asks *before* creating a Request, so an already-seen URL (most link occurrences)
costs one set lookup and never becomes a Request object; Scrapy's fingerprinting dupefilter is
not used at all. Every URL admitted here gets exactly one crawl/pages row.
"""

from __future__ import annotations

from linkcrawler.scope import Scope


class Frontier:
    """Admits each internal, crawlable URL once, within ``max_pages`` and ``max_depth``.

    ``depth`` is the number of link/redirect steps from a seed along discovery. A URL refused
    for depth is not marked seen: found again closer to a seed, it is admitted then.
    """

    def __init__(self, scope: Scope, max_pages: int, max_depth: int) -> None:
        self.scope = scope
        self.max_pages = max_pages
        self.max_depth = max_depth
        self.seen: set[str] = set()
        self.admitted = 0
        self.excluded = 0
        self.external = 0
        self.too_deep: set[str] = set()
        self.over_limit: set[str] = set()

    def admit(self, url: str, depth: int, *, seed: bool = False) -> bool:
        """True when ``url`` should be fetched now; ``seed`` (start URLs) skips the scope rules."""
        if url in self.seen:
            return False
        if not seed:
            if not self.scope.is_internal(url):
                self.seen.add(url)
                self.external += 1
                return False
            if not self.scope.is_crawlable(url):
                self.seen.add(url)
                self.excluded += 1
                return False
        if depth > self.max_depth:
            self.too_deep.add(url)
            return False
        if self.admitted >= self.max_pages:
            self.over_limit.add(url)
            return False
        self.seen.add(url)
        self.too_deep.discard(url)
        self.admitted += 1
        return True

    @property
    def stop_reason(self) -> str:
        """``max_pages`` or ``max_depth`` when a limit left URLs unfetched, else ``finished``."""
        if self.over_limit:
            return "max_pages"
        if self.too_deep:
            return "max_depth"
        return "finished"

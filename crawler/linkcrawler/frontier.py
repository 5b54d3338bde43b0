"""The crawl frontier's admission decision: is this normalised URL fetched, and may it be now?

The spider asks *before* creating a Request, so an already-seen URL (most link occurrences)
costs one set lookup and never becomes a Request object; Scrapy's fingerprinting dupefilter is
not used at all. Every URL admitted here gets exactly one crawl/pages row.

Crawls run in phases: link discovery from the start URLs first, then sitemap URLs nothing
linked to, then URLs known from the lake (previous crawl, GA4, Search Console). Within a phase
each URL keeps the best discovery seen, shortest depth first, then ``start`` > ``link`` >
``redirect`` > ``meta_refresh`` > ``canonical`` (:attr:`Frontier.found`): with concurrent downloads (or
several crawl processes) pages finish in no fixed order, and this makes ``depth_seen`` and
``found_via`` the same whatever the order.
"""

from __future__ import annotations

import fnmatch
import re
from collections import Counter
from dataclasses import dataclass, field
from enum import Enum
from urllib.parse import unquote

from linkcrawler.scope import Scope, hostname_of
from linkcrawler.traps import TrapDetector
from linkwarehouse.config import SiteConfig

VIA_RANK = {
    "start": 0,
    "link": 1,
    "redirect": 2,
    "meta_refresh": 3,
    # The canonical named by a page recorded as its parameter variant (spiders/site.py).
    "canonical": 4,
    "sitemap": 5,
    "previous_crawl": 6,
    "ga4": 7,
    "gsc": 8,
}
#: Traps whose URLs are not fetched at all once recognised (a budget ran out).
UNFETCHED_TRAPS = frozenset({"pattern_overflow"})
EXAMPLES = 5


class Verdict(Enum):
    FETCH = "fetch"
    RECORD = "record"  # a page row without a fetch (trap budget exhausted)
    SKIP = "skip"


@dataclass(slots=True)
class Discovery:
    depth: int
    via: str
    phase: int
    hop: int = 0
    trap: str | None = None

    @property
    def key(self) -> tuple[int, int]:
        return (self.depth, VIA_RANK.get(self.via, 99))


@dataclass
class StopLog:
    """URLs a limit kept out: count and a few examples per reason (for crawl/runs)."""

    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, reason: str, url: str) -> None:
        self.counts[reason] += 1
        examples = self.examples.setdefault(reason, [])
        if len(examples) < EXAMPLES:
            examples.append(url)


def params_matcher(patterns: list[str] | None) -> re.Pattern[str] | None:
    if patterns is None:
        return None
    if not patterns:
        return re.compile(r"(?!)")
    return re.compile("|".join(fnmatch.translate(p.lower()) for p in patterns))


class Frontier:
    """Admits each internal, crawlable URL once, within ``max_pages`` and ``max_depth``.

    ``depth`` is the number of link/redirect steps from a seed along discovery. A URL refused
    for depth is not marked seen: found again closer to a seed, it is admitted then.
    """

    def __init__(
        self,
        scope: Scope,
        max_pages: int,
        max_depth: int,
        traps: TrapDetector | None = None,
        crawl_params: list[str] | None = None,
    ) -> None:
        self.scope = scope
        self.max_pages = max_pages
        self.max_depth = max_depth
        self.traps = traps or TrapDetector()
        self._params = params_matcher(crawl_params)
        self.phase = 0
        self.seen: set[str] = set()
        self.found: dict[str, Discovery] = {}
        self.admitted = 0
        self.excluded = 0
        self.external = 0
        self.too_deep: set[str] = set()
        self.over_limit: set[str] = set()
        self.stops = StopLog()
        self.refused_seeds: dict[str, str] = {}
        self._recorded_traps: Counter[str] = Counter()

    @classmethod
    def for_site(cls, site: SiteConfig) -> Frontier:
        crawl = site.crawl
        traps = TrapDetector(
            crawl.max_url_length,
            crawl.trap_max_segment_repeats,
            crawl.trap_max_query_params,
            crawl.trap_max_pattern_urls,
        )
        return cls(Scope.for_site(site), crawl.max_pages, crawl.max_depth, traps, site.urls.crawl_params)

    def _params_allowed(self, url: str) -> bool:
        if self._params is None:
            return True
        query = url.partition("?")[2]
        if not query:
            return True
        names = (unquote(pair.split("=", 1)[0]).lower() for pair in query.split("&") if pair)
        return all(self._params.fullmatch(name) for name in names)

    def scope_refusal(self, url: str) -> str | None:
        """Why ``url`` is outside the site's scope (an ``out_of_scope: ...`` error), or None."""
        if not self.scope.is_internal(url):
            return f"out_of_scope: host {hostname_of(url)} is not within allowed_domains"
        if not self.scope.is_crawlable(url):
            return "out_of_scope: excluded by urls.include / urls.exclude"
        if not self._params_allowed(url):
            return "out_of_scope: a query parameter is not in urls.crawl_params"
        return None

    def offer(self, url: str, depth: int, via: str, *, seed: bool = False, hop: int = 0) -> Verdict:
        """Admission of ``url`` discovered at ``depth`` via ``via``; ``seed`` skips the trap rules.

        ``hop`` is the redirect hop number for ``redirect``/``meta_refresh`` discoveries. A
        start URL outside the scope is refused and kept in :attr:`refused_seeds` with the reason.
        """
        if seed and url not in self.seen:
            refusal = self.scope_refusal(url)
            if refusal is not None:
                self.seen.add(url)
                self.refused_seeds[url] = refusal
                return Verdict.SKIP
        if url in self.seen:
            known = self.found.get(url)
            if known is not None and known.phase == self.phase and (depth, VIA_RANK.get(via, 99)) < known.key:
                known.depth, known.via, known.hop = depth, via, hop
            return Verdict.SKIP
        if not seed:
            if not self.scope.is_internal(url):
                self.seen.add(url)
                self.external += 1
                return Verdict.SKIP
            if not self.scope.is_crawlable(url) or not self._params_allowed(url):
                self.seen.add(url)
                self.excluded += 1
                return Verdict.SKIP
        if depth > self.max_depth:
            if url not in self.too_deep:
                self.too_deep.add(url)
                self.stops.add("max_depth", url)
            return Verdict.SKIP
        if self.admitted >= self.max_pages:
            if url not in self.over_limit:
                self.over_limit.add(url)
                self.stops.add("max_pages", url)
            return Verdict.SKIP
        trap = None if seed else self.traps.check(url)
        if trap in UNFETCHED_TRAPS:
            self.seen.add(url)
            self.stops.add(f"trap_suspected/{trap}", url)
            self._recorded_traps[trap] += 1
            if self._recorded_traps[trap] > self.traps.max_pattern_urls:
                return Verdict.SKIP
            self.found[url] = Discovery(depth, via, self.phase, hop, trap)
            return Verdict.RECORD
        self.seen.add(url)
        self.too_deep.discard(url)
        self.admitted += 1
        self.traps.admitted(url)
        if trap is not None:
            self.stops.add(f"trap_suspected/{trap}", url)
        self.found[url] = Discovery(depth, via, self.phase, hop, trap)
        return Verdict.FETCH

    def admit(self, url: str, depth: int, *, seed: bool = False, via: str = "link") -> bool:
        """True when ``url`` should be fetched now (see :meth:`offer`)."""
        return self.offer(url, depth, via, seed=seed) is Verdict.FETCH

    def next_phase(self) -> None:
        self.phase += 1

    @property
    def stop_reasons(self) -> list[str]:
        """Every reason that left URLs unfetched (empty: the crawl reached everything)."""
        reasons = []
        if self.over_limit:
            reasons.append("max_pages")
        if self.too_deep:
            reasons.append("max_depth")
        if any(reason.startswith("trap_suspected/") for reason in self.stops.counts):
            reasons.append("trap_suspected")
        return reasons

    @property
    def stop_reason(self) -> str:
        """``max_pages`` or ``max_depth`` when a limit left URLs unfetched, else ``finished``."""
        if self.over_limit:
            return "max_pages"
        if self.too_deep:
            return "max_depth"
        return "finished"

"""The truth per URL, computed from the site model exactly as the shared Definitions say.

Which URLs get a row is decided by simulating the crawl's reach (start URLs, link targets
nofollow included, redirect Locations, sitemap URLs; robots-disallowed URLs recorded but not
fetched; a URL variant naming its canonical recorded but not expanded, its canonical reached),
not by listing the routes: a route nobody can discover has no row. Metrics come
from the model's link occurrences, never from parsing HTML.

Followed is Google's reading, written here apart from the crawler's (linkcrawler/follow.py):
a link is not followed when its rel has nofollow, sponsored or ugc (the last two only while
``sponsored_ugc_as_nofollow``, the site default), or when its page's meta robots / googlebot
or its X-Robots-Tag (unscoped or scoped to googlebot) says nofollow or none.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from linkwarehouse.demo.model import (
    ASIDE,
    CONTENT,
    FOOTER,
    HEADER,
    HTML,
    NAV,
    POSITIONS,
    Occurrence,
    Page,
    Site,
    SiteModelError,
)

DAMPING = 0.85
PAGERANK_TOLERANCE = 1e-12
PAGERANK_MAX_ITERATIONS = 1000
ROBOTS_DISALLOWED = "robots_disallowed"
#: What the demo server answers for a path it has no route for (see server.py).
NOT_FOUND_CONTENT_TYPE = HTML


@dataclass(frozen=True)
class UrlTruth:
    """One crawl/pages row as the crawler and the warehouse must see it (keyed by path).

    Page facts (title, h1, lang, canonical, meta robots, hreflang) are only defined for 2xx
    HTML responses and are ``None`` otherwise.
    """

    path: str
    status: int | None
    error: str | None
    content_type: str | None
    redirect_location: str | None
    title: str | None
    h1: str | None
    lang: str | None
    canonical: str | None
    meta_robots: str | None
    meta_googlebot: str | None
    x_robots_tag: str | None
    hreflang: dict[str, str] | None
    indexable: bool
    in_sitemap: bool
    unique_inlinks: int
    total_inlinks: int
    inlinks_nav: int
    inlinks_header: int
    inlinks_footer: int
    inlinks_aside: int
    inlinks_content: int
    nofollow_inlinks: int
    click_depth: int | None
    is_orphan: bool
    orphan_evidence: list[str]
    pagerank: float
    link_score: float
    #: The canonical a URL variant (``/p/?osCsid=1`` naming ``/p/``) is recorded as a variant of.
    variant_of: str | None = None


@dataclass(frozen=True)
class Truth:
    """All rows of one crawl of the demo site plus its followed edges and planted problems."""

    seed: int
    version: int
    start_paths: tuple[str, ...]
    urls: dict[str, UrlTruth]
    followed_edges: tuple[tuple[str, str], ...]
    planted: dict[str, Any] = field(default_factory=dict)

    def orphans(self) -> set[str]:
        return {path for path, row in self.urls.items() if row.is_orphan}

    def to_json(self) -> str:
        """JSON with one URL and one edge per line, so diffs between versions stay readable."""
        head = {"seed": self.seed, "version": self.version, "start_paths": list(self.start_paths)}
        lines = [json.dumps(head)[:-1] + ",", f' "planted": {json.dumps(self.planted, ensure_ascii=False)},']
        rows = [
            f" {json.dumps(path)}: {json.dumps(row.__dict__, ensure_ascii=False)}"
            for path, row in self.urls.items()
        ]
        lines += [' "urls": {', ",\n".join(rows), " },", ' "followed_edges": [']
        lines += [",\n".join(json.dumps(list(edge)) for edge in self.followed_edges), " ]", "}"]
        return "\n".join(lines) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Truth:
        doc = json.loads(text)
        names = {spec.name for spec in fields(UrlTruth)}
        urls = {
            path: UrlTruth(**{k: v for k, v in row.items() if k in names})
            for path, row in doc["urls"].items()
        }
        return cls(
            seed=doc["seed"],
            version=doc["version"],
            start_paths=tuple(doc["start_paths"]),
            urls=urls,
            followed_edges=tuple((source, target) for source, target in doc["followed_edges"]),
            planted=doc["planted"],
        )


def load_truth(path: str | Path) -> Truth:
    """Read a ``truth.json`` written by :func:`linkwarehouse.demo.write_site`."""
    return Truth.from_json(Path(path).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class OrphanDelta:
    new_orphans: frozenset[str]
    resolved: frozenset[str]


def orphan_delta(previous: Truth, current: Truth) -> OrphanDelta:
    """URLs that became orphans between two crawls, and orphans that are no longer orphans."""
    before, after = previous.orphans(), current.orphans()
    return OrphanDelta(frozenset(after - before), frozenset(before - after))


def variant_of(site: Site, path: str) -> str | None:
    """The canonical ``path`` is a URL variant of, or ``None``.

    The demo's variants differ from their page by a query string the crawler keeps (the server
    ignores it and serves the page, canonical included): a fetched HTML page whose canonical has
    the same path without that query is recorded as a variant of it and not expanded.
    """
    page = site.page_for(path)
    if page is None or not page.is_html_ok or site.is_disallowed(path):
        return None
    canonical = page.canonical
    if canonical is None or canonical == path or canonical.split("?", 1)[0] != path.split("?", 1)[0]:
        return None
    return canonical


def crawl_reach(
    site: Site,
    occurrences: dict[str, list[Occurrence]] | None = None,
    known: Iterable[str] = (),
) -> list[str]:
    """Every path the crawler records, in breadth-first discovery order.

    ``known`` are paths the crawler learns from outside the site's links and sitemaps (the
    previous crawl, GA4, Search Console); like sitemap URLs they are fetched too.
    """
    if occurrences is None:
        occurrences = {path: page.occurrences() for path, page in site.pages.items() if page.is_html_ok}
    seen = dict.fromkeys(site.start_paths)
    seen.update(dict.fromkeys(path for paths in site.sitemaps().values() for path in paths))
    seen.update(dict.fromkeys(known))
    queue = deque(seen)
    while queue:
        path = queue.popleft()
        page = site.page_for(path)
        if page is None:
            raise SiteModelError(f"the crawl would reach {path}, which has no route")
        if site.is_disallowed(path):
            continue
        found: list[str] = []
        canonical = variant_of(site, path)
        if page.redirect_target is not None:
            found.append(page.redirect_target)
        if canonical is not None:
            found.append(canonical)  # a variant leads to its canonical only
        elif page.is_html_ok:
            found += [occ.link.target for occ in occurrences[page.path] if occ.link.target is not None]
        for target in found:
            if target not in seen:
                seen[target] = None
                queue.append(target)
    return list(seen)


def _with_missing_routes(site: Site, paths: Iterable[str]) -> Site:
    """``site`` plus a 404 route for every path it does not serve (the server answers 404)."""
    missing = {
        path: Page(path=path, kind="missing", status=404, content_type=NOT_FOUND_CONTENT_TYPE)
        for path in paths
        if site.page_for(path) is None
    }
    return dataclasses.replace(site, pages={**site.pages, **missing}) if missing else site


@dataclass
class _LinkCounts:
    """Inlinks per target over the fetched pages, plus the followed edges."""

    sources: dict[str, set[str]]
    totals: Counter[str] = field(default_factory=Counter)
    nofollow: Counter[str] = field(default_factory=Counter)
    by_position: dict[str, Counter[str]] = field(default_factory=lambda: {p: Counter() for p in POSITIONS})
    edges: set[tuple[str, str]] = field(default_factory=set)


REASONS = ("rel_nofollow", "rel_sponsored", "rel_ugc", "meta_robots", "x_robots_tag")
_SPONSORED_UGC = ("rel_sponsored", "rel_ugc")
#: X-Robots-Tag rules that carry their own value after a colon (not a user-agent prefix).
_VALUED_RULES = ("max-snippet", "max-image-preview", "max-video-preview", "unavailable_after")


def _says_nofollow(rules: Iterable[str]) -> bool:
    return any(rule.strip().lower() in ("nofollow", "none") for rule in rules)


def _header_nofollow_for_google(value: str | None) -> bool:
    """One X-Robots-Tag line: an unscoped or ``googlebot:``-scoped nofollow/none counts."""
    agent = None
    for rule in (value or "").split(","):
        head, colon, tail = rule.partition(":")
        if colon and head.strip().lower() not in _VALUED_RULES:
            agent, rule = head.strip().lower(), tail
        if agent in (None, "googlebot") and _says_nofollow([rule]):
            return True
    return False


def page_nofollow_reasons(page: Page) -> list[str]:
    """The reasons ``page`` gives every one of its links."""
    reasons = []
    if _says_nofollow((page.meta_robots or "").split(",")) or _says_nofollow(
        (page.meta_googlebot or "").split(",")
    ):
        reasons.append("meta_robots")
    if _header_nofollow_for_google(page.x_robots_tag):
        reasons.append("x_robots_tag")
    return reasons


def nofollow_reasons(page: Page, occurrence: Occurrence, page_level: list[str] | None = None) -> list[str]:
    """Every reason the occurrence is not followed, in :data:`REASONS` order (crawl/links
    ``nofollow_reason``); ``page_level``: :func:`page_nofollow_reasons` of ``page`` if known."""
    rel = set(occurrence.link.rel)
    own = [f"rel_{token}" for token in ("nofollow", "sponsored", "ugc") if token in rel]
    return own + (page_nofollow_reasons(page) if page_level is None else page_level)


def is_followed(reasons: list[str], sponsored_ugc_as_nofollow: bool = True) -> bool:
    counted = reasons if sponsored_ugc_as_nofollow else [r for r in reasons if r not in _SPONSORED_UGC]
    return not counted


def site_nofollow_reasons(site: Site) -> dict[tuple[str, int], list[str]]:
    """``(source path, ordinal) -> nofollow_reason`` of every link occurrence of ``site``."""
    page_level = {path: page_nofollow_reasons(page) for path, page in site.pages.items()}
    return {
        (occ.source, occ.ordinal): nofollow_reasons(site.pages[occ.source], occ, page_level[occ.source])
        for occ in site.occurrences()
    }


def _count_links(
    site: Site,
    reached: list[str],
    occurrences: dict[str, list[Occurrence]],
    sponsored_ugc_as_nofollow: bool = True,
) -> _LinkCounts:
    counts = _LinkCounts(sources={path: set() for path in reached})
    for path in reached:
        page = site.page_for(path)
        if page is None or site.is_disallowed(path):
            continue
        canonical = variant_of(site, path)
        if canonical is not None:
            # Recorded without its links (they are its canonical's): it leads to its canonical only.
            counts.edges.add((path, canonical))
            continue
        if page.redirect_target is not None:
            counts.edges.add((path, page.redirect_target))
        page_level = page_nofollow_reasons(page)
        for occ in occurrences.get(page.path, ()):
            target = occ.link.target
            if target is None or target == path:
                continue
            counts.sources[target].add(path)
            counts.totals[target] += 1
            counts.by_position[occ.position][target] += 1
            if is_followed(nofollow_reasons(page, occ, page_level), sponsored_ugc_as_nofollow):
                counts.edges.add((path, target))
            else:
                counts.nofollow[target] += 1
    return counts


def _orphan_evidence(
    path: str, in_sitemap: bool, has_inlinks: bool, previous: Truth | None, sources: Iterable[str]
) -> list[str]:
    evidence = list(sources)
    if in_sitemap:
        evidence.append("sitemap")
    if previous is not None and path in previous.urls and previous.urls[path].click_depth is not None:
        evidence.append("previous_crawl")
    if has_inlinks:
        evidence.append("unfollowed_link")
    return sorted(set(evidence))


def compute_truth(
    site: Site,
    previous: Truth | None = None,
    known: Mapping[str, Iterable[str]] | None = None,
    *,
    sponsored_ugc_as_nofollow: bool = True,
) -> Truth:
    """Truth of one crawl of ``site``.

    ``previous`` (the site's previous crawl) adds the ``previous_crawl`` orphan evidence and its
    URLs to those the crawler fetches; ``known`` maps further paths the crawler learns from the
    lake to their sources (``{"/x/": {"ga4", "gsc"}}``): fetched too (404 when the site has no
    such route) and named as orphan evidence. ``sponsored_ugc_as_nofollow`` is the site's
    ``links`` switch (rel=sponsored / rel=ugc not followed; the default).
    """
    known = {path: set(sources) for path, sources in (known or {}).items()}
    extra = [*(previous.urls if previous is not None else ()), *known]
    site = _with_missing_routes(site, extra)
    occurrences = {path: page.occurrences() for path, page in site.pages.items() if page.is_html_ok}
    reached = crawl_reach(site, occurrences, extra)
    counts = _count_links(site, reached, occurrences, sponsored_ugc_as_nofollow)
    depth = click_depths(site.start_paths, counts.edges)
    followed = tuple(sorted(counts.edges))
    ranks = pagerank(reached, followed)
    scores = link_scores(ranks)
    in_sitemap = site.sitemap_paths()
    rows: dict[str, UrlTruth] = {}
    for path in sorted(reached):
        page = site.page_for(path)
        assert page is not None  # crawl_reach refuses paths without a route
        allowed = not site.is_disallowed(path)
        html_ok = allowed and page.is_html_ok
        variant = variant_of(site, path)
        indexable = (
            html_ok
            and page.status == 200
            and not _noindex(page.meta_robots)
            and not _noindex(page.x_robots_tag)
            and page.canonical in (None, path)
        )
        orphan = indexable and depth.get(path) is None
        has_inlinks = bool(counts.sources[path])
        rows[path] = UrlTruth(
            path=path,
            status=page.status if allowed else None,
            error=None if allowed else ROBOTS_DISALLOWED,
            content_type=page.content_type if allowed else None,
            redirect_location=page.redirect_target if allowed else None,
            title=page.full_title if html_ok else None,
            h1=page.h1 if html_ok else None,
            lang=page.lang if html_ok else None,
            canonical=page.canonical if html_ok else None,
            meta_robots=page.meta_robots if html_ok else None,
            meta_googlebot=page.meta_googlebot if html_ok else None,
            x_robots_tag=page.x_robots_tag if allowed else None,
            hreflang=dict(page.alternates) if html_ok and page.alternates and variant is None else None,
            indexable=indexable,
            in_sitemap=path in in_sitemap,
            unique_inlinks=len(counts.sources[path]),
            total_inlinks=counts.totals[path],
            inlinks_nav=counts.by_position[NAV][path],
            inlinks_header=counts.by_position[HEADER][path],
            inlinks_footer=counts.by_position[FOOTER][path],
            inlinks_aside=counts.by_position[ASIDE][path],
            inlinks_content=counts.by_position[CONTENT][path],
            nofollow_inlinks=counts.nofollow[path],
            click_depth=depth.get(path),
            is_orphan=orphan,
            orphan_evidence=_orphan_evidence(
                path, path in in_sitemap, has_inlinks, previous, known.get(path, ())
            )
            if orphan
            else [],
            pagerank=ranks[path],
            link_score=scores[path],
            variant_of=variant,
        )
    return Truth(site.seed, site.version, site.start_paths, rows, followed, site.planted.to_json())


def _noindex(directive: str | None) -> bool:
    return directive is not None and "noindex" in {token.strip().lower() for token in directive.split(",")}


def click_depths(start_paths: tuple[str, ...], edges: set[tuple[str, str]]) -> dict[str, int]:
    """Breadth-first shortest path length over followed edges; unreachable paths are absent."""
    adjacency: dict[str, list[str]] = {}
    for source, target in edges:
        adjacency.setdefault(source, []).append(target)
    depth = dict.fromkeys(start_paths, 0)
    queue = deque(start_paths)
    while queue:
        path = queue.popleft()
        for target in adjacency.get(path, ()):
            if target not in depth:
                depth[target] = depth[path] + 1
                queue.append(target)
    return depth


def pagerank(nodes: list[str], edges: tuple[tuple[str, str], ...]) -> dict[str, float]:
    """Internal PageRank per the Definitions: damping 0.85, dangling mass spread uniformly,
    start 1/n, power iteration until the L1 change is below 1e-12."""
    index = {node: i for i, node in enumerate(nodes)}
    n = len(nodes)
    src = np.fromiter((index[s] for s, _ in edges), dtype=np.int64, count=len(edges))
    dst = np.fromiter((index[t] for _, t in edges), dtype=np.int64, count=len(edges))
    out_degree = np.bincount(src, minlength=n).astype(float)
    dangling = out_degree == 0
    weight = 1.0 / out_degree[src]
    rank = np.full(n, 1.0 / n)
    for _ in range(PAGERANK_MAX_ITERATIONS):
        flow = np.bincount(dst, weights=rank[src] * weight, minlength=n)
        updated = (1.0 - DAMPING) / n + DAMPING * (flow + rank[dangling].sum() / n)
        change = np.abs(updated - rank).sum()
        rank = updated
        if change < PAGERANK_TOLERANCE:
            break
    return {node: float(rank[i]) for node, i in index.items()}


def link_scores(ranks: dict[str, float]) -> dict[str, float]:
    """0-100 on a log scale between the crawl's smallest and largest PageRank."""
    low, high = min(ranks.values()), max(ranks.values())
    if high == low:
        return dict.fromkeys(ranks, 100.0)
    span = math.log(high / low)
    return {path: round(100 * math.log(rank / low) / span, 2) for path, rank in ranks.items()}

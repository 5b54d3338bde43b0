"""Deterministic GA4 and Search Console data for the local stand-in server.

A :class:`SiteModel` lists page paths with a demand ``weight``, a ``topic`` (queries are built
from it) and a typical Google ``position``; every number of every day follows from the model,
the seed and the day's offset from the stand-in's "today" (never the calendar date itself), so
tests can compute expected rows, reruns see identical data and the demo prints the same
numbers whatever day it runs on.
:func:`demo_model` derives a model from the demo site generator: traffic concentrated on hubs
(home, categories, pillars), striking-distance pages (position 11-20, many impressions), and
demand on URLs the crawl cannot reach by links (every orphan of the demo truth) and on one URL
that does not exist on the site at all.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from operator import itemgetter
from typing import NamedTuple

from ada_url import URL

GA4_METRICS = ("screenPageViews", "sessions", "engagedSessions", "keyEvents", "totalUsers")
GA4_FLOAT_METRICS = frozenset({"keyEvents"})
QUERY_TEMPLATES = (
    "{t}",
    "{t} guide",
    "best {t}",
    "how to {t}",
    "{t} tips",
    "{t} for beginners",
    "what is {t}",
    "{t} vs",
    "{t} plan",
    "{t} mistakes",
)
MISSING_PATH = "/blog/retired-marathon-plan/"
TODAY_WEEKDAY = 2  # the stand-in's "today" is a Wednesday, whatever the calendar date


def day_age(day: str, today: date) -> int:
    """Days from ``day`` to ``today``: the only thing about a date the synthetic numbers depend on."""
    return (today - date.fromisoformat(day)).days


def unit(*parts: object) -> float:
    """A stable pseudo-random number in [0, 1) from its inputs (Python's hash() is salted)."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def expected_ctr(position: float) -> float:
    """A click-through-rate curve by average position: ~30 % at 1, ~1 % on page two."""
    return min(0.35, 0.3 / max(position, 1.0) ** 1.35)


@dataclass(frozen=True)
class PageModel:
    """One URL with demand. ``reachable=False`` marks URLs the crawl cannot reach by links."""

    path: str
    weight: float = 1.0
    topic: str = ""
    position: float = 8.0
    impressions_boost: float = 1.0
    indexable: bool = True
    reachable: bool = True
    kind: str = "page"

    @property
    def striking_distance(self) -> bool:
        return 11.0 <= self.position <= 20.0


class GscRow(NamedTuple):
    """One Search Console row; ``query`` is ``None`` in ``[page]`` reports."""

    page: str
    query: str | None
    clicks: int
    impressions: int
    ctr: float
    position: float


@dataclass(frozen=True)
class SiteModel:
    """Pages of one site and the knobs of its synthetic demand.

    ``gsc_query_rows`` forces exactly that many ``[page, query]`` rows per day (the 300,000-row
    paging test); ``ga4_other_after`` collapses all but the top N GA4 rows into ``(other)``.
    Search Console data is final ``final_lag_days`` after the day, partial before that.
    """

    base_url: str
    pages: tuple[PageModel, ...]
    seed: int = 7
    sessions_per_weight: float = 3.0
    impressions_per_weight: float = 40.0
    queries_per_page: int = 5
    gsc_query_rows: int | None = None
    ga4_other_after: int | None = None
    sampled: bool = False
    thresholded: bool = False
    final_lag_days: int = 3
    not_set_landing_sessions: int = 3

    @cached_property
    def origin(self) -> str:
        url = URL(self.base_url)
        return f"{url.protocol}//{url.host}"

    @cached_property
    def host_name(self) -> str:
        """GA4's hostName: the host without scheme and port."""
        return URL(self.base_url).hostname

    def url(self, path: str) -> str:
        return self.origin + path

    def day_factor(self, age: int) -> float:
        """Weekend dip and daily noise; "today" counts as a Wednesday whatever the calendar says."""
        weekday = (TODAY_WEEKDAY - age) % 7
        return (0.75 if weekday >= 5 else 1.0) * (0.9 + 0.2 * unit(self.seed, age))

    # GA4 ---------------------------------------------------------------------------------

    def ga4_page_metrics(self, page: PageModel, age: int) -> dict[str, float]:
        """One page's GA4 metrics on the day ``age`` days before "today"."""
        base = (
            page.weight * self.sessions_per_weight * self.day_factor(age) * (0.8 + 0.4 * unit(page.path, age))
        )
        sessions = round(base)
        return {
            "screenPageViews": round(base * (1.2 + 0.5 * unit("views", page.path, age))),
            "sessions": sessions,
            "engagedSessions": round(sessions * (0.5 + 0.3 * unit("engaged", page.path, age))),
            "keyEvents": float(round(sessions * 0.04 * unit("key", page.path, age))),
            "totalUsers": round(sessions * 0.85),
        }

    def ga4_landing_metrics(self, page: PageModel, age: int) -> dict[str, float]:
        metrics = self.ga4_page_metrics(page, age)
        share = 0.3 + 0.5 * unit("landing", page.path, age)
        sessions = round(metrics["sessions"] * share)
        return {
            "screenPageViews": round(metrics["screenPageViews"] * share),
            "sessions": sessions,
            "engagedSessions": round(sessions * 0.6),
            "keyEvents": float(round(metrics["keyEvents"] * share)),
            "totalUsers": round(sessions * 0.9),
        }

    def ga4_rows(
        self, day: str, path_dimension: str, today: date
    ) -> list[tuple[tuple[str, str], dict[str, float]]]:
        """``((hostName, path), metrics)`` rows of one day; ``path_dimension`` is pagePath or landingPage."""
        landing = path_dimension == "landingPage"
        age = day_age(day, today)
        rows = []
        for page in self.pages:
            metrics = self.ga4_landing_metrics(page, age) if landing else self.ga4_page_metrics(page, age)
            if any(metrics.values()):
                rows.append(((self.host_name, page.path), metrics))
        if landing and self.not_set_landing_sessions:
            count = self.not_set_landing_sessions
            rows.append(
                (
                    (self.host_name, "(not set)"),
                    {
                        "screenPageViews": 0,
                        "sessions": count,
                        "engagedSessions": 0,
                        "keyEvents": 0.0,
                        "totalUsers": count,
                    },
                )
            )
        if self.ga4_other_after is not None and len(rows) > self.ga4_other_after:
            rows.sort(key=lambda row: (-row[1]["sessions"], row[0]))
            kept, tail = rows[: self.ga4_other_after], rows[self.ga4_other_after :]
            other = {name: sum(row[1][name] for row in tail) for name in GA4_METRICS}
            rows = [*kept, (("(other)", "(other)"), other)]
        return rows

    # Search Console ------------------------------------------------------------------------

    def gsc_first_incomplete_date(self, today: date) -> date:
        """The first day whose data is still being collected (Search Console's metadata)."""
        return today - timedelta(days=self.final_lag_days - 1)

    def gsc_available(self, day: str, data_state: str, today: date) -> float:
        """Share of the day's data visible: 1 when final, 0.6 for fresh data, 0 before that."""
        age = day_age(day, today)
        if age >= self.final_lag_days:
            return 1.0
        if data_state == "all" and age >= 1:
            return 0.6
        return 0.0

    def _page_stats(self, page: PageModel, age: int) -> tuple[int, float]:
        noise = 0.8 + 0.4 * unit("imp", page.path, age)
        impressions = round(
            page.weight * self.impressions_per_weight * page.impressions_boost * noise * self.day_factor(age)
        )
        position = max(1.0, page.position + (unit("pos", page.path, age) - 0.5) * 2)
        return impressions, round(position, 2)

    def gsc_page_rows(self, age: int, share: float) -> list[GscRow]:
        rows = []
        for page in self.pages:
            if not page.indexable:
                continue
            impressions, position = self._page_stats(page, age)
            impressions = round(impressions * share)
            if impressions <= 0:
                continue
            clicks = round(impressions * expected_ctr(position))
            rows.append(
                GscRow(self.url(page.path), None, clicks, impressions, clicks / impressions, position)
            )
        return rows

    def queries(self, page: PageModel) -> list[str]:
        topic = page.topic or page.path.strip("/").replace("-", " ").replace("/", " ") or "home"
        return [template.format(t=topic) for template in QUERY_TEMPLATES[: self.queries_per_page]]

    def gsc_query_rows_for(self, age: int, share: float) -> list[GscRow]:
        if self.gsc_query_rows is not None:
            return self._bulk_query_rows(age, share)
        rows = []
        for page in self.pages:
            if not page.indexable:
                continue
            impressions, position = self._page_stats(page, age)
            queries = self.queries(page)
            weights = [1 / (rank + 1) for rank in range(len(queries))]
            for rank, query in enumerate(queries):
                share_q = 0.9 * weights[rank] / sum(weights)
                imp = round(impressions * share * share_q)
                if imp <= 0:
                    continue
                pos = round(position + rank * 0.8 + unit("qpos", page.path, query, age), 2)
                clicks = round(imp * expected_ctr(pos))
                rows.append(GscRow(self.url(page.path), query, clicks, imp, clicks / imp, pos))
        return rows

    def _bulk_query_rows(self, age: int, share: float) -> list[GscRow]:
        """Exactly ``gsc_query_rows`` distinct (page, query) rows: each page gets numbered variants."""
        if share <= 0:
            return []
        rng = random.Random(f"{self.seed}|{age}|bulk").random
        pages = [(self.url(page.path), page.topic or "query") for page in self.pages if page.indexable]
        templates = QUERY_TEMPLATES
        rows = []
        for index in range(self.gsc_query_rows or 0):
            url, topic = pages[index % len(pages)]
            variant = index // len(pages)
            query = f"{templates[variant % len(templates)].format(t=topic)} {variant}"
            impressions = 1 + int(rng() * 400)
            position = round(1 + rng() * 40, 2)
            clicks = round(impressions * expected_ctr(position))
            rows.append(GscRow(url, query, clicks, impressions, clicks / impressions, position))
        return rows

    def gsc_rows(self, day: str, dimensions: tuple[str, ...], data_state: str, today: date) -> list[GscRow]:
        """Rows of one day, sorted like Search Console: clicks, then impressions, descending.

        ``dimensions`` only chooses between page rows and page+query rows; keys are ordered later.
        """
        share = self.gsc_available(day, data_state, today)
        if share <= 0:
            return []
        age = day_age(day, today)
        rows = (
            self.gsc_query_rows_for(age, share) if "query" in dimensions else self.gsc_page_rows(age, share)
        )
        rows.sort(key=itemgetter(0, 1))
        rows.sort(key=itemgetter(2, 3), reverse=True)  # stable: ties keep key order
        return rows


# Models --------------------------------------------------------------------------------------

KIND_WEIGHTS = {
    "home": 120.0,
    "category": 40.0,
    "guides": 30.0,
    "pillar": 30.0,
    "shop": 25.0,
    "spoke": 8.0,
    "listing": 1.5,
    "product": 4.0,
    "post": 2.0,
    "landing": 6.0,
    "static": 3.0,
}
KIND_POSITIONS = {"home": 1.5, "category": 4.0, "guides": 5.0, "pillar": 3.5, "shop": 6.0, "spoke": 7.0}


def _typical_position(kind: str, draw: float) -> float:
    """Hubs rank on page one; other pages on page one or page three+, never 11-20 by accident."""
    if kind in KIND_POSITIONS:
        return KIND_POSITIONS[kind]
    return 4.0 + 15.0 * draw if draw < 0.4 else 21.0 + 19.0 * draw


def model_from_pages(
    base_url: str,
    pages: Iterable[tuple[str, str, str]],
    *,
    unreachable: Iterable[str] = (),
    missing: Iterable[str] = (MISSING_PATH,),
    striking_share: float = 0.025,
    seed: int = 7,
) -> SiteModel:
    """A model from ``(path, kind, topic)`` triples (kinds as in :data:`KIND_WEIGHTS`).

    Hubs get most demand; ``striking_share`` of the pillars/spokes/posts rank at 11-20 with
    many impressions (the only pages there); ``unreachable`` paths (sitemap-only orphans) and
    ``missing`` paths (not on the site) get real demand so orphans with traffic show up.
    """
    unreachable = set(unreachable)
    models = []
    for path, kind, topic in pages:
        weight = KIND_WEIGHTS.get(kind, 1.0) * (0.7 + 0.6 * unit(seed, "w", path))
        position = _typical_position(kind, unit(seed, "p", path))
        boost = 1.0
        if kind in ("spoke", "post", "pillar") and unit(seed, "striking", path) < striking_share:
            position, boost, weight = 11.0 + 8.5 * unit(seed, "sp", path), 12.0, max(weight, 6.0)
        if path in unreachable:
            weight, position = max(weight, 8.0), min(position, 9.0)
        reachable = path not in unreachable
        models.append(
            PageModel(path, round(weight, 3), topic, round(position, 2), boost, True, reachable, kind)
        )
    for path in missing:
        topic = path.strip("/").rsplit("/", 1)[-1].replace("-", " ")
        models.append(PageModel(path, 6.0, topic, 8.0, 1.0, True, False, "missing"))
    return SiteModel(base_url, tuple(models), seed=seed)


def demo_model(base_url: str, seed: int | None = None, version: int = 1) -> SiteModel:
    """Demand for the demo site (``linkwarehouse.demo``) served at ``base_url``.

    Only 200 HTML pages get traffic; Search Console impressions only go to indexable ones
    (no noindex, self- or no canonical), like Google's index would. Every orphan of the demo's
    truth (sitemap-only pages, pages linked only from orphans or only by nofollow links) gets
    real demand, so the warehouse can show orphans with traffic.
    """
    from linkwarehouse.demo import DEFAULT_SEED, build_site, compute_truth

    site = build_site(DEFAULT_SEED if seed is None else seed, version)
    orphans = compute_truth(site).orphans()
    triples = []
    not_indexable = set()
    for page in site.pages.values():
        if not page.is_html_ok or site.is_disallowed(page.path):
            continue
        triples.append((page.path, page.kind, page.topic or page.h1.lower()))
        robots = f"{page.meta_robots or ''} {page.x_robots_tag or ''}".lower()
        if "noindex" in robots or (page.canonical is not None and page.canonical != page.path):
            not_indexable.add(page.path)
    model = model_from_pages(base_url, triples, unreachable=orphans)
    pages = tuple(
        PageModel(p.path, p.weight, p.topic, p.position, p.impressions_boost, False, p.reachable, p.kind)
        if p.path in not_indexable
        else p
        for p in model.pages
    )
    return SiteModel(base_url, pages, seed=model.seed)

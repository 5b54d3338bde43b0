"""Shared state of one site build and the helpers that spell links the way real pages do.

Every module of the builder (sections, content, problems, chrome) works on one
:class:`BuildContext`: the seeded RNG, the pages created so far and the pools of "ordinary"
pages that automatic listings may link to. Special pages (orphans, the deep series, the
exact-match target) are never put in a pool, so no listing links them by accident.
"""

from __future__ import annotations

import posixpath
import random
from dataclasses import dataclass, field

from linkwarehouse.demo.model import BASE_URL, Block, Link, Page, SiteModelError
from linkwarehouse.demo.text import Prose


def relative_href(source: str, target: str) -> str:
    """``../x/``-style href from ``source`` to ``target`` (both directory-like paths)."""
    base_dir = source if source.endswith("/") else posixpath.dirname(source) + "/"
    rel = posixpath.relpath(target, base_dir)
    if rel == ".":
        return "./"
    return rel + "/" if target.endswith("/") and not rel.endswith("/") else rel


def href_for(target: str, style: str = "root", source: str | None = None) -> str:
    """Spell an internal ``target`` path; every style normalises back to ``target``."""
    if style == "root":
        return target
    if style == "absolute":
        return BASE_URL + target
    if style == "relative":
        if source is None:
            raise SiteModelError(f"relative href to {target} needs a source page")
        return relative_href(source, target)
    if style == "utm":
        return f"{target}?utm_source=newsletter&utm_medium=email&utm_campaign=weekly"
    if style == "fragment":
        return f"{target}#top-tips"
    if style == "session":
        return f"{target}?sessionid=8f3a2c"
    raise SiteModelError(f"unknown href style {style!r}")


def link(
    target: str,
    text: str,
    *,
    style: str = "root",
    source: str | None = None,
    rel: str | None = None,
    markup: str = "plain",
    attrs: tuple[tuple[str, str], ...] = (),
) -> Link:
    """A text link to an internal path."""
    return Link(href_for(target, style, source), text, target, rel, markup=markup, attrs=attrs)


def image_link(
    target: str, alt: str | None, *, text: str = "", style: str = "root", source: str | None = None
) -> Link:
    """A link wrapping an ``<img>`` (``alt=None``: the img has no alt attribute)."""
    return Link(href_for(target, style, source), text, target, img=True, img_alt=alt)


def external(url: str, text: str, rel: str | None = None) -> Link:
    return Link(url, text, None, rel)


def non_http(href: str, text: str) -> Link:
    """javascript:, mailto:, tel:, fragment-only and empty hrefs: recorded, never followed."""
    return Link(href, text, None)


@dataclass
class Pools:
    """Ordinary pages that listings, sidebars and related-links may point at."""

    categories: list[Page] = field(default_factory=list)
    pillars: list[Page] = field(default_factory=list)
    spokes: dict[str, list[Page]] = field(default_factory=dict)
    posts: list[Page] = field(default_factory=list)
    products: list[Page] = field(default_factory=list)
    german_posts: list[Page] = field(default_factory=list)
    _index: dict[tuple[str, str, int], list[Page]] = field(default_factory=dict, repr=False)

    def _in(self, name: str, pages: list[Page], category: str) -> list[Page]:
        key = (name, category, len(pages))  # pools only grow, so the length keys the cache
        if key not in self._index:
            self._index[key] = [page for page in pages if page.category == category]
        return self._index[key]

    def posts_in(self, category: str) -> list[Page]:
        return self._in("posts", self.posts, category)

    def products_in(self, category: str) -> list[Page]:
        return self._in("products", self.products, category)

    def pillars_in(self, category: str) -> list[Page]:
        return [pillar for pillar in self.pillars if pillar.category == category]


@dataclass
class BuildContext:
    """Everything one build shares; ``planted`` collects the paths each problem planted."""

    rng: random.Random
    pages: dict[str, Page] = field(default_factory=dict)
    pools: Pools = field(default_factory=Pools)
    header_tools: list[Link] = field(default_factory=list)
    footer_links: list[Link] = field(default_factory=list)
    planted: dict[str, object] = field(default_factory=dict)
    prose: Prose = field(init=False)

    def __post_init__(self) -> None:
        self.prose = Prose(self.rng)

    def add_page(self, page: Page) -> Page:
        if page.path in self.pages:
            raise SiteModelError(f"duplicate demo page {page.path}")
        self.pages[page.path] = page
        return page

    def page(self, path: str) -> Page:
        try:
            return self.pages[path]
        except KeyError:
            raise SiteModelError(f"no demo page {path}") from None

    def paragraph(self, page: Page, *parts: str | Link, region: str = "content") -> Block:
        return page.add(region, Block("p", list(parts)))

"""The demo site as data: pages made of regions, regions made of blocks, blocks holding links.

The truth (``truth.py``) is computed from these objects and never from rendered HTML, so the
renderer can be checked against the model independently (tests/demo parse the served HTML).
A :class:`Link` stores what the Definitions need directly (target path, visible text, image
alt, rel) plus how it is spelled in HTML (``href`` may be relative, absolute with
``{{BASE_URL}}``, carry tracking parameters or a fragment).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

from linkwarehouse.urls import HrefKind, classify_href

BASE_URL = "{{BASE_URL}}"
HTML = "text/html; charset=utf-8"

NAV, HEADER, FOOTER, ASIDE, CONTENT = "nav", "header", "footer", "aside", "content"
POSITIONS: tuple[str, ...] = (NAV, HEADER, FOOTER, ASIDE, CONTENT)

#: Regions of a page in document order, with the link position each one resolves to.
#: The renderer wraps each region in markup whose nearest landmark gives exactly this position.
REGIONS: dict[str, str] = {
    "skip": CONTENT,
    "header": HEADER,
    "nav": NAV,
    "tools": HEADER,
    "breadcrumb": NAV,
    "content": CONTENT,
    "pagination": NAV,
    "comments": CONTENT,
    "aside": ASIDE,
    "footer_widgets": ASIDE,
    "footer": FOOTER,
    "social": FOOTER,
    "legal": FOOTER,
}


class SiteModelError(ValueError):
    """The generated model breaks its own rules (e.g. a link to a path that has no route)."""


@functools.cache
def _rel_tokens(raw: str) -> tuple[str, ...]:
    return tuple(raw.lower().split())


def normalize_whitespace(text: str) -> str:
    """Collapse runs of whitespace to one space and strip, as the anchor-text Definition says."""
    return " ".join(text.split())


class Link(NamedTuple):
    """One ``<a href>`` (or ``<area href>``) element.

    ``target`` is the normalised internal path the href resolves to, ``None`` for external
    URLs and non-http hrefs; it keeps a query string the crawler does not strip (a URL variant
    of the page its path names). ``img`` means the element contains an ``<img>``; ``img_alt`` is
    its alt attribute (``None``: the attribute is absent), or the ``<area>``'s own alt.
    ``markup`` only varies how the text is spelled in HTML (extra whitespace, nested tags),
    never what it normalises to.
    """

    href: str
    text: str = ""
    target: str | None = None
    rel_raw: str | None = None
    img: bool = False
    img_alt: str | None = None
    area: bool = False
    markup: str = "plain"
    attrs: tuple[tuple[str, str], ...] = ()

    @property
    def rel(self) -> tuple[str, ...]:
        return _rel_tokens(self.rel_raw) if self.rel_raw else ()

    @property
    def kind(self) -> str:
        if self.area:
            return "area"
        return "img" if self.img and not self.text.strip() else "a"

    @property
    def anchor_text(self) -> str:
        text = normalize_whitespace(self.text)
        if not text and (self.img or self.area):
            return normalize_whitespace(self.img_alt or "")
        return text

    @property
    def href_kind(self) -> HrefKind:
        return classify_href(self.href.replace(BASE_URL, "http://demo.invalid"))

    @property
    def is_internal(self) -> bool:
        return self.target is not None


class Raw(NamedTuple):
    """Markup without links (``<span aria-current>``, ``<a id="top"></a>``), rendered verbatim."""

    html: str


Part = str | Link | Raw


@dataclass(slots=True)
class Block:
    """A paragraph, list item, heading, figure or image map inside a region.

    ``tag`` decides the wrapper: consecutive ``li`` blocks share one ``<ul>``; ``map`` renders
    an image with its ``<map>`` of ``<area>`` links; ``label`` is the map image's alt text.
    """

    tag: str
    parts: list[Part]
    label: str = ""
    css_class: str = ""

    def links(self) -> Iterator[Link]:
        for part in self.parts:
            if isinstance(part, Link):
                yield part


class Occurrence(NamedTuple):
    """A link as found on its page: source path, 1-based ordinal, position."""

    source: str
    ordinal: int
    position: str
    link: Link


@dataclass
class Page:
    """One route of the demo site: an HTML page, a redirect, an error or a file.

    Only 2xx HTML pages have regions. ``sitemap`` names the child sitemap listing the page
    (``None``: not listed). ``canonical`` and ``alternates`` values are paths. ``meta_robots``
    and ``meta_googlebot`` are the contents of ``<meta name="robots">`` / ``"googlebot"``;
    ``x_robots_tag`` is sent as one ``X-Robots-Tag`` header line.
    """

    path: str
    kind: str
    status: int = 200
    title: str = ""
    h1: str = ""
    description: str = ""
    lang: str = "en"
    topic: str = ""
    category: str | None = None
    date: str | None = None
    content_type: str | None = HTML
    canonical: str | None = None
    canonical_absolute: bool = True
    meta_robots: str | None = None
    meta_googlebot: str | None = None
    x_robots_tag: str | None = None
    alternates: dict[str, str] = field(default_factory=dict)
    head_links: list[tuple[str, str]] = field(default_factory=list)
    location: str | None = None
    redirect_target: str | None = None
    sitemap: str | None = None
    crumbs: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | None = None
    regions: dict[str, list[Block]] = field(default_factory=dict)
    _occurrences: list[Occurrence] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def is_html_ok(self) -> bool:
        """Links are extracted only from 2xx HTML responses."""
        return 200 <= self.status < 300 and (self.content_type or "").startswith("text/html")

    @property
    def full_title(self) -> str | None:
        return f"{self.title} | Stride & Trail" if self.is_html_ok else None

    def add(self, region: str, block: Block) -> Block:
        if region not in REGIONS:
            raise SiteModelError(f"{self.path}: unknown region {region!r}")
        self.regions.setdefault(region, []).append(block)
        self._occurrences = None
        return block

    def replace_region(self, region: str, blocks: list[Block]) -> None:
        self.regions[region] = blocks
        self._occurrences = None

    def occurrences(self) -> list[Occurrence]:
        """Every link element in document order, numbered as the ordinal Definition says.

        Cached until the next :meth:`add` / :meth:`replace_region` (blocks are edited only
        through them).
        """
        if self._occurrences is None:
            found: list[Occurrence] = []
            for region, position in REGIONS.items():
                for block in self.regions.get(region, ()):
                    for link in block.links():
                        found.append(Occurrence(self.path, len(found) + 1, position, link))
            self._occurrences = found
        return self._occurrences


@dataclass(frozen=True)
class Planted:
    """Where each planted problem lives (paths), so tests and later stages can name them."""

    sitemap_only_orphans: tuple[str, ...]
    nofollow_only: str
    linked_only_from_orphan: str
    unreachable_noindex: str
    broken: dict[str, int]
    redirect_chain: tuple[str, ...]
    redirect_loop: tuple[str, ...]
    slash_redirect: tuple[str, str]
    deep_series: tuple[str, ...]
    exact_match_target: str
    exact_match_anchor: str
    link_heavy_page: str
    german_section: tuple[str, ...]
    cross_language_links: tuple[tuple[str, str], ...]
    canonicalised: dict[str, str]
    noindex_meta: str
    noindex_header: str
    robots_disallowed: str
    non_html: str
    percent_encoded: str
    internal_sponsored: tuple[tuple[str, str], ...]
    v2_lost_inlinks: tuple[str, ...]
    v2_resolved: tuple[str, ...]
    v2_resolved_from: str
    #: Follow-semantics case -> (page holding the link, a target linked only by that link).
    follow_cases: dict[str, tuple[str, str]]
    #: The product linked through session-id variants: hrefs whose keys every site strips by
    #: default (``session_hrefs``) and URLs with a key nobody strips (``session_variants``),
    #: which name the product as canonical; ``volatile_params`` holds that key.
    session_product: str
    session_hrefs: tuple[str, ...]
    session_variants: tuple[str, ...]
    volatile_params: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types (tuples become lists), as stored in ``truth.json``."""
        return json.loads(json.dumps(asdict(self)))


@dataclass
class Site:
    """The whole demo site: routes by path, robots rules, sitemaps and what was planted."""

    seed: int
    version: int
    pages: dict[str, Page]
    planted: Planted
    start_paths: tuple[str, ...] = ("/",)
    disallow: tuple[str, ...] = ("/cart/",)

    def is_disallowed(self, path: str) -> bool:
        return any(path.startswith(prefix) for prefix in self.disallow)

    def page_for(self, path: str) -> Page | None:
        """The route serving ``path``: the server ignores query strings (``/p/?x=1`` is ``/p/``)."""
        return self.pages.get(path.split("?", 1)[0])

    def sitemaps(self) -> dict[str, list[str]]:
        """Child sitemap name -> listed paths, in page order."""
        listed: dict[str, list[str]] = {}
        for page in self.pages.values():
            if page.sitemap:
                listed.setdefault(page.sitemap, []).append(page.path)
        return dict(sorted(listed.items()))

    def sitemap_paths(self) -> set[str]:
        return {page.path for page in self.pages.values() if page.sitemap}

    def occurrences(self) -> Iterator[Occurrence]:
        """Links of every 2xx HTML route, including ones a crawler never fetches (``/cart/``)."""
        for page in self.pages.values():
            if page.is_html_ok:
                yield from page.occurrences()

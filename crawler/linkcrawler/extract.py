"""HTML -> page facts, link occurrences and hreflang alternates, from ONE lxml parse per page.

The rules are the Definitions of the shared contract (anchor text, kind, rel, position, ordinal);
the warehouse counts inlinks from these rows, so they must match the demo site's truth exactly.
Two choices the contract leaves open, made here:

- ``position``: a semantic landmark (``<nav>``/``role=navigation`` ...) on ANY ancestor wins over
  class/id names; the class/id rule is only the fallback, and ``<html>``/``<body>`` are not used
  for it (themes put page-state classes such as ``has-sidebar`` on ``<body>``). When one
  element's class/id tokens name several landmarks, nav > header > footer > aside.
- ``img_alt`` is null when the first ``<img>`` has no ``alt`` attribute (missing vs empty alt is
  a hygiene signal); the anchor text is then ``''``.

Broken markup and odd bytes never raise: the text is decoded by Scrapy's encoding detection,
re-encoded as UTF-8 and parsed in libxml2's recovering HTML mode.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

import ada_url
from lxml import etree

from linkcrawler.scope import Scope
from linkwarehouse.urls import HrefKind, UrlNormalizer, classify_href

#: An http(s) href that still yields no URL (``http://``, ``http://[bad``): recorded, never followed.
HREF_INVALID = "invalid"

_LINKS = etree.XPath("//a[@href] | //area[@href]")
_STRING = etree.XPath("string()")
_FIRST_BASE = etree.XPath("(//base[@href])[1]/@href")
_LINK_TAGS = etree.XPath("//link[@rel][@href]")
_META_NAMED = etree.XPath("//meta[@name][@content]")
_FIRST_TITLE = etree.XPath("(//title)[1]")
_FIRST_H1 = etree.XPath("(//h1)[1]")
_INVISIBLE = ("script", "style", "noscript", "template")

_ROLE_POSITIONS = {"navigation": "nav", "banner": "header", "contentinfo": "footer", "complementary": "aside"}
_TAG_POSITIONS = {"nav": "nav", "header": "header", "footer": "footer", "aside": "aside"}
_NAME_POSITIONS = (
    ("nav", frozenset({"nav", "navbar", "menu", "breadcrumb", "breadcrumbs"})),
    ("header", frozenset({"header", "masthead"})),
    ("footer", frozenset({"footer"})),
    ("aside", frozenset({"sidebar"})),
)
_NAME_SPLIT = re.compile(r"[-_]")
_NO_NAME_FALLBACK = frozenset({"html", "body"})


def clean_text(value: str) -> str:
    """Collapse runs of whitespace to one space and strip."""
    return " ".join(value.split())


@dataclass(slots=True)
class Extraction:
    """What one HTML page yields: crawl/pages columns, crawl/links rows, crawl/hreflang rows."""

    facts: dict[str, Any]
    links: list[dict[str, Any]] = field(default_factory=list)
    hreflang: list[dict[str, Any]] = field(default_factory=list)


def empty_facts() -> dict[str, Any]:
    return {
        "title": None,
        "h1": None,
        "meta_robots": None,
        "canonical": None,
        "lang": None,
        "word_count": 0,
        "content_hash": hashlib.sha1(b"", usedforsecurity=False).hexdigest(),
    }


def _own_semantic_position(element: etree._Element) -> str | None:
    role = element.get("role")
    if role:
        for token in role.lower().split():
            if token in _ROLE_POSITIONS:
                return _ROLE_POSITIONS[token]
    return _TAG_POSITIONS.get(element.tag) if isinstance(element.tag, str) else None


def _own_name_position(element: etree._Element) -> str | None:
    if element.tag in _NO_NAME_FALLBACK:
        return None
    names = f"{element.get('id') or ''} {element.get('class') or ''}".lower().split()
    if not names:
        return None
    words = set(names)
    for name in names:
        words.update(_NAME_SPLIT.split(name))
    for position, vocabulary in _NAME_POSITIONS:
        if not words.isdisjoint(vocabulary):
            return position
    return None


class _PositionResolver:
    """Nearest semantic landmark ancestor, else nearest named one, else ``content``.

    Each ancestor is classified once per page (memoised top-down), so a page with hundreds of
    links under one ``<nav>`` costs one walk up the tree, not one per link.
    """

    def __init__(self) -> None:
        self._inherited: dict[etree._Element, tuple[str | None, str | None]] = {}

    def position(self, link: etree._Element) -> str:
        parent = link.getparent()
        if parent is None:
            return "content"
        semantic, named = self._resolve(parent)
        return semantic or named or "content"

    def _resolve(self, element: etree._Element) -> tuple[str | None, str | None]:
        path = []
        node: etree._Element | None = element
        inherited: tuple[str | None, str | None] = (None, None)
        while node is not None:
            known = self._inherited.get(node)
            if known is not None:
                inherited = known
                break
            path.append(node)
            node = node.getparent()
        for node in reversed(path):
            semantic, named = inherited
            inherited = (_own_semantic_position(node) or semantic, _own_name_position(node) or named)
            self._inherited[node] = inherited
        return inherited


def _origin(url: str) -> str:
    """``scheme://host[:port]`` of an absolute http(s) URL serialised by ada (path always present)."""
    return url[: url.find("/", url.find("//") + 2)]


class PageExtractor:
    """Extracts pages of one site: its URL normaliser decides targets, its scope internal-ness.

    Navigation, header and footer hrefs repeat on every page, so resolved targets are memoised
    for hrefs whose result cannot depend on the page path: absolute ``http(s)://`` URLs and
    root-relative ``/path`` hrefs (keyed by the base's origin).
    """

    MEMO_SIZE = 200_000

    def __init__(self, normalize: UrlNormalizer, scope: Scope) -> None:
        self.normalize = normalize
        self.scope = scope
        self._parser = etree.HTMLParser(encoding="utf-8", collect_ids=False, no_network=True)
        self._memo: dict[tuple[str, str], str | None] = {}

    def resolve(self, raw: str, base: str) -> str | None:
        """The normalised target of ``raw`` on a page whose base URL is ``base``."""
        if raw.startswith("/") and not raw.startswith("//"):
            key = (raw, _origin(base))
        elif raw.startswith(("http://", "https://")):
            key = (raw, "")
        else:
            return self.normalize(raw, base)
        try:
            return self._memo[key]
        except KeyError:
            if len(self._memo) >= self.MEMO_SIZE:
                self._memo.clear()
            target = self._memo[key] = self.normalize(raw, base)
            return target

    def extract(self, html: str, page_url: str) -> Extraction:
        """Parse ``html`` served at ``page_url`` (already normalised)."""
        root = etree.fromstring(html.encode("utf-8", "replace"), self._parser)
        if root is None:
            return Extraction(empty_facts())
        base = _document_base(root, page_url)
        facts = empty_facts()
        links = self._links(root, page_url, base)
        hreflang = self._head_links(root, page_url, base, facts)
        facts["meta_robots"] = _meta_robots(root)
        facts["lang"] = _lang(root)
        title = _FIRST_TITLE(root)
        facts["title"] = clean_text(_STRING(title[0])) if title else None
        h1 = _FIRST_H1(root)
        facts["h1"] = clean_text(_STRING(h1[0])) if h1 else None
        facts["word_count"], facts["content_hash"] = _visible_text_facts(root)
        return Extraction(facts, links, hreflang)

    def _links(self, root: etree._Element, page_url: str, base: str) -> list[dict[str, Any]]:
        positions = _PositionResolver()
        rows = []
        for ordinal, element in enumerate(_LINKS(root), start=1):
            raw = element.get("href")
            href_kind: str = classify_href(raw)
            target = None
            if href_kind == HrefKind.HTTP:
                target = self.resolve(raw, base)
                if target is None:
                    href_kind = HREF_INVALID
            if element.tag == "area":
                kind, anchor, img_alt = "area", "", None
            else:
                kind, anchor, img_alt = _anchor(element)
            rel = (element.get("rel") or "").lower().split()
            rows.append(
                {
                    "source_url": page_url,
                    "target_url": target,
                    "raw_href": raw,
                    "href_kind": str(href_kind),
                    "anchor_text": anchor,
                    "kind": kind,
                    "img_alt": img_alt,
                    "rel": rel,
                    "nofollow": "nofollow" in rel,
                    "position": positions.position(element),
                    "ordinal": ordinal,
                    "is_internal": target is not None and self.scope.is_internal(target),
                }
            )
        return rows

    def _head_links(
        self, root: etree._Element, page_url: str, base: str, facts: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Fill ``facts['canonical']`` (first canonical) and return the hreflang alternates."""
        alternates = []
        canonical_seen = False
        for element in _LINK_TAGS(root):
            rel = element.get("rel").lower().split()
            if "canonical" in rel and not canonical_seen:
                canonical_seen = True
                facts["canonical"] = self.normalize(element.get("href"), base)
            hreflang = element.get("hreflang")
            if "alternate" in rel and hreflang is not None:
                alternates.append(
                    {
                        "url": page_url,
                        "hreflang": hreflang.strip().lower(),
                        "alternate_url": self.normalize(element.get("href"), base),
                    }
                )
        return alternates


def _anchor(element: etree._Element) -> tuple[str, str, str | None]:
    """``(kind, anchor_text, img_alt)`` of an ``<a>`` element."""
    text = clean_text(_STRING(element))
    image = next(element.iter("img"), None)
    alt = image.get("alt") if image is not None else None
    img_alt = clean_text(alt) if alt is not None else None
    if text:
        return "a", text, img_alt
    if image is not None:
        return "img", img_alt or "", img_alt
    return "a", "", None


def _document_base(root: etree._Element, page_url: str) -> str:
    """The URL relative references resolve against: ``<base href>`` when valid, else the page."""
    found = _FIRST_BASE(root)
    if not found:
        return page_url
    try:
        base = ada_url.URL(str(found[0]).strip(), page_url)
    except ValueError:
        return page_url
    return base.href if base.protocol in ("http:", "https:") else page_url


def _meta_robots(root: etree._Element) -> str | None:
    values = [
        clean_text(meta.get("content"))
        for meta in _META_NAMED(root)
        if meta.get("name").strip().lower() == "robots"
    ]
    return ", ".join(values).lower() if values else None


def _lang(root: etree._Element) -> str | None:
    lang = root.get("lang") if root.tag == "html" else None
    return lang.strip() if lang is not None else None


def _visible_text_facts(root: etree._Element) -> tuple[int, str]:
    """Word count and sha1 of the whitespace-normalised visible body text (mutates the tree)."""
    body = root.find("body")
    if body is None:
        words: list[str] = []
    else:
        etree.strip_elements(body, *_INVISIBLE, with_tail=False)
        words = _STRING(body).split()
    return len(words), hashlib.sha1(" ".join(words).encode("utf-8"), usedforsecurity=False).hexdigest()

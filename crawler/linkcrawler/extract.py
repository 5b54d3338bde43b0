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

Each link row carries ``nofollow_reason`` (every reason Google would not follow it, follow.py)
and ``nofollow``: whether those reasons make it unfollowed under the site's switch for
``sponsored``/``ugc``.

Broken markup and odd bytes never raise: the text is decoded by Scrapy's encoding detection,
re-encoded as UTF-8 and parsed in libxml2's recovering HTML mode.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import ada_url
from lxml import etree

from linkcrawler.follow import is_unfollowed, page_reasons, rel_reasons
from linkcrawler.scope import Scope
from linkwarehouse.urls import HrefKind, UrlNormalizer, classify_href

_LINKS = etree.XPath("//a[@href] | //area[@href]")
_STRING = etree.XPath("string()")
_FIRST_BASE = etree.XPath("(//base[@href])[1]/@href")
_LINK_TAGS = etree.XPath("//link[@rel][@href]")
_META_NAMED = etree.XPath("//meta[@name][@content]")
_META_REFRESH = etree.XPath("//meta[@http-equiv][@content]")
_FIRST_TITLE = etree.XPath("(//title)[1]")
_FIRST_H1 = etree.XPath("(//h1)[1]")
_INVISIBLE = ("script", "style", "noscript", "template")
#: Elements a browser renders as separate boxes or lines: words on either side never join, even
#: in minified HTML (``<li>Home</li><li>About</li>``), where no whitespace separates them.
_WORD_BREAKS = (
    "address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "dialog", "div",
    "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
    "h6", "header", "hr", "legend", "li", "main", "menu", "nav", "ol", "option", "p", "pre",
    "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
)  # fmt: skip

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
    """What one HTML page yields: crawl/pages columns, crawl/links rows, crawl/hreflang rows.

    ``page_nofollow``: the page's own nofollow reasons (``meta_robots``, ``x_robots_tag``), which
    every one of its links carries.
    """

    facts: dict[str, Any]
    links: list[dict[str, Any]] = field(default_factory=list)
    hreflang: list[dict[str, Any]] = field(default_factory=list)
    main_text: str = ""
    page_nofollow: list[str] = field(default_factory=list)


def empty_facts() -> dict[str, Any]:
    return {
        "title": None,
        "h1": None,
        "meta_robots": None,
        "meta_googlebot": None,
        "canonical": None,
        "rel_next": None,
        "rel_prev": None,
        "meta_refresh": None,
        "meta_refresh_delay": None,
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


_LOWER = ("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
#: Elements that may classify the links inside them, in document order (outer before inner):
#: landmark tags, any role, and class/id values containing a fallback word (checked exactly in
#: Python, the XPath only narrows the candidates down to a handful per page).
_LANDMARKS = etree.XPath(
    "//nav | //header | //footer | //aside | //*[@role] | //*[(@class or @id) and ("
    + " or ".join(
        f"contains(translate(concat(@class, ' ', @id), '{_LOWER[0]}', '{_LOWER[1]}'), '{word}')"
        for word in ("nav", "menu", "breadcrumb", "header", "masthead", "footer", "sidebar")
    )
    + ")]"
)


def link_positions(root: etree._Element, links: list[etree._Element]) -> list[str]:
    """Position of each link: nearest semantic landmark ancestor, else nearest named one, else content.

    One pass over the few landmark candidates of the page, each labelling the links inside it;
    inner landmarks come later in document order and so override outer ones.
    """
    semantic: dict[etree._Element, str] = {}
    named: dict[etree._Element, str] = {}
    for landmark in _LANDMARKS(root):
        own_semantic = _own_semantic_position(landmark)
        own_named = _own_name_position(landmark)
        if own_semantic is None and own_named is None:
            continue
        for link in landmark.iter("a", "area"):
            if link is landmark:
                continue
            if own_semantic is not None:
                semantic[link] = own_semantic
            if own_named is not None:
                named[link] = own_named
    if not semantic and not named:
        return ["content"] * len(links)
    return [semantic.get(link) or named.get(link) or "content" for link in links]


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

    def __init__(
        self, normalize: UrlNormalizer, scope: Scope, sponsored_ugc_as_nofollow: bool = True
    ) -> None:
        self.normalize = normalize
        self.scope = scope
        self.sponsored_ugc_as_nofollow = sponsored_ugc_as_nofollow
        self._parser = etree.HTMLParser(encoding="utf-8", collect_ids=False, no_network=True)
        self._memo: dict[tuple[str, str], str | None] = {}

    def resolve(self, raw: str, base: str, origin: str | None = None) -> str | None:
        """The normalised target of ``raw`` on a page whose base URL is ``base`` (origin: of base)."""
        if raw.startswith("/") and not raw.startswith("//"):
            key = (raw, origin if origin is not None else _origin(base))
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

    def extract(self, html: str, page_url: str, x_robots_tag: Sequence[str] = ()) -> Extraction:
        """Parse ``html`` served at ``page_url`` (already normalised).

        ``x_robots_tag``: the response's ``X-Robots-Tag`` header lines, one item per line (a
        user-agent prefix scopes the rest of its own line only).
        """
        root = etree.fromstring(html.encode("utf-8", "replace"), self._parser)
        if root is None:
            return Extraction(empty_facts())
        base = _document_base(root, page_url)
        facts = empty_facts()
        meta = _named_meta(root)
        facts["meta_robots"] = _meta_content(meta, "robots")
        facts["meta_googlebot"] = _meta_content(meta, "googlebot")
        page_nofollow = page_reasons(meta, x_robots_tag)
        links = self._links(root, page_url, base, page_nofollow)
        hreflang = self._head_links(root, page_url, base, facts)
        refresh = meta_refresh(root)
        if refresh is not None:
            facts["meta_refresh_delay"], target = refresh
            facts["meta_refresh"] = self.normalize(target, base) if target else None
        facts["lang"] = _lang(root)
        title = _FIRST_TITLE(root)
        facts["title"] = clean_text(_STRING(title[0])) if title else None
        h1 = _FIRST_H1(root)
        facts["h1"] = clean_text(_STRING(h1[0])) if h1 else None
        facts["word_count"], facts["content_hash"] = _visible_text_facts(root)
        return Extraction(facts, links, hreflang, main_text(root), page_nofollow)

    def _links(
        self, root: etree._Element, page_url: str, base: str, page_level: list[str]
    ) -> list[dict[str, Any]]:
        """Link rows; ``page_level``: the page's own nofollow reasons, added to every link's."""
        elements = _LINKS(root)
        positions = link_positions(root, elements)
        origin = _origin(base)
        resolve = self.resolve
        is_internal = self.scope.is_internal
        page_nofollow = bool(page_level)
        sponsored_ugc = self.sponsored_ugc_as_nofollow
        rows = []
        for ordinal, (element, position) in enumerate(zip(elements, positions, strict=True), start=1):
            raw = element.get("href")
            if raw.startswith(("/", "http://", "https://")) and not raw.startswith("//"):
                href_kind = HrefKind.HTTP  # the common case, without classify_href's stripping
            else:
                href_kind = classify_href(raw)
            target = None
            if href_kind is HrefKind.HTTP:
                target = resolve(raw, base, origin)
                if target is None:
                    href_kind = HrefKind.INVALID
            if element.tag == "area":  # its alt is its anchor text, as an image link's
                alt = element.get("alt")
                img_alt = clean_text(alt) if alt is not None else None
                kind, anchor = "area", img_alt or ""
            else:
                kind, anchor, img_alt = _anchor(element)
            rel_value = element.get("rel")
            if rel_value:
                rel = rel_value.lower().split()
                reasons = rel_reasons(rel) + page_level
                nofollow = page_nofollow or is_unfollowed(reasons, sponsored_ugc)
            else:
                rel, reasons, nofollow = [], page_level[:], page_nofollow
            rows.append(
                {
                    "source_url": page_url,
                    "target_url": target,
                    "raw_href": raw,
                    "href_kind": href_kind.value,
                    "anchor_text": anchor,
                    "kind": kind,
                    "img_alt": img_alt,
                    "rel": rel,
                    "nofollow": nofollow,
                    "nofollow_reason": reasons,
                    "position": position,
                    "ordinal": ordinal,
                    "is_internal": target is not None and is_internal(target),
                }
            )
        return rows

    def _head_links(
        self, root: etree._Element, page_url: str, base: str, facts: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Fill canonical / rel next / rel prev (first of each) and return the hreflang alternates."""
        alternates = []
        for element in _LINK_TAGS(root):
            rel = element.get("rel").lower().split()
            for name, column in (("canonical", "canonical"), ("next", "rel_next"), ("prev", "rel_prev")):
                if name in rel and facts[column] is None:
                    facts[column] = self.normalize(element.get("href"), base)
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
    if len(element) == 0:  # no child nodes at all: the common text-only link, without XPath
        return "a", clean_text(element.text or ""), None
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


def _named_meta(root: etree._Element) -> list[tuple[str, str]]:
    """``(lower-cased name, whitespace-collapsed content)`` of every ``<meta name content>``."""
    return [(meta.get("name").strip().lower(), clean_text(meta.get("content"))) for meta in _META_NAMED(root)]


def _meta_content(meta: list[tuple[str, str]], name: str) -> str | None:
    """The contents of the metas called ``name``, joined with ", " and lower-cased."""
    values = [content for meta_name, content in meta if meta_name == name]
    return ", ".join(values).lower() if values else None


def _lang(root: etree._Element) -> str | None:
    lang = root.get("lang") if root.tag == "html" else None
    return lang.strip() if lang is not None else None


def _visible_text_facts(root: etree._Element) -> tuple[int, str]:
    """Word count and sha1 of the whitespace-normalised visible body text.

    Mutates the tree for :func:`main_text` too: invisible elements go, and a space is put at
    both edges of every block element so its words stay apart from its neighbours'.
    """
    body = root.find("body")
    if body is None:
        words: list[str] = []
    else:
        etree.strip_elements(body, *_INVISIBLE, with_tail=False)
        for block in body.iter(*_WORD_BREAKS):
            block.text = " " + block.text if block.text else " "
            block.tail = " " + block.tail if block.tail else " "
        words = _STRING(body).split()
    return len(words), hashlib.sha1(" ".join(words).encode("utf-8"), usedforsecurity=False).hexdigest()


_REFRESH = re.compile(r"^\s*([0-9]*\.?[0-9]*)\s*(?:[;,]\s*(?:url\s*=\s*)?(.*))?$", re.IGNORECASE | re.DOTALL)


def meta_refresh(root: etree._Element) -> tuple[float, str | None] | None:
    """``(delay, raw target)`` of the first ``<meta http-equiv=refresh>`` (HTML's parsing rules).

    The target is ``None`` for a refresh of the page itself (``content="30"``); quotes around
    the URL are dropped as browsers do. ``None`` when there is no usable refresh.
    """
    for meta in _META_REFRESH(root):
        if meta.get("http-equiv").strip().lower() != "refresh":
            continue
        match = _REFRESH.match(meta.get("content"))
        if match is None or not match.group(1) or match.group(1) == ".":
            return None
        target = (match.group(2) or "").strip()
        if target[:1] in ("'", '"'):
            quote = target[0]
            target = target[1:].split(quote, 1)[0]
        return float(match.group(1)), target.strip() or None
    return None


_BOILERPLATE_TAGS = ("nav", "aside", "footer", "form", "header")
_BOILERPLATE_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
_MAIN = etree.XPath("(//main | //*[@role='main'])[1]")
_BOILERPLATE_CANDIDATES = etree.XPath(
    "descendant::*[self::nav or self::aside or self::footer or self::form or self::header"
    " or @role or @class or @id]"
)
_ARTICLES = etree.XPath("//article")
#: Main text beyond this is cut: it feeds link suggestions, not archiving.
MAIN_TEXT_MAX_CHARS = 100_000


def main_text(root: etree._Element) -> str:
    """The page's main text with boilerplate removed (mutates the tree: call last).

    The content root is ``<main>``/``role=main``, else the only ``<article>``, else ``<body>``.
    Inside it, navigation, header (only when the root is ``<body>``), footer, aside, forms,
    landmark roles and elements named like them by class/id (the link-position fallback words)
    are dropped; :func:`_visible_text_facts` already stripped scripts and styles and spaced out
    block elements, so inline markup (``<b>bold</b>.``) does not split words.
    """
    found = _MAIN(root)
    if not found:
        articles = _ARTICLES(root)
        found = articles if len(articles) == 1 else [root.find("body")]
    content = found[0]
    if content is None:
        return ""
    drop = []
    for element in _BOILERPLATE_CANDIDATES(content):
        tag = element.tag
        if tag in _BOILERPLATE_TAGS:
            if not (tag == "header" and content.tag != "body"):
                drop.append(element)
            continue
        role = element.get("role")
        landmark_role = role and not _BOILERPLATE_ROLES.isdisjoint(role.lower().split())
        if landmark_role or _own_name_position(element) is not None:
            drop.append(element)
    for element in drop:
        _remove_keeping_tail(element)
    return " ".join(_STRING(content).split())[:MAIN_TEXT_MAX_CHARS]


def _remove_keeping_tail(element: etree._Element) -> None:
    """Remove ``element`` (and its subtree) but keep the text that follows it."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    if tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)

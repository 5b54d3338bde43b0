"""Independent check: parse the served HTML with lxml, apply the Definitions, compare with the truth.

Nothing here uses the model to find links: the link list, anchor text, position, targets and
the inlink counts are recomputed from the bytes the server sends. A divergence between the
renderer and the model fails here before any crawler runs.
"""

from __future__ import annotations

import functools
import re
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

import ada_url
import lxml.html
import pytest
import yaml

from linkwarehouse.config import parse_sites
from linkwarehouse.demo import DemoSiteServer, Site, Truth
from linkwarehouse.urls import HrefKind, classify_href

#: The demo site's own URL rules (config/sites.yaml): its strip list plus the built-in one.
NORMALIZE = (
    parse_sites(
        yaml.safe_load((Path(__file__).resolve().parents[2] / "config" / "sites.yaml").read_text()),
        Path("sites.yaml"),
    )
    .site("demo")
    .normalizer()
)
SEMANTIC = {"nav": "nav", "header": "header", "footer": "footer", "aside": "aside"}
ROLES = {"navigation": "nav", "banner": "header", "contentinfo": "footer", "complementary": "aside"}
WORDS = {
    "nav": "nav", "navbar": "nav", "menu": "nav", "breadcrumb": "nav", "breadcrumbs": "nav",
    "header": "header", "masthead": "header", "footer": "footer", "sidebar": "aside",
}  # fmt: skip


class ParsedLink(NamedTuple):
    ordinal: int
    target: str | None
    href_kind: str
    anchor: str
    kind: str
    img_alt: str | None
    rel: tuple[str, ...]
    position: str


def _class_position(element: lxml.html.HtmlElement) -> str | None:
    found = set()
    for token in (element.get("class") or "").split() + (element.get("id") or "").split():
        for part in {token.lower(), *re.split(r"[-_]", token.lower())}:
            if part in WORDS:
                found.add(WORDS[part])
    assert len(found) <= 1, f"ambiguous class/id landmark {found} on <{element.tag}>"
    return found.pop() if found else None


def _landmark(element: lxml.html.HtmlElement) -> str | None:
    """The position an element decides as an ancestor; semantic element/role wins over class/id."""
    semantic = SEMANTIC.get(element.tag) or ROLES.get((element.get("role") or "").strip().lower())
    return semantic or _class_position(element)


def position_of(element: lxml.html.HtmlElement, memo: dict[lxml.html.HtmlElement, str]) -> str:
    """Nearest ancestor landmark, memoised per parent (siblings share their ancestors)."""
    parent = element.getparent()
    if parent is None:
        return "content"
    if parent not in memo:
        memo[parent] = _landmark(parent) or position_of(parent, memo)
    return memo[parent]


@functools.cache
def _normalise_origin_relative(href: str, origin: str) -> str | None:
    return NORMALIZE(href, origin + "/")


def _internal_target(href: str, page_url: str, host: str) -> str | None:
    """Path (and query) of an internal link target; root-relative hrefs are cached per origin."""
    if href.startswith("/") and not href.startswith("//") and "/." not in href:
        origin = page_url[: page_url.index("/", len("http://"))]
        url = _normalise_origin_relative(href, origin)
    else:
        url = NORMALIZE(href, page_url)
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.hostname != host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def extract_links(html: bytes, page_url: str, host: str) -> list[ParsedLink]:
    doc = lxml.html.fromstring(html)
    memo: dict[lxml.html.HtmlElement, str] = {}
    links = []
    for ordinal, element in enumerate(doc.xpath("//a[@href] | //area[@href]"), start=1):
        href = element.get("href")
        href_kind = classify_href(href)
        target = _internal_target(href, page_url, host) if href_kind == HrefKind.HTTP else None
        images = [element] if element.tag == "area" else list(element.iter("img"))  # an area's alt is its own
        own_text = " ".join(element.text_content().split())
        text = own_text or (" ".join((images[0].get("alt") or "").split()) if images else "")
        kind = "area" if element.tag == "area" else ("img" if images and not own_text else "a")
        rel = tuple((element.get("rel") or "").lower().split())
        img_alt = images[0].get("alt") if images else None
        links.append(
            ParsedLink(ordinal, target, str(href_kind), text, kind, img_alt, rel, position_of(element, memo))
        )
    return links


def _get(url: str) -> tuple[bytes, list[str]]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read(), response.headers.get_all("X-Robots-Tag") or []


@pytest.fixture(scope="module")
def served(server: DemoSiteServer, truth_v1: Truth, site_v1: Site) -> dict[str, tuple[bytes, list[str]]]:
    """Every fetched 2xx HTML page as the server sends it (the truth decides which are fetched;
    URL variants such as ``/p/?osCsid=1`` are served by their page's route): its body and its
    X-Robots-Tag header lines."""
    pages = [
        path
        for path, row in truth_v1.urls.items()
        if row.status is not None and (page := site_v1.page_for(path)) is not None and page.is_html_ok
    ]
    with ThreadPoolExecutor(max_workers=8) as pool:
        return dict(zip(pages, pool.map(lambda path: _get(server.base_url + path), pages), strict=True))


@pytest.fixture(scope="module")
def served_pages(served: dict[str, tuple[bytes, list[str]]]) -> dict[str, bytes]:
    return {path: body for path, (body, _) in served.items()}


def says_nofollow_to_google(body: bytes, x_robots_tag: list[str]) -> bool:
    """Page-level nofollow as Google reads it, from the served bytes and headers alone."""
    doc = lxml.html.fromstring(body)
    meta = doc.xpath("//meta[@name='robots' or @name='googlebot']/@content")
    rules = [rule.strip().lower() for content in meta for rule in content.split(",")]
    for line in x_robots_tag:
        agent = None
        for rule in line.lower().split(","):
            if ":" in rule:
                agent, rule = (part.strip() for part in rule.split(":", 1))
            if agent in (None, "googlebot"):
                rules.append(rule.strip())
    return "nofollow" in rules or "none" in rules


@pytest.fixture(scope="module")
def served_links(
    server: DemoSiteServer, served_pages: dict[str, bytes], truth_v1: Truth
) -> dict[str, list[ParsedLink]]:
    """Links of every expanded page: a URL variant's links are its canonical's and never recorded."""
    host = ada_url.URL(server.base_url).hostname
    return {
        path: extract_links(body, server.base_url + path, host)
        for path, body in served_pages.items()
        if truth_v1.urls[path].variant_of is None
    }


def test_every_link_element_matches_the_model(
    served_links: dict[str, list[ParsedLink]], site_v1: Site
) -> None:
    assert len(served_links) > 1900
    for path, parsed in served_links.items():
        expected = [
            ParsedLink(
                occ.ordinal,
                occ.link.target,
                str(occ.link.href_kind),
                occ.link.anchor_text,
                occ.link.kind,
                occ.link.img_alt if occ.link.img or occ.link.area else None,
                occ.link.rel,
                occ.position,
            )
            for occ in site_v1.pages[path].occurrences()
        ]
        assert parsed == expected, path


def test_inlinks_recomputed_from_html_equal_the_truth(
    served_links: dict[str, list[ParsedLink]], served: dict[str, tuple[bytes, list[str]]], truth_v1: Truth
) -> None:
    sources: dict[str, set[str]] = {path: set() for path in truth_v1.urls}
    totals: Counter[str] = Counter()
    positions: Counter[tuple[str, str]] = Counter()
    nofollow: Counter[str] = Counter()
    page_nofollow = {path for path, (body, header) in served.items() if says_nofollow_to_google(body, header)}
    assert len(page_nofollow) == 4  # the planted meta robots / googlebot / X-Robots-Tag cases
    for source, links in served_links.items():
        for link in links:
            if link.target is None or link.target == source:
                continue
            sources[link.target].add(source)
            totals[link.target] += 1
            positions[link.target, link.position] += 1
            unfollowed = source in page_nofollow or not {"nofollow", "sponsored", "ugc"}.isdisjoint(link.rel)
            nofollow[link.target] += unfollowed
    mismatches = []
    for path, row in truth_v1.urls.items():
        recomputed = (
            len(sources[path]),
            totals[path],
            nofollow[path],
            tuple(positions[path, p] for p in ("nav", "header", "footer", "aside", "content")),
        )
        expected = (
            row.unique_inlinks,
            row.total_inlinks,
            row.nofollow_inlinks,
            (row.inlinks_nav, row.inlinks_header, row.inlinks_footer, row.inlinks_aside, row.inlinks_content),
        )
        if recomputed != expected:
            mismatches.append((path, recomputed, expected))
    assert mismatches == []
    assert set(sources) == set(truth_v1.urls)  # no link target outside the truth rows


def test_head_facts_match_the_truth(
    server: DemoSiteServer, served_pages: dict[str, bytes], truth_v1: Truth
) -> None:
    for path, body in served_pages.items():
        row = truth_v1.urls[path]
        doc = lxml.html.fromstring(body)
        assert doc.findtext(".//title") == row.title, path
        assert doc.get("lang") == row.lang, path
        assert " ".join(doc.xpath("string(//h1)").split()) == row.h1, path
        canonical = doc.xpath("//link[@rel='canonical']/@href")
        resolved = NORMALIZE(canonical[0], server.base_url + path) if canonical else None
        assert (resolved.removeprefix(server.base_url) if resolved else None) == row.canonical, path
        robots = doc.xpath("//meta[@name='robots']/@content")
        assert (robots[0] if robots else None) == row.meta_robots, path
        googlebot = doc.xpath("//meta[@name='googlebot']/@content")
        assert (googlebot[0] if googlebot else None) == row.meta_googlebot, path
        alternates = {
            element.get("hreflang"): element.get("href").removeprefix(server.base_url)
            for element in doc.xpath("//link[@rel='alternate'][@hreflang]")
        }
        # A variant's alternates are not recorded: its page's are (the same HTML).
        expected = row.hreflang if row.variant_of is None else truth_v1.urls[path.split("?")[0]].hreflang
        assert (alternates or None) == expected, path


def test_session_variants_are_served_with_their_canonical(
    served_pages: dict[str, bytes], truth_v1: Truth
) -> None:
    planted = truth_v1.planted
    variants = sorted(path for path, row in truth_v1.urls.items() if row.variant_of is not None)
    assert variants == planted["session_variants"]
    for path in variants:
        assert served_pages[path] == served_pages[path.split("?")[0]]
        assert truth_v1.urls[path].variant_of == truth_v1.urls[path].canonical == path.split("?")[0]

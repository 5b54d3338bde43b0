"""extract.py against small HTML fixtures (tests/crawler/data/), table-driven per the Definitions."""

from __future__ import annotations

import hashlib
from html import escape as html_escape

import pytest
from lxml import etree
from scrapy.http import HtmlResponse

from linkcrawler.extract import PageExtractor, meta_refresh
from linkcrawler.scope import Scope
from linkwarehouse.urls import UrlNormalizer

from .conftest import DATA

PAGE = "http://example.com/dir/page.html"


@pytest.fixture(scope="module")
def extractor() -> PageExtractor:
    normalize = UrlNormalizer(strip_params=("utm_*", "gclid", "fbclid", "sessionid"))
    return PageExtractor(normalize, Scope(["example.com"]))


def extract_fixture(extractor: PageExtractor, name: str):
    return extractor.extract((DATA / name).read_text(encoding="utf-8"), PAGE)


def column(links: list[dict], *names: str) -> list[tuple]:
    return [tuple(link[name] for name in names) for link in links]


def test_positions_semantic_role_and_name_fallback(extractor: PageExtractor) -> None:
    links = extract_fixture(extractor, "positions.html").links
    assert column(links, "ordinal", "raw_href", "position") == [
        (1, "/p/header-semantic", "header"),
        (2, "/p/header-beats-menu-class", "header"),
        (3, "/p/role-navigation", "nav"),
        (4, "/p/nav-element-beats-own-class", "nav"),
        (5, "/p/role-banner", "header"),
        (6, "/p/role-contentinfo", "footer"),
        (7, "/p/role-complementary", "aside"),
        (8, "/p/aside-element", "aside"),
        (9, "/p/id-part-footer", "footer"),
        (10, "/p/class-part-sidebar", "aside"),
        (11, "/p/breadcrumbs-nested", "nav"),
        (12, "/p/navbar-part", "nav"),
        (13, "/p/masthead-case", "header"),
        (14, "/p/nav-listed-before-header", "nav"),
        (15, "/p/not-a-listed-word", "content"),
        (16, "/p/footer-element-beats-nav-class", "footer"),
        (17, "/p/nearest-semantic-nav", "nav"),
        (18, "/p/content", "content"),
        (19, "/p/body-classes-ignored", "content"),
    ]


def test_anchor_text_kinds_img_alt_and_rel(extractor: PageExtractor) -> None:
    links = extract_fixture(extractor, "anchors.html").links
    assert column(links, "ordinal", "raw_href", "anchor_text", "kind", "img_alt", "rel", "nofollow") == [
        (1, "/1", "Multiple spaces and newlines", "a", None, [], False),
        (2, "/2", "Logo alt", "img", "Logo alt", [], False),
        (3, "/3", "", "img", None, [], False),
        (4, "/4", "", "img", "", [], False),
        (5, "/5", "Text after image", "a", "Icon", [], False),
        (6, "/6", "", "a", None, [], False),
        (7, "/7", "Nested bold text", "a", None, [], False),
        (8, "/8", "Nofollow ugc", "a", None, ["nofollow", "ugc"], True),
        (9, "/9", "Sponsored", "a", None, ["sponsored"], True),
        (10, "/10", "Empty rel", "a", None, [], False),
        (11, "/11", "Area alt", "area", "Area alt", [], False),
        (12, "/12", "Deep image", "img", "Deep image", [], False),
        (13, "/13", "", "a", None, [], False),
        (14, "/14", "First", "img", "First", [], False),
    ]


def test_hrefs_resolved_normalised_and_classified(extractor: PageExtractor) -> None:
    links = extract_fixture(extractor, "hrefs.html").links
    assert column(links, "ordinal", "href_kind", "target_url", "is_internal") == [
        (1, "http", "http://example.com/dir/sibling.html", True),
        (2, "http", "http://example.com/up.html", True),
        (3, "http", "http://example.com/abs?b=2&a=1", True),
        (4, "http", "http://example.com/Case", True),
        (5, "http", "https://blog.example.com/post", True),
        (6, "http", "https://other.org/x", False),
        (7, "http", "http://example.com/proto-relative", True),
        (8, "javascript", None, False),
        (9, "mailto", None, False),
        (10, "tel", None, False),
        (11, "fragment", None, False),
        (12, "empty", None, False),
        (13, "other_scheme", None, False),
        (14, "invalid", None, False),
        (15, "http", "http://example.com/spaced", True),
        (16, "http", "http://example.com/dir/page.html", True),
        (17, "http", "http://example.com/dir/page.html?q=1", True),
        (18, "http", "http://example.com/p?x=~1", True),
        (19, "http", "http://example.com:8080/port", True),
    ]
    assert links[2]["raw_href"] == "/abs?b=2&utm_source=news&a=1#frag"
    assert {link["source_url"] for link in links} == {PAGE}


def test_base_href_applies_to_links_and_canonical(extractor: PageExtractor) -> None:
    extraction = extract_fixture(extractor, "base.html")
    assert column(extraction.links, "href_kind", "target_url") == [
        ("http", "http://example.com/other/base/rel.html"),
        ("http", "http://example.com/root.html"),
        ("fragment", None),
    ]
    assert extraction.facts["canonical"] == "http://example.com/other/base/canon"


def test_page_facts(extractor: PageExtractor) -> None:
    extraction = extract_fixture(extractor, "facts.html")
    visible = "First heading Second heading One two three. Four five"
    assert extraction.facts == {
        "title": "The Title",
        "h1": "First heading",
        "meta_robots": "noindex, follow, noarchive",
        "meta_googlebot": None,
        "canonical": "http://example.com/canonical-target",
        "rel_next": None,
        "rel_prev": None,
        "meta_refresh": None,
        "meta_refresh_delay": None,
        "lang": "de-DE",
        "word_count": 9,
        "content_hash": hashlib.sha1(visible.encode()).hexdigest(),
    }
    assert extraction.hreflang == [
        {"url": PAGE, "hreflang": "en", "alternate_url": "https://example.com/en/page"},
        {"url": PAGE, "hreflang": "de-de", "alternate_url": "http://example.com/de/seite"},
        {"url": PAGE, "hreflang": "x-default", "alternate_url": "http://example.com/"},
    ]
    assert extraction.links == []


def test_broken_markup_is_recovered(extractor: PageExtractor) -> None:
    links = extract_fixture(extractor, "broken.html").links
    assert column(links, "ordinal", "target_url", "anchor_text") == [
        (1, "http://example.com/one", "one bold"),
        (2, "http://example.com/two", "two"),
        (3, "http://example.com/three", "three"),
        (4, "http://example.com/four", "four"),
    ]


@pytest.mark.parametrize(
    ("body", "headers", "anchor"),
    [
        # Declared windows-1252 in a meta tag: decoded by Scrapy's detection, not as UTF-8.
        (
            b'<html><head><meta charset="windows-1252"></head><body><a href="/x">caf\xe9</a></body></html>',
            {},
            "café",
        ),
        # Invalid UTF-8 bytes become U+FFFD instead of an exception.
        (
            b"<html><body><a href='/x'>bad \xff\xfe bytes</a></body></html>",
            {"Content-Type": "text/html; charset=utf-8"},
            "bad \ufffd\ufffd bytes",
        ),
        # An XML declaration naming another encoding must not break the parse of decoded text.
        (
            b'<?xml version="1.0" encoding="iso-8859-1"?><html><body><a href="/x">\xc3\xbc</a></body></html>',
            {"Content-Type": "text/html; charset=utf-8"},
            "ü",
        ),
    ],
)
def test_encodings_never_crash(extractor: PageExtractor, body: bytes, headers: dict, anchor: str) -> None:
    response = HtmlResponse(PAGE, body=body, headers=headers)
    links = extractor.extract(response.text, PAGE).links
    assert column(links, "target_url", "anchor_text") == [("http://example.com/x", anchor)]


@pytest.mark.parametrize("text", ["", "   ", "<!-- only a comment -->", "plain text, no tags"])
def test_degenerate_documents(extractor: PageExtractor, text: str) -> None:
    extraction = extractor.extract(text, PAGE)
    assert extraction.links == []
    assert extraction.facts["title"] is None


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("0; url=/next", (0.0, "/next")),
        ("5;URL='/quoted'", (5.0, "/quoted")),
        ('3, url="http://example.com/x" ', (3.0, "http://example.com/x")),
        ("0;/bare", (0.0, "/bare")),
        ("30", (30.0, None)),
        ("  1.5 ; URL = /spaced", (1.5, "/spaced")),
        ("soon", None),
    ],
)
def test_meta_refresh_content(content: str, expected) -> None:
    root = etree.fromstring(
        f'<html><head><meta http-equiv="REFRESH" content="{html_escape(content)}"></head></html>',
        etree.HTMLParser(),
    )
    assert meta_refresh(root) == expected


def test_meta_refresh_and_rel_next_prev_facts(extractor: PageExtractor) -> None:
    page = (
        '<html><head><base href="/base/"><meta http-equiv="refresh" content="2; url=target?utm_source=x">'
        '<link rel="next" href="p2"><link rel="prev" href="/p0"></head><body></body></html>'
    )
    facts = extractor.extract(page, PAGE).facts
    assert {k: facts[k] for k in ("meta_refresh", "meta_refresh_delay", "rel_next", "rel_prev")} == {
        "meta_refresh": "http://example.com/base/target",
        "meta_refresh_delay": 2.0,
        "rel_next": "http://example.com/base/p2",
        "rel_prev": "http://example.com/p0",
    }


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (
            "<header><a href='/'>Logo</a></header><nav>Menu</nav><main><h1>Title</h1><p>Body <b>bold</b>.</p>"
            "<aside>Related</aside><div class='share-menu'>Share</div></main><footer>(c)</footer>",
            "Title Body bold.",
        ),
        (
            "<div id='header'>Site</div><article><header><h1>Post</h1></header><p>Words here</p>"
            "<footer>Tags</footer></article><div class='sidebar'>Ads</div>",
            "Post Words here",
        ),
        (
            "<div class='navbar'>Home</div><p>Plain page</p><script>var x</script>"
            "<div role='contentinfo'>c</div>",
            "Plain page",
        ),
    ],
)
def test_main_text_drops_boilerplate(extractor: PageExtractor, body: str, text: str) -> None:
    assert extractor.extract(f"<html><body>{body}</body></html>", PAGE).main_text == text


def test_minified_html_keeps_words_apart(extractor: PageExtractor) -> None:
    page = (
        "<html><body><nav><ul><li><a href='/a'>Home</a></li><li><a href='/b'>About</a></li></ul></nav>"
        "<main><h1>Title</h1><p>One <b>two</b>.</p>Tail<div>x<br>y</div></main></body></html>"
    )
    extraction = extractor.extract(page, PAGE)
    words = "Home About Title One two. Tail x y"
    assert (extraction.facts["word_count"], extraction.facts["content_hash"]) == (
        8,
        hashlib.sha1(words.encode()).hexdigest(),
    )
    assert extraction.main_text == "Title One two. Tail x y"

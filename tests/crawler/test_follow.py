"""Google's follow semantics (follow.py) through the extractor, on HTML fixtures in tests/crawler/data/.

Every case of the Definitions: rel nofollow / sponsored / ugc, meta robots and meta googlebot
(``nofollow`` and ``none``), X-Robots-Tag unscoped, scoped to googlebot and scoped to other bots
(which must not count), and the per-site switch for sponsored / ugc.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from linkcrawler.extract import PageExtractor
from linkcrawler.follow import REASONS, header_says_nofollow, is_unfollowed, meta_says_nofollow
from linkcrawler.scope import Scope
from linkwarehouse.urls import UrlNormalizer

from .conftest import DATA, Route, html, lake_rows, run_crawl, write_config

PAGE = "http://example.com/page"


def extractor(sponsored_ugc_as_nofollow: bool = True) -> PageExtractor:
    return PageExtractor(UrlNormalizer(), Scope(["example.com"]), sponsored_ugc_as_nofollow)


def rows(name: str, x_robots_tag: tuple[str, ...] = (), sponsored_ugc_as_nofollow: bool = True):
    html = (DATA / name).read_text(encoding="utf-8")
    return extractor(sponsored_ugc_as_nofollow).extract(html, PAGE, x_robots_tag)


def reasons_by_href(name: str, *x_robots_tag: str, sponsored_ugc_as_nofollow: bool = True) -> dict:
    links = rows(name, x_robots_tag, sponsored_ugc_as_nofollow).links
    return {link["raw_href"]: (link["nofollow_reason"], link["nofollow"]) for link in links}


def test_rel_hints_with_the_default_switch() -> None:
    assert reasons_by_href("follow_rel.html") == {
        "/plain": ([], False),
        "/noopener": ([], False),
        "/nofollow": (["rel_nofollow"], True),
        "/sponsored": (["rel_sponsored"], True),
        "/ugc": (["rel_ugc"], True),
        "/ugc-nofollow": (["rel_nofollow", "rel_ugc"], True),
        "/all-three": (["rel_nofollow", "rel_sponsored", "rel_ugc"], True),
        "/sponsored-noopener": (["rel_sponsored"], True),
        "/nofollowed": ([], False),
        "/area-ugc": (["rel_ugc"], True),
    }


def test_rel_hints_with_sponsored_and_ugc_counted_as_followed() -> None:
    """The switch changes `nofollow`, never the reasons kept."""
    assert reasons_by_href("follow_rel.html", sponsored_ugc_as_nofollow=False) == {
        "/plain": ([], False),
        "/noopener": ([], False),
        "/nofollow": (["rel_nofollow"], True),
        "/sponsored": (["rel_sponsored"], False),
        "/ugc": (["rel_ugc"], False),
        "/ugc-nofollow": (["rel_nofollow", "rel_ugc"], True),
        "/all-three": (["rel_nofollow", "rel_sponsored", "rel_ugc"], True),
        "/sponsored-noopener": (["rel_sponsored"], False),
        "/nofollowed": ([], False),
        "/area-ugc": (["rel_ugc"], False),
    }


def _page_level(reason: str | None) -> dict:
    """The three links of the page-level fixtures when the page gives ``reason`` (or none)."""
    extra = [reason] if reason else []
    return {
        "/": (extra, bool(extra)),
        "/plain": (extra, bool(extra)),
        "/sponsored": (["rel_sponsored", *extra], True),
        "https://other.org/x": (extra, bool(extra)),
    }


@pytest.mark.parametrize(
    ("fixture", "meta_robots", "meta_googlebot", "reason"),
    [
        ("follow_meta_robots.html", "noindex, nofollow", None, "meta_robots"),
        ("follow_meta_none.html", "none", None, "meta_robots"),
        ("follow_meta_googlebot.html", "index, follow", "nofollow", "meta_robots"),
        ("follow_meta_spaced.html", "noindex nofollow", None, "meta_robots"),
        # bingbot / googlebot-news / our own bot's name, and "none" as a max-image-preview value.
        ("follow_meta_other_bots.html", "max-image-preview: none, follow", None, None),
        ("follow_plain.html", None, None, None),
    ],
)
def test_meta_robots_and_googlebot_apply_to_every_link_of_the_page(
    fixture: str, meta_robots: str | None, meta_googlebot: str | None, reason: str | None
) -> None:
    extraction = rows(fixture)
    assert (extraction.facts["meta_robots"], extraction.facts["meta_googlebot"]) == (
        meta_robots,
        meta_googlebot,
    )
    assert extraction.page_nofollow == ([reason] if reason else [])
    assert reasons_by_href(fixture) == _page_level(reason)


@pytest.mark.parametrize(
    ("lines", "applies"),
    [
        (["nofollow"], True),
        (["NoIndex, NoFollow"], True),
        (["none"], True),
        (["googlebot: nofollow"], True),
        (["GoogleBot:nofollow"], True),
        (["noarchive, googlebot: nofollow"], True),
        (["googlebot: noindex nofollow"], True),
        (["otherbot: nofollow"], False),
        (["googlebot-news: nofollow"], False),
        (["linkwarehousebot: nofollow"], False),  # our own user agent: not Google's view
        (["otherbot: noindex, nofollow"], False),  # a prefix scopes the rest of its line
        (["googlebot: noindex, otherbot: nofollow"], False),
        (["otherbot: noindex", "nofollow"], True),  # ... but not the next header line
        (["otherbot: nofollow", "googlebot: nofollow"], True),
        (["max-snippet: 20, none"], True),
        (["max-image-preview: none"], False),
        (["unavailable_after: 25 Jun 2010 15:00:00 PST, nofollow"], True),
        (["unavailable_after: Friday, 25-Jun-10 15:00:00 PST, nofollow"], True),
        (["googlebot: max-snippet: 20"], False),
        (["noindex"], False),
        (["nofollowed, follow"], False),
        ([], False),
    ],
)
def test_x_robots_tag_unscoped_or_googlebot_scoped(lines: list[str], applies: bool) -> None:
    assert header_says_nofollow(lines) is applies
    extraction = rows("follow_plain.html", tuple(lines))
    assert extraction.page_nofollow == (["x_robots_tag"] if applies else [])
    assert reasons_by_href("follow_plain.html", *lines) == _page_level("x_robots_tag" if applies else None)


def test_meta_and_header_together_keep_both_reasons_in_order() -> None:
    links = reasons_by_href("follow_meta_googlebot.html", "googlebot: none")
    assert links["/sponsored"] == (["rel_sponsored", "meta_robots", "x_robots_tag"], True)
    assert links["/plain"] == (["meta_robots", "x_robots_tag"], True)


def test_page_level_nofollow_ignores_the_sponsored_ugc_switch() -> None:
    links = reasons_by_href("follow_meta_robots.html", sponsored_ugc_as_nofollow=False)
    assert links == _page_level("meta_robots")
    plain = reasons_by_href("follow_plain.html", sponsored_ugc_as_nofollow=False)
    assert plain["/sponsored"] == (["rel_sponsored"], False)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("nofollow", True),
        ("NOINDEX,NOFOLLOW", True),
        ("none", True),
        ("noindex, nofollow, max-snippet: -1", True),
        ("index follow", False),
        ("max-image-preview: none", False),
        ("nofollowed", False),
        ("", False),
    ],
)
def test_meta_content_rules(content: str, says: bool) -> None:
    assert meta_says_nofollow(content) is says


@pytest.mark.parametrize(
    ("reasons", "default", "switched_off"),
    [
        ([], False, False),
        (["rel_nofollow"], True, True),
        (["rel_sponsored"], True, False),
        (["rel_ugc"], True, False),
        (["rel_sponsored", "rel_ugc"], True, False),
        (["rel_sponsored", "meta_robots"], True, True),
        (["x_robots_tag"], True, True),
    ],
)
def test_switch_decides_only_sponsored_and_ugc(reasons: list[str], default: bool, switched_off: bool) -> None:
    assert is_unfollowed(reasons) is default
    assert is_unfollowed(reasons, sponsored_ugc_as_nofollow=False) is switched_off
    assert set(reasons) <= set(REASONS)


# A real crawl over HTTP: header lines arrive as separate X-Robots-Tag fields.
SITE = {
    "/": html(
        '<a href="/meta">meta</a> <a href="/scoped">scoped</a> <a href="/other">other</a> '
        '<a href="/ad" rel="sponsored">ad</a>'
    ),
    "/meta": html('<a href="/behind-meta">x</a>', '<meta name="googlebot" content="noindex, nofollow">'),
    "/scoped": Route(
        '<html><body><a href="/behind-header">x</a></body></html>',
        headers=(("X-Robots-Tag", "otherbot: noindex"), ("X-Robots-Tag", "nofollow")),
    ),
    "/other": Route(
        '<html><body><a href="/behind-other">x</a></body></html>',
        headers=(("X-Robots-Tag", "otherbot: noindex, nofollow"),),
    ),
    "/ad": html("<p>ad</p>"),
    "/behind-meta": html("<p>x</p>"),
    "/behind-header": html("<p>x</p>"),
    "/behind-other": html("<p>x</p>"),
}
SITE_CONFIG = """sites:
  - name: follow
    start_urls: ["{base}/"]
    crawl: {{concurrency: 1, allow_private_networks: ["127.0.0.1/32"], follow_nofollow: {follow}}}
    links: {{sponsored_ugc_as_nofollow: {switch}}}
"""


@pytest.mark.integration
@pytest.mark.parametrize(
    ("follow", "switch", "fetched"),
    [
        (
            "true",
            "true",
            ["/", "/ad", "/behind-header", "/behind-meta", "/behind-other", "/meta", "/other", "/scoped"],
        ),
        ("false", "true", ["/", "/behind-other", "/meta", "/other", "/scoped"]),
        ("false", "false", ["/", "/ad", "/behind-other", "/meta", "/other", "/scoped"]),
    ],
)
def test_crawl_records_reasons_and_discovers_per_follow_nofollow(
    serve, tmp_path: Path, follow: str, switch: str, fetched: list[str]
) -> None:
    site = serve(SITE)
    config = write_config(
        tmp_path / "sites.yaml", SITE_CONFIG.format(base=site.base, follow=follow, switch=switch)
    )
    lake = tmp_path / "lake"
    result = run_crawl(config, "follow", "c1", lake)
    assert result.returncode == 0, result.stderr[-3000:]
    b = site.base
    pages = {p["url"].removeprefix(b): p for p in lake_rows(lake, "crawl/pages", "url")}
    assert sorted(pages) == fetched
    assert (pages["/meta"]["meta_googlebot"], pages["/meta"]["meta_robots"]) == ("noindex, nofollow", None)
    assert pages["/scoped"]["x_robots_tag"] == "otherbot: noindex, nofollow"  # the joined lines
    links = [
        (
            link["source_url"].removeprefix(b),
            link["target_url"].removeprefix(b),
            link["nofollow_reason"],
            link["nofollow"],
        )
        for link in lake_rows(lake, "crawl/links", "source_url, ordinal")
    ]
    sponsored = switch == "true"
    assert links == [
        ("/", "/meta", [], False),
        ("/", "/scoped", [], False),
        ("/", "/other", [], False),
        ("/", "/ad", ["rel_sponsored"], sponsored),
        ("/meta", "/behind-meta", ["meta_robots"], True),
        ("/other", "/behind-other", [], False),
        ("/scoped", "/behind-header", ["x_robots_tag"], True),
    ]
    assert "  linkwarehouse/links/nofollow_reason/x_robots_tag: 1\n" in result.stdout
    assert "  linkwarehouse/pages/nofollow/meta_robots: 1\n" in result.stdout
    assert f"  linkwarehouse/links/nofollow: {2 + sponsored}\n" in result.stdout

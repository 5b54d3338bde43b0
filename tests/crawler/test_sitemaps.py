"""Sitemap parsing, including hostile bodies that must not expand or leak."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from linkcrawler.sitemaps import Sitemap, SitemapEntry, SitemapError, parse_sitemap

URL = "http://example.com/sitemap.xml"
NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def test_urlset_with_lastmod_and_whitespace() -> None:
    body = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset {NS}>
  <url><loc> http://example.com/a </loc><lastmod>2024-05-01</lastmod><priority>0.5</priority></url>
  <url><loc>http://example.com/b?x=1&amp;y=2</loc></url>
  <url><lastmod>2024-01-01</lastmod></url>
  <!-- <url><loc>http://example.com/commented-out</loc></url> -->
</urlset>""".encode()
    assert parse_sitemap(body, URL) == Sitemap(
        "urlset",
        [
            SitemapEntry("http://example.com/a", "2024-05-01"),
            SitemapEntry("http://example.com/b?x=1&y=2", None),
        ],
    )


def test_sitemap_index_and_gzip() -> None:
    body = f"""<sitemapindex {NS}>
<sitemap><loc>http://example.com/s1.xml.gz</loc><lastmod>2024-02-02T10:00:00+00:00</lastmod></sitemap>
<sitemap><loc>http://example.com/s2.xml</loc></sitemap>
</sitemapindex>""".encode()
    expected = Sitemap(
        "sitemapindex",
        [
            SitemapEntry("http://example.com/s1.xml.gz", "2024-02-02T10:00:00+00:00"),
            SitemapEntry("http://example.com/s2.xml", None),
        ],
    )
    assert parse_sitemap(body, URL) == expected
    assert parse_sitemap(gzip.compress(body), URL) == expected


def test_internal_entities_are_not_expanded() -> None:
    body = f"""<?xml version="1.0"?>
<!DOCTYPE urlset [<!ENTITY a "expanded"><!ENTITY b "&a;&a;">]>
<urlset {NS}><url><loc>http://example.com/&b;</loc></url></urlset>""".encode()
    assert parse_sitemap(body, URL).entries == [SitemapEntry("http://example.com/&b;", None)]


def test_billion_laughs_is_refused_without_expanding() -> None:
    entities = "\n".join(
        f' <!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' if i else ' <!ENTITY lol0 "lol">' for i in range(10)
    )
    body = f"""<?xml version="1.0"?>
<!DOCTYPE urlset [
{entities}
]>
<urlset {NS}><url><loc>http://example.com/&lol9;</loc></url></urlset>""".encode()
    # 10^9 "lol"s would be 3 GB; libxml2 rejects the declarations' amplification up front.
    with pytest.raises(
        SitemapError, match="not well-formed XML: Maximum entity amplification factor exceeded"
    ):
        parse_sitemap(body, URL)


def test_external_entity_is_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    body = f"""<?xml version="1.0"?>
<!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file://{secret}">]>
<urlset {NS}><url><loc>http://example.com/&xxe;</loc></url></urlset>""".encode()
    sitemap = parse_sitemap(body, URL)
    assert sitemap.entries == [SitemapEntry("http://example.com/&xxe;", None)]
    assert "TOP-SECRET" not in repr(sitemap)


def test_gzip_bomb_is_capped() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * 5_000_000 + b"</urlset>")
    assert len(bomb) < 10_000
    with pytest.raises(
        SitemapError, match=r"sitemap http://example.com/sitemap.xml: larger than 1000000 bytes once"
    ):
        parse_sitemap(bomb, URL, max_bytes=1_000_000)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<urlset><url><loc>x</loc></url>", "not well-formed XML"),
        (b"<html><body>not a sitemap</body></html>", "root element is <html>"),
        (b"\x1f\x8bnot really gzip", "broken gzip data"),
        (b"x" * 101, "larger than 100 bytes"),
    ],
)
def test_unusable_bodies_raise_naming_the_sitemap(body: bytes, message: str) -> None:
    with pytest.raises(SitemapError, match=f"^sitemap {URL}: {message}"):
        parse_sitemap(body, URL, max_bytes=100)

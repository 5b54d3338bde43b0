"""XML sitemaps (urlset, sitemap index, gzipped or not), parsed without trusting the server.

Sitemaps come from the crawled site, so the parser never expands entities, never loads a DTD
and never touches the network (billion laughs, XXE), and every body is size-capped before and
after gzip decompression (a small gzip can inflate to gigabytes).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from lxml import etree

#: The sitemap protocol's own limit for one (uncompressed) file.
SITEMAP_MAX_BYTES = 50 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


class SitemapError(ValueError):
    """A sitemap body cannot be used; the message names the sitemap URL."""


@dataclass(slots=True)
class SitemapEntry:
    loc: str
    lastmod: str | None


@dataclass(slots=True)
class Sitemap:
    """``kind`` is ``urlset`` (page URLs) or ``sitemapindex`` (child sitemap URLs)."""

    kind: str
    entries: list[SitemapEntry] = field(default_factory=list)


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
    )


def decompress(body: bytes, url: str, max_bytes: int = SITEMAP_MAX_BYTES) -> bytes:
    """Gunzip ``body`` if it is gzip data (``.xml.gz`` served as-is), never beyond ``max_bytes``."""
    if not body.startswith(_GZIP_MAGIC):
        return body
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise SitemapError(f"sitemap {url}: broken gzip data: {exc}") from None
    if len(data) > max_bytes or inflater.unconsumed_tail:
        raise SitemapError(f"sitemap {url}: larger than {max_bytes} bytes once decompressed")
    return data


def _text(element: etree._Element | None) -> str | None:
    # itertext() keeps an unexpanded entity reference as its literal "&name;" text
    return "".join(element.itertext()).strip() if element is not None else None


def parse_sitemap(body: bytes, url: str, max_bytes: int = SITEMAP_MAX_BYTES) -> Sitemap:
    """Parse a (possibly gzipped) ``urlset`` or ``sitemapindex`` document fetched from ``url``."""
    if len(body) > max_bytes:
        raise SitemapError(f"sitemap {url}: larger than {max_bytes} bytes")
    data = decompress(body, url, max_bytes)
    try:
        root = etree.fromstring(data, _safe_parser())
    except etree.XMLSyntaxError as exc:
        raise SitemapError(f"sitemap {url}: not well-formed XML: {exc}") from None
    if root is None:
        raise SitemapError(f"sitemap {url}: empty document")
    kind = etree.QName(root).localname
    if kind not in ("urlset", "sitemapindex"):
        raise SitemapError(f"sitemap {url}: root element is <{kind}>, not <urlset> or <sitemapindex>")
    child_name = "url" if kind == "urlset" else "sitemap"
    sitemap = Sitemap(kind)
    for child in root.iterchildren("{*}" + child_name):
        loc = _text(child.find("{*}loc"))
        if loc:
            sitemap.entries.append(SitemapEntry(loc, _text(child.find("{*}lastmod")) or None))
    return sitemap

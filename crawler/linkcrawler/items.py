"""What the spider hands to the lake pipeline: ready-made rows of the crawl lake tables.

Rows are plain dicts keyed by the lake column names (linkwarehouse.lake.schemas): the spider
builds each row once and the pipeline appends it as-is, so no per-row conversion sits on the hot
path. One item per fetched URL carries that page's link occurrences with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Row = dict[str, Any]


@dataclass(slots=True)
class PageItem:
    """One crawl/pages row plus the crawl/links, crawl/hreflang and crawl/page_text rows of that page."""

    page: Row
    links: list[Row] = field(default_factory=list)
    hreflang: list[Row] = field(default_factory=list)
    text: Row | None = None


@dataclass(slots=True)
class RedirectItem:
    """One crawl/redirects row (a single hop)."""

    row: Row


@dataclass(slots=True)
class SitemapItem:
    """The crawl/sitemap_urls rows of one sitemap file, and its crawl/sitemaps row."""

    rows: list[Row]
    file: Row | None = None

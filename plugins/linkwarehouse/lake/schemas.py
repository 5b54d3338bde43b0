"""The lake contract: every table's Arrow schema and partition keys (ARCHITECTURE.md).

Partition columns are not stored inside the files (hive layout); the warehouse reads them from
the directory names. Bump :data:`SCHEMA_VERSION` on any incompatible change; it is written to
every ``_SUCCESS`` manifest.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

SCHEMA_VERSION = 3
# 2: additive crawl columns (pages: charset, meta_refresh, meta_refresh_delay, canonical_header,
#    rel_next, rel_prev, trap_suspected, retries, redirect_issue; redirects: redirect_type;
#    runs: finish_reason, stop_reasons, stop_details, workers) and tables crawl/page_text,
#    crawl/sitemaps. Old partitions keep schema 1: read with union_by_name = true.
# 3: gsc_pages / gsc_page_queries: provisional (the day was not final in Search Console when
#    fetched; the manifest's `freshness` says the same for the whole partition);
#    links.nofollow_reason, pages.meta_googlebot (additive); links.nofollow now means "not
#    followed per Google" (any reason, sponsored/ugc per the site's switch), no longer only
#    rel=nofollow. Schema <= 2 partitions have no nofollow_reason: the warehouse derives it
#    from rel. The placeholders follow the contract (ensure_placeholders), so the columns
#    always resolve. Additive URL-variant columns (pages: variant_of, folded_into; runs:
#    volatile_params).

_TS = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class LakeTable:
    """A lake table: ``name`` is its folder under the lake root (``crawl/pages``)."""

    name: str
    schema: pa.Schema
    partition_by: tuple[str, ...]
    #: ``directory``: each partition is a folder published by rename (the default).
    #: ``file``: one file per ``file_key`` inside the last partition folder (``crawl/runs``).
    layout: str = "directory"
    file_key: str | None = None


CRAWL_PAGES = LakeTable(
    "crawl/pages",
    pa.schema(
        [
            ("url", pa.string()),
            ("final_url", pa.string()),
            ("status", pa.int32()),
            ("error", pa.string()),
            ("content_type", pa.string()),
            ("redirect_location", pa.string()),
            ("title", pa.string()),
            ("h1", pa.string()),
            ("meta_robots", pa.string()),
            ("x_robots_tag", pa.string()),
            ("canonical", pa.string()),
            ("lang", pa.string()),
            ("word_count", pa.int32()),
            ("content_hash", pa.string()),
            ("response_ms", pa.float64()),
            ("bytes", pa.int64()),
            ("fetched_at", _TS),
            ("depth_seen", pa.int32()),
            ("found_via", pa.string()),
            # schema 2
            ("charset", pa.string()),
            ("meta_refresh", pa.string()),
            ("meta_refresh_delay", pa.float64()),
            ("canonical_header", pa.string()),
            ("rel_next", pa.string()),
            ("rel_prev", pa.string()),
            ("trap_suspected", pa.string()),
            ("retries", pa.int32()),
            ("redirect_issue", pa.string()),
            # schema 3: content of <meta name="googlebot"> (as meta_robots is of name="robots")
            ("meta_googlebot", pa.string()),
            # schema 3: the canonical this page is a parameter variant of (recorded, not expanded:
            # no links/hreflang/page_text rows), and the directory URL an index file was folded into
            ("variant_of", pa.string()),
            ("folded_into", pa.string()),
        ]
    ),
    ("site", "crawl_id"),
)

CRAWL_LINKS = LakeTable(
    "crawl/links",
    pa.schema(
        [
            ("source_url", pa.string()),
            ("target_url", pa.string()),
            ("raw_href", pa.string()),
            ("href_kind", pa.string()),
            ("anchor_text", pa.string()),
            ("kind", pa.string()),
            ("img_alt", pa.string()),
            ("rel", pa.list_(pa.string())),
            # Not followed per Google (crawler follow.py): any reason below, sponsored/ugc only
            # when the site's links.sponsored_ugc_as_nofollow is on (schema <= 2: rel=nofollow).
            ("nofollow", pa.bool_()),
            ("position", pa.string()),
            ("ordinal", pa.int32()),
            ("is_internal", pa.bool_()),
            # schema 3: every reason, ordered rel_nofollow, rel_sponsored, rel_ugc, meta_robots,
            # x_robots_tag; [] for a followed link.
            ("nofollow_reason", pa.list_(pa.string())),
        ]
    ),
    ("site", "crawl_id"),
)

CRAWL_REDIRECTS = LakeTable(
    "crawl/redirects",
    pa.schema(
        [
            ("url", pa.string()),
            ("hop", pa.int32()),
            ("status", pa.int32()),
            ("location", pa.string()),
            ("raw_location", pa.string()),
            # schema 2: 'http' (3xx Location) or 'meta_refresh' (status is then the page's 2xx)
            ("redirect_type", pa.string()),
        ]
    ),
    ("site", "crawl_id"),
)

CRAWL_SITEMAP_URLS = LakeTable(
    "crawl/sitemap_urls",
    pa.schema(
        [("url", pa.string()), ("raw_url", pa.string()), ("lastmod", pa.string()), ("sitemap", pa.string())]
    ),
    ("site", "crawl_id"),
)

CRAWL_SITEMAPS = LakeTable(
    "crawl/sitemaps",
    pa.schema(
        [
            ("sitemap", pa.string()),
            ("source", pa.string()),
            ("parent", pa.string()),
            ("status", pa.int32()),
            ("error", pa.string()),
            ("kind", pa.string()),
            ("entries", pa.int64()),
            ("bytes", pa.int64()),
            ("lastmod", pa.string()),
        ]
    ),
    ("site", "crawl_id"),
)

CRAWL_PAGE_TEXT = LakeTable(
    "crawl/page_text",
    pa.schema([("url", pa.string()), ("main_text", pa.string()), ("word_count", pa.int32())]),
    ("site", "crawl_id"),
)

CRAWL_HREFLANG = LakeTable(
    "crawl/hreflang",
    pa.schema([("url", pa.string()), ("hreflang", pa.string()), ("alternate_url", pa.string())]),
    ("site", "crawl_id"),
)

CRAWL_RUNS = LakeTable(
    "crawl/runs",
    pa.schema(
        [
            ("crawl_id", pa.string()),
            ("started_at", _TS),
            ("finished_at", _TS),
            ("pages", pa.int64()),
            ("links", pa.int64()),
            ("errors", pa.int64()),
            ("stop_reason", pa.string()),
            ("config_hash", pa.string()),
            ("start_urls", pa.list_(pa.string())),
            ("user_agent", pa.string()),
            # schema 2
            ("finish_reason", pa.string()),
            ("stop_reasons", pa.list_(pa.string())),
            ("stop_details", pa.string()),
            ("workers", pa.int32()),
            # schema 3: query keys whose value is different on every page (session-id suspects)
            ("volatile_params", pa.list_(pa.string())),
        ]
    ),
    ("site",),
    layout="file",
    file_key="crawl_id",
)

ALERTS_SENT = LakeTable(
    "alerts/sent",
    pa.schema(
        [
            ("alert_id", pa.string()),
            ("kind", pa.string()),
            ("crawl_id", pa.string()),
            ("urls", pa.list_(pa.string())),
            ("route", pa.string()),
            ("sent_at", _TS),
        ]
    ),
    ("site",),
    layout="file",
    file_key="alert_id",
)

GA4_PAGES = LakeTable(
    "ga4_pages",
    pa.schema(
        [
            # One row per GA4 (hostName, pagePath) of the day; landing_* come from the same
            # path as landingPage. page_url is null for "(other)" / "(not set)" rows.
            ("page_url", pa.string()),
            ("host_name", pa.string()),
            ("page_path", pa.string()),
            ("views", pa.int64()),
            ("sessions", pa.int64()),
            ("engaged_sessions", pa.int64()),
            ("key_events", pa.float64()),
            ("total_users", pa.int64()),
            ("landing_sessions", pa.int64()),
            ("landing_engaged_sessions", pa.int64()),
            ("landing_key_events", pa.float64()),
            ("is_other", pa.bool_()),
            ("sampled", pa.bool_()),
            ("thresholded", pa.bool_()),
            ("data_loss_from_other_row", pa.bool_()),
            ("property_id", pa.string()),
            ("fetched_at", _TS),
        ]
    ),
    ("site", "date"),
)

_GSC_METRICS = [
    ("clicks", pa.int64()),
    ("impressions", pa.int64()),
    ("ctr", pa.float64()),
    ("position", pa.float64()),
    ("data_state", pa.string()),
    ("search_type", pa.string()),
    ("site_url", pa.string()),
    ("fetched_at", _TS),
    # schema 3: the day was not final in Search Console when fetched (manifest: freshness)
    ("provisional", pa.bool_()),
]

GSC_PAGES = LakeTable(
    "gsc_pages",
    pa.schema([("page_url", pa.string()), ("page", pa.string()), *_GSC_METRICS]),
    ("site", "date"),
)

GSC_PAGE_QUERIES = LakeTable(
    "gsc_page_queries",
    pa.schema([("page_url", pa.string()), ("page", pa.string()), ("query", pa.string()), *_GSC_METRICS]),
    ("site", "date"),
)

TABLES: dict[str, LakeTable] = {
    table.name: table
    for table in (
        CRAWL_PAGES,
        CRAWL_LINKS,
        CRAWL_REDIRECTS,
        CRAWL_SITEMAP_URLS,
        CRAWL_HREFLANG,
        CRAWL_SITEMAPS,
        CRAWL_PAGE_TEXT,
        CRAWL_RUNS,
        ALERTS_SENT,
        GA4_PAGES,
        GSC_PAGES,
        GSC_PAGE_QUERIES,
    )
}

CRAWL_TABLES = (
    CRAWL_PAGES,
    CRAWL_LINKS,
    CRAWL_REDIRECTS,
    CRAWL_SITEMAP_URLS,
    CRAWL_HREFLANG,
    CRAWL_SITEMAPS,
    CRAWL_PAGE_TEXT,
)

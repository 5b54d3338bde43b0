"""A hand-built lake: two crawls of a 14-URL site, one crawl of a 2-URL site, one unfinished crawl.

Site ``demo`` (https://example.com), crawl ``jan`` then ``feb`` (ids deliberately sort the
other way round: order comes from started_at). Planted: a redirect (/old -> /b), a redirect
loop (/loop1 <-> /loop2), a nofollow-only page (/nf) and a page reached only from it (/deep),
a sitemap-only orphan (/orphan), a 404, a canonicalised duplicate (/dup), a noindex page,
a robots-blocked URL (/private), a PDF, a self-link, an external link and a mailto link.
In ``feb`` /b loses all its inlinks, /nf is linked normally, /deep and /old disappear and
/fresh appears in the sitemap only. Crawl ``mar`` has pages but no crawl/runs row (unfinished).
Site ``shop`` has one crawl: / -> /p.

GA4 and Search Console data of ``demo`` fall into feb's window (2024-01-04 .. 2024-01-31) and
around it: raw rows that normalise to the same URL, an ``(other)`` row, days just outside the
window, and a URL only Search Console knows (/gsc-only). jan's window has no Google data.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from linkwarehouse.lake import PartitionWriter, write_file_partition

DEMO = "https://example.com"
SHOP = "https://shop.example"
HTML = "text/html; charset=utf-8"


def url(path: str, base: str = DEMO) -> str:
    return base + path


def _page(path: str, status: int | None = 200, content_type: str | None = HTML, **extra: Any) -> dict:
    row = {
        "url": url(path),
        "final_url": url(path),
        "status": status,
        "content_type": content_type,
        "title": None if status != 200 else f"Title {path}",
        "fetched_at": datetime(2024, 1, 1, tzinfo=UTC),
        "response_ms": 5.0,
        "bytes": 1000,
    }
    row.update(extra)
    return row


def _redirect(path: str, location: str, status: int = 301, final: str | None = None) -> dict:
    """A 3xx row; final_url is the end of its chain as the crawler resolves it (None in a loop)."""
    return _page(
        path, status=status, redirect_location=url(location), final_url=url(final) if final else None
    )


def _links(source: str, specs: list[tuple[str, str, bool]]) -> list[dict]:
    """Link rows of one page from ``(target, position, nofollow)``; targets may be absolute or special."""
    rows = []
    for ordinal, (target, position, nofollow) in enumerate(specs, start=1):
        row: dict[str, Any] = {
            "source_url": url(source),
            "raw_href": target,
            "anchor_text": f"to {target}",
            "kind": "a",
            "rel": ["nofollow"] if nofollow else [],
            "nofollow": nofollow,
            "position": position,
            "ordinal": ordinal,
        }
        if target.startswith("mailto:"):
            row.update(href_kind="mailto", target_url=None, is_internal=None)
        elif target.startswith("http"):
            row.update(href_kind="http", target_url=target, is_internal=False)
        else:
            row.update(href_kind="http", target_url=url(target.split("#")[0]), is_internal=True)
        rows.append(row)
    return rows


EXTERNAL = "https://external.example/"
MAILTO = "mailto:hello@example.com"

JAN_PAGES = [
    _page("/"),
    _page("/a"),
    _page("/b"),
    _redirect("/old", "/b", final="/b"),
    _redirect("/loop1", "/loop2"),
    _redirect("/loop2", "/loop1", status=302),
    _page("/missing", status=404),
    _page("/dup", canonical=url("/a")),
    _page("/noindex", meta_robots="noindex, follow"),
    _page("/orphan"),
    _page("/nf"),
    _page("/deep"),
    _page("/private", status=None, content_type=None, error="robots_disallowed"),
    _page("/file.pdf", content_type="application/pdf"),
]

JAN_LINKS = [
    *_links(
        "/",
        [
            ("/a", "nav", False),
            ("/b", "content", False),
            ("/a", "content", False),
            ("/old", "content", False),
            ("/nf", "content", True),
            ("/", "header", False),
            (EXTERNAL, "footer", False),
            (MAILTO, "footer", False),
            ("/loop1", "content", False),
            ("/private", "content", False),
        ],
    ),
    *_links(
        "/a",
        [
            ("/", "nav", False),
            ("/b", "content", False),
            ("/missing", "content", False),
            ("/dup", "content", False),
            ("/noindex", "aside", False),
        ],
    ),
    *_links("/b", [("/a", "content", False), ("/b#top", "content", False), ("/file.pdf", "content", False)]),
    *_links("/dup", [("/a", "content", False)]),
    *_links("/noindex", [("/b", "footer", False)]),
    *_links("/orphan", [("/", "content", False)]),
    *_links("/nf", [("/deep", "content", False)]),
]

FEB_PAGES = [
    _page("/"),
    _page("/a"),
    _page("/b"),
    _redirect("/loop1", "/loop2"),
    _redirect("/loop2", "/loop1", status=302),
    _page("/missing", status=404),
    _page("/dup", canonical=url("/a")),
    _page("/noindex", x_robots_tag="googlebot: noindex"),
    _page("/orphan"),
    _page("/nf"),
    _page("/private", status=None, content_type=None, error="robots_disallowed"),
    _page("/file.pdf", content_type="application/pdf"),
    _page("/fresh"),
]

FEB_LINKS = [
    *_links(
        "/",
        [
            ("/a", "nav", False),
            ("/a", "content", False),
            ("/nf", "content", False),
            ("/", "header", False),
            (EXTERNAL, "footer", False),
            (MAILTO, "footer", False),
            ("/loop1", "content", False),
            ("/private", "content", False),
        ],
    ),
    *_links(
        "/a",
        [
            ("/", "nav", False),
            ("/missing", "content", False),
            ("/dup", "content", False),
            ("/noindex", "aside", False),
        ],
    ),
    *_links("/b", [("/a", "content", False), ("/b", "content", False), ("/file.pdf", "content", False)]),
    *_links("/dup", [("/a", "content", False)]),
    *_links("/orphan", [("/", "content", False)]),
]


def _redirect_rows(pages: list[dict]) -> list[dict]:
    return [
        {"url": p["url"], "hop": 1, "status": p["status"], "location": p["redirect_location"]}
        for p in pages
        if p.get("redirect_location")
    ]


def _sitemap_rows(paths: list[str], base: str = DEMO) -> list[dict]:
    return [
        {"url": url(path, base), "raw_url": url(path, base), "sitemap": base + "/sitemap.xml"}
        for path in paths
    ]


def _with_base(rows: list[dict], base: str) -> list[dict]:
    return [
        {key: (value.replace(DEMO, base) if isinstance(value, str) else value) for key, value in row.items()}
        for row in rows
    ]


CRAWLS: dict[tuple[str, str], dict[str, Any]] = {
    ("demo", "jan"): {
        "pages": JAN_PAGES,
        "links": JAN_LINKS,
        "sitemap": _sitemap_rows(["/", "/a", "/orphan", "/old", "/missing"]),
        "started_at": datetime(2024, 1, 1, tzinfo=UTC),
        "start_urls": [url("/")],
    },
    ("demo", "feb"): {
        "pages": FEB_PAGES,
        "links": FEB_LINKS,
        "sitemap": _sitemap_rows(["/", "/a", "/orphan", "/b", "/fresh", "/missing"]),
        "started_at": datetime(2024, 2, 1, tzinfo=UTC),
        "start_urls": [url("/")],
    },
    ("shop", "s1"): {
        "pages": _with_base([_page("/"), _page("/p")], SHOP),
        "links": _with_base(_links("/", [("/p", "content", False)]), SHOP),
        "sitemap": [],
        "started_at": datetime(2024, 1, 15, tzinfo=UTC),
        "start_urls": [url("/", SHOP)],
    },
    # Unfinished: partitions written, no crawl/runs row, so the warehouse must ignore it.
    ("demo", "mar"): {
        "pages": [_page("/"), _page("/new")],
        "links": _links("/", [("/new", "content", False)]),
        "sitemap": [],
        "started_at": None,
        "start_urls": [url("/")],
    },
}


def _ga4(path: str | None, sessions: int, views: int, key_events: float = 0, raw: str | None = None) -> dict:
    return {
        "page_url": None if path is None else url(path),
        "host_name": "(other)" if path is None else "example.com",
        "page_path": "(other)" if path is None else raw or path,
        "views": views,
        "sessions": sessions,
        "engaged_sessions": sessions,
        "key_events": key_events,
        "total_users": sessions,
        "is_other": path is None,
        "property_id": "1",
    }


def _gsc(path: str, clicks: int, impressions: int, position: float, raw: str | None = None) -> dict:
    return {
        "page_url": url(path),
        "page": url(raw or path),
        "clicks": clicks,
        "impressions": impressions,
        "ctr": clicks / impressions,
        "position": position,
        "data_state": "final",
        "search_type": "web",
        "site_url": "sc-domain:example.com",
    }


# day -> rows. 2024-01-03 and 2024-02-01 (the day feb started) lie just outside feb's window.
GA4_DAYS: dict[str, list[dict]] = {
    "2024-01-03": [_ga4("/", 999, 999)],
    "2024-01-10": [
        _ga4("/", 50, 80),
        _ga4("/fresh", 3, 5, 1.0),
        _ga4("/fresh", 2, 2, 0.5, raw="/fresh?utm_source=x"),
        _ga4(None, 100, 100),
    ],
    "2024-01-31": [_ga4("/", 10, 12)],
    "2024-02-01": [_ga4("/", 1000, 1000)],
}
GSC_DAYS: dict[str, list[dict]] = {
    "2024-01-03": [_gsc("/", 99, 999, 1.0)],
    "2024-01-10": [_gsc("/b", 1, 100, 12.0), _gsc("/", 10, 50, 2.0)],
    "2024-01-20": [
        _gsc("/b", 3, 300, 16.0),
        _gsc("/b", 0, 100, 20.0, raw="/b?x=1"),
        _gsc("/gsc-only", 0, 7, 30.0),
    ],
}


def write_google(lake: Path, site: str = "demo") -> None:
    for table, days in (("ga4_pages", GA4_DAYS), ("gsc_pages", GSC_DAYS)):
        for day, rows in days.items():
            with PartitionWriter(lake, table, {"site": site, "date": day}) as writer:
                writer.extend(rows)
                writer.publish()


def write_crawl(lake: Path, site: str, crawl_id: str, crawl: dict[str, Any]) -> None:
    """Publish one crawl the way the crawler does: every table partition, then the runs row last."""
    partition = {"site": site, "crawl_id": crawl_id}
    tables = {
        "crawl/pages": crawl["pages"],
        "crawl/links": crawl["links"],
        "crawl/redirects": _redirect_rows(crawl["pages"]),
        "crawl/sitemap_urls": crawl["sitemap"],
    }
    for table, rows in tables.items():
        with PartitionWriter(lake, table, partition) as writer:
            writer.extend(rows)
            writer.publish()
    if crawl["started_at"] is None:
        return
    write_file_partition(
        lake,
        "crawl/runs",
        {"site": site},
        [
            {
                "crawl_id": crawl_id,
                "started_at": crawl["started_at"],
                "finished_at": crawl["started_at"],
                "pages": len(crawl["pages"]),
                "links": len(crawl["links"]),
                "errors": 0,
                "stop_reason": "finished",
                "config_hash": "test",
                "start_urls": crawl["start_urls"],
                "user_agent": "test",
            }
        ],
    )


def write_lake(lake: Path, crawls: dict[tuple[str, str], dict[str, Any]] = CRAWLS) -> Path:
    for (site, crawl_id), crawl in crawls.items():
        write_crawl(lake, site, crawl_id, crawl)
    write_google(lake)
    return lake

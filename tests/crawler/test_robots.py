"""robots.txt as RFC 9309 reads it: 2xx rules (BOM, size cap), 4xx allow all, 5xx/429/network disallow all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linkcrawler.robots import ROBOTS_MAX_BYTES, parse_robots_body, rules_from_status

from .conftest import Route, SiteServer, html, lake_rows, redirect, run_crawl, write_config

UA = "LinkWarehouseBot/0.1"
ORIGIN = "http://example.com"


def test_bom_and_sitemaps() -> None:
    parser, sitemaps = parse_robots_body(
        b"\xef\xbb\xbfUser-agent: *\nDisallow: /private/\nSitemap: http://example.com/s.xml\n"
    )
    assert not parser.can_fetch(f"{ORIGIN}/private/x", UA)
    assert parser.can_fetch(f"{ORIGIN}/public", UA)
    assert sitemaps == ["http://example.com/s.xml"]
    _, sitemaps = parse_robots_body(b"sitemap:http://example.com/news.xml\n\xff\xfe garbage\n")
    assert sitemaps == ["http://example.com/news.xml"]


def test_rules_beyond_500_kib_are_ignored() -> None:
    body = b"User-agent: *\nDisallow: /early/\n" + b"#" * ROBOTS_MAX_BYTES + b"\nDisallow: /late/\n"
    parser, _ = parse_robots_body(body)
    assert not parser.can_fetch(f"{ORIGIN}/early/x", UA)
    assert parser.can_fetch(f"{ORIGIN}/late/x", UA)


@pytest.mark.parametrize(
    ("status", "allows", "unavailable"),
    [
        (200, True, None),
        (404, True, None),
        (403, True, None),
        (410, True, None),
        (429, False, "robots_unavailable: HTTP 429"),
        (500, False, "robots_unavailable: HTTP 500"),
        (503, False, "robots_unavailable: HTTP 503"),
    ],
)
def test_status_semantics(status: int, allows: bool, unavailable: str | None) -> None:
    rules = rules_from_status(ORIGIN, status, b"User-agent: *\nDisallow: /x\n" if status == 200 else b"")
    assert rules.allows(f"{ORIGIN}/page", UA) is allows
    assert rules.unavailable == unavailable


CONFIG = """sites:
  - name: robots
    start_urls: ["{base}/"]
    crawl:
      timeout: 1
      retry_backoff: 0.05
      allow_private_networks: ["127.0.0.1/32"]
"""


def crawl_pages(site: SiteServer, tmp_path: Path) -> tuple[Path, list[tuple]]:
    """Crawl ``site``; the lake and its ``(url, status, error)`` page rows."""
    lake = tmp_path / "lake"
    config = write_config(tmp_path / "sites.yaml", CONFIG.format(base=site.base))
    result = run_crawl(config, "robots", "r", lake)
    assert result.returncode == 0, result.stderr[-3000:]
    return lake, [(p["url"], p["status"], p["error"]) for p in lake_rows(lake, "crawl/pages", "url")]


@pytest.mark.integration
def test_robots_5xx_crawls_nothing_on_that_origin_and_says_why(serve, tmp_path: Path) -> None:
    down = serve(
        {
            "/robots.txt": Route("oops", status=503, content_type="text/plain"),
            "/": html('<a href="/a">a</a>'),
        }
    )
    up = serve({"/robots.txt": Route("User-agent: *\n", content_type="text/plain"), "/": html("<p>up</p>")})
    lake = tmp_path / "lake"
    config = CONFIG.format(base=down.base).replace(f'"{down.base}/"', f'"{down.base}/", "{up.base}/"')
    result = run_crawl(write_config(tmp_path / "sites.yaml", config), "robots", "r", lake)
    assert result.returncode == 0, result.stderr[-3000:]
    pages = [(p["url"], p["status"], p["error"]) for p in lake_rows(lake, "crawl/pages", "url")]
    assert sorted(pages) == sorted(
        [(f"{down.base}/", None, "robots_unavailable: HTTP 503"), (f"{up.base}/", 200, None)]
    )
    assert down.requests == {"/robots.txt": 3}  # the 503 retried twice, then: disallow all
    (run,) = lake_rows(lake, "crawl/runs", "crawl_id")
    assert (run["stop_reason"], run["stop_reasons"]) == ("robots_unavailable", ["robots_unavailable"])
    details = json.loads(run["stop_details"])
    assert details["robots"] == {
        down.base: "robots_unavailable: HTTP 503 (disallow all)",
        up.base: "HTTP 200",
    }


@pytest.mark.integration
def test_robots_timeout_refuses_the_only_start_url(serve, tmp_path: Path) -> None:
    site = serve({"/robots.txt": Route("User-agent: *\n", content_type="text/plain", delay=2), "/": html("")})
    lake = tmp_path / "lake"
    config = write_config(tmp_path / "sites.yaml", CONFIG.format(base=site.base))
    result = run_crawl(config, "robots", "r", lake)
    assert result.returncode == 1
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["abort_reason"].startswith(
        f"site 'robots': every start URL was refused, nothing was crawled or published: {site.base}/ "
        "(robots_unavailable: timeout: "
    )
    assert summary["permanent"] is False  # a retry of the task may find robots.txt answering
    assert site.requests == {"/robots.txt": 1}
    assert [path for path in lake.rglob("*") if path.is_file()] == []


@pytest.mark.integration
def test_robots_redirect_is_followed(serve, tmp_path: Path) -> None:
    site = serve(
        {
            "/robots.txt": redirect(301, "/robots-moved.txt"),
            "/robots-moved.txt": Route("User-agent: *\nDisallow: /a\n", content_type="text/plain"),
            "/": html('<a href="/a">a</a> <a href="/b">b</a>'),
            "/b": html("<p>b</p>"),
        }
    )
    _lake, pages = crawl_pages(site, tmp_path)
    assert pages == [
        (f"{site.base}/", 200, None),
        (f"{site.base}/a", None, "robots_disallowed"),
        (f"{site.base}/b", 200, None),
    ]


@pytest.mark.integration
def test_robots_longer_than_the_page_limit_is_read_to_500_kib(serve, tmp_path: Path) -> None:
    """RFC 9309 2.5: the first 500 KiB count; a long file must not make the site uncrawlable."""
    padding = "# padding\n" * (ROBOTS_MAX_BYTES // 10)
    body = "User-agent: *\nDisallow: /a\n" + padding + "Disallow: /b\n"
    site = serve(
        {
            "/robots.txt": Route(body, content_type="text/plain"),
            "/": html('<a href="/a">a</a> <a href="/b">b</a>'),
            "/b": html("<p>b</p>"),
        }
    )
    lake = tmp_path / "lake"
    config = CONFIG.format(base=site.base) + "      max_page_bytes: 100000\n"
    result = run_crawl(write_config(tmp_path / "sites.yaml", config), "robots", "r", lake)
    assert result.returncode == 0, result.stderr[-3000:]
    pages = [(p["url"], p["status"], p["error"]) for p in lake_rows(lake, "crawl/pages", "url")]
    assert len(body) > 2 * 100_000
    assert pages == [
        (f"{site.base}/", 200, None),
        (f"{site.base}/a", None, "robots_disallowed"),
        (f"{site.base}/b", 200, None),
    ]

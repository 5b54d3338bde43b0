"""The real ``python -m linkcrawler`` against a small local site, asserting the exact lake rows.

The site has nav/header/footer/content links, a redirect chain, a redirect loop, a redirect to a
refused private address, a 404 with links (never followed), a 503, a non-HTML page, a robots.txt
disallow, a nofollow link and a sitemap index whose child lists an orphan. Concurrency is 1 so
discovery depth and found_via are deterministic.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from .conftest import Route, SiteServer, crawl_command, html, lake_rows, redirect, run_crawl, write_config

pytestmark = pytest.mark.integration

HOME = """
<header><a href="/">Logo</a></header>
<nav><a href="/about">About</a> <a href="/blog/">Blog</a></nav>
<main>
<p>Read <a href="/about#team">about the team</a> and <a href="/about?utm_source=home">about again</a>.</p>
<a href="/old">old page</a> <a href="/loop-a">loop</a> <a href="/missing">broken</a>
<a href="/private/secret">secret</a> <a href="/to-private">private hop</a> <a href="/flaky">flaky</a>
<a href="/data.json">data</a> <a href="/nofollowed" rel="nofollow">nofollow</a>
<a href="https://external.example/">external</a> <a href="mailto:hi@example.com">mail</a>
<a href="/gallery"><img src="/g.png" alt="Gallery"></a>
</main>
<footer><a href="/contact">Contact</a></footer>
"""

ROUTES = {
    "/robots.txt": Route(
        "User-agent: *\nDisallow: /private/\nSitemap: {BASE}/sitemap_index.xml\n", content_type="text/plain"
    ),
    "/sitemap_index.xml": Route(
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<sitemap><loc>{BASE}/sitemap-pages.xml</loc></sitemap>"
        "<sitemap><loc>{BASE}/sitemap-pages.xml</loc></sitemap>"
        "<sitemap><loc>https://elsewhere.example/sitemap.xml</loc></sitemap>"
        "</sitemapindex>",
        content_type="application/xml",
    ),
    "/sitemap-pages.xml": Route(
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc>{BASE}/</loc><lastmod>2024-01-01</lastmod></url>"
        "<url><loc>{BASE}/about</loc></url>"
        "<url><loc>{BASE}/orphan</loc><lastmod>2024-02-02</lastmod></url>"
        "<url><loc>{BASE}/old?utm_source=sitemap</loc></url>"
        "<url><loc>https://external.example/page</loc></url>"
        "</urlset>",
        content_type="application/xml",
    ),
    "/": html(HOME, '<title>Home</title><link rel="alternate" hreflang="de" href="/de/">'),
    "/about": html('<a href="/">Home</a> <a href="/contact">Contact us</a>', "<title>About</title>"),
    "/blog/": html('<div class="sidebar"><a href="post-1">First post</a></div>'),
    "/blog/post-1": html('<a href="../">Back to blog</a>', '<base href="/blog/archive/">'),
    "/contact": html('<a href="../">Home</a>'),
    "/new": html('<a href="/">Home</a>'),
    "/nofollowed": html("<p>only a nofollow link points here</p>"),
    "/gallery": html("<p>gallery</p>"),
    "/orphan": html('<a href="/orphan-child">child</a>'),
    "/orphan-child": html("<p>linked only from the orphan</p>"),
    "/data.json": Route('{"html": "<a href=\'/json-link\'>x</a>"}', content_type="application/json"),
    "/missing": Route('<html><body><a href="/never-fetched">x</a></body></html>', status=404),
    "/flaky": Route("<html><body>down</body></html>", status=503),
    "/old": redirect(301, "/older"),
    "/older": redirect(302, "new?utm_source=redirect"),
    "/loop-a": redirect(302, "/loop-b"),
    "/loop-b": redirect(301, "{BASE}/loop-a"),
    "/to-private": redirect(302, "http://127.0.0.2:{PORT}/internal"),
    "/private/secret": html("<p>must never be fetched</p>"),
}

CONFIG = """sites:
  - name: testsite
    start_urls: ["{base}/"]
    allowed_domains: ["127.0.0.1", "127.0.0.2"]
    crawl:
      concurrency: 1
      timeout: 10
      retry_backoff: 0.05
      allow_private_networks: ["127.0.0.1/32"]
{extra}
"""


def config_for(tmp_path: Path, base: str, extra: str = "") -> Path:
    return write_config(tmp_path / "sites.yaml", CONFIG.format(base=base, extra=extra))


def test_crawl_writes_exact_lake_rows(serve, tmp_path: Path) -> None:
    site = serve(ROUTES)
    b = site.base
    lake = tmp_path / "lake"
    result = run_crawl(config_for(tmp_path, b), "testsite", "c1", lake)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert {k: summary[k] for k in ("crawl_id", "pages", "links", "errors", "stop_reason", "published")} == {
        "crawl_id": "c1",
        "pages": 20,
        "links": 24,
        "errors": 2,
        "stop_reason": "finished",
        "published": True,
    }
    assert "progress" not in result.stdout

    private = f"http://127.0.0.2:{site.port}/internal"
    pages = lake_rows(lake, "crawl/pages", "url")
    assert [
        (
            p["url"],
            p["status"],
            p["error"],
            p["found_via"],
            p["depth_seen"],
            p["final_url"],
            p["redirect_location"],
        )
        for p in pages
    ] == [
        (f"{b}/", 200, None, "start", 0, f"{b}/", None),
        (f"{b}/about", 200, None, "link", 1, f"{b}/about", None),
        (f"{b}/blog/", 200, None, "link", 1, f"{b}/blog/", None),
        (f"{b}/blog/post-1", 200, None, "link", 2, f"{b}/blog/post-1", None),
        (f"{b}/contact", 200, None, "link", 1, f"{b}/contact", None),
        (f"{b}/data.json", 200, None, "link", 1, f"{b}/data.json", None),
        (f"{b}/flaky", 503, None, "link", 1, f"{b}/flaky", None),
        (f"{b}/gallery", 200, None, "link", 1, f"{b}/gallery", None),
        (f"{b}/loop-a", 302, None, "link", 1, None, f"{b}/loop-b"),
        (f"{b}/loop-b", 301, None, "redirect", 2, None, f"{b}/loop-a"),
        (f"{b}/missing", 404, None, "link", 1, f"{b}/missing", None),
        (f"{b}/new", 200, None, "redirect", 3, f"{b}/new", None),
        (f"{b}/nofollowed", 200, None, "link", 1, f"{b}/nofollowed", None),
        (f"{b}/old", 301, None, "link", 1, f"{b}/new", f"{b}/older"),
        (f"{b}/older", 302, None, "redirect", 2, f"{b}/new", f"{b}/new"),
        (f"{b}/orphan", 200, None, "sitemap", 0, f"{b}/orphan", None),
        (f"{b}/orphan-child", 200, None, "link", 1, f"{b}/orphan-child", None),
        (f"{b}/private/secret", None, "robots_disallowed", "link", 1, f"{b}/private/secret", None),
        (f"{b}/to-private", 302, None, "link", 1, private, private),
        (private, None, "ssrf_refused: 127.0.0.2", "redirect", 2, private, None),
    ]
    by_url = {p["url"]: p for p in pages}
    assert (by_url[f"{b}/"]["title"], by_url[f"{b}/"]["content_type"]) == ("Home", "text/html; charset=utf-8")
    assert by_url[f"{b}/data.json"]["content_type"] == "application/json"
    assert by_url[f"{b}/data.json"]["word_count"] is None

    links = lake_rows(lake, "crawl/links", "source_url, ordinal")
    home_links = [
        (
            link["ordinal"],
            link["target_url"],
            link["href_kind"],
            link["anchor_text"],
            link["kind"],
            link["position"],
            link["nofollow"],
            link["is_internal"],
        )
        for link in links
        if link["source_url"] == f"{b}/"
    ]
    assert home_links == [
        (1, f"{b}/", "http", "Logo", "a", "header", False, True),
        (2, f"{b}/about", "http", "About", "a", "nav", False, True),
        (3, f"{b}/blog/", "http", "Blog", "a", "nav", False, True),
        (4, f"{b}/about", "http", "about the team", "a", "content", False, True),
        (5, f"{b}/about", "http", "about again", "a", "content", False, True),
        (6, f"{b}/old", "http", "old page", "a", "content", False, True),
        (7, f"{b}/loop-a", "http", "loop", "a", "content", False, True),
        (8, f"{b}/missing", "http", "broken", "a", "content", False, True),
        (9, f"{b}/private/secret", "http", "secret", "a", "content", False, True),
        (10, f"{b}/to-private", "http", "private hop", "a", "content", False, True),
        (11, f"{b}/flaky", "http", "flaky", "a", "content", False, True),
        (12, f"{b}/data.json", "http", "data", "a", "content", False, True),
        (13, f"{b}/nofollowed", "http", "nofollow", "a", "content", True, True),
        (14, "https://external.example/", "http", "external", "a", "content", False, False),
        (15, None, "mailto", "mail", "a", "content", False, False),
        (16, f"{b}/gallery", "http", "Gallery", "img", "content", False, True),
        (17, f"{b}/contact", "http", "Contact", "a", "footer", False, True),
    ]
    other_links = sorted(
        (link["source_url"], link["target_url"], link["position"])
        for link in links
        if link["source_url"] != f"{b}/"
    )
    assert other_links == [
        (f"{b}/about", f"{b}/", "content"),
        (f"{b}/about", f"{b}/contact", "content"),
        (f"{b}/blog/", f"{b}/blog/post-1", "aside"),
        (f"{b}/blog/post-1", f"{b}/blog/", "content"),
        (f"{b}/contact", f"{b}/", "content"),
        (f"{b}/new", f"{b}/", "content"),
        (f"{b}/orphan", f"{b}/orphan-child", "content"),
    ]

    redirects = lake_rows(lake, "crawl/redirects", "url")
    assert [(r["url"], r["hop"], r["status"], r["location"], r["raw_location"]) for r in redirects] == [
        (f"{b}/loop-a", 1, 302, f"{b}/loop-b", "/loop-b"),
        (f"{b}/loop-b", 2, 301, f"{b}/loop-a", f"{b}/loop-a"),
        (f"{b}/old", 1, 301, f"{b}/older", "/older"),
        (f"{b}/older", 2, 302, f"{b}/new", "new?utm_source=redirect"),
        (f"{b}/to-private", 1, 302, private, private),
    ]

    sitemap_urls = lake_rows(lake, "crawl/sitemap_urls", "raw_url")
    sitemap = f"{b}/sitemap-pages.xml"
    assert [(s["url"], s["raw_url"], s["lastmod"], s["sitemap"]) for s in sitemap_urls] == [
        (f"{b}/", f"{b}/", "2024-01-01", sitemap),
        (f"{b}/about", f"{b}/about", None, sitemap),
        (f"{b}/old", f"{b}/old?utm_source=sitemap", None, sitemap),
        (f"{b}/orphan", f"{b}/orphan", "2024-02-02", sitemap),
        ("https://external.example/page", "https://external.example/page", None, sitemap),
    ]
    assert [
        (h["url"], h["hreflang"], h["alternate_url"]) for h in lake_rows(lake, "crawl/hreflang", "url")
    ] == [(f"{b}/", "de", f"{b}/de/")]

    (run,) = lake_rows(lake, "crawl/runs", "crawl_id")
    assert (run["pages"], run["links"], run["errors"], run["stop_reason"], run["start_urls"]) == (
        20,
        24,
        2,
        "finished",
        [f"{b}/"],
    )

    # Every URL at most once (robots.txt serves policy and sitemap discovery); the 503 retried twice.
    fetched = dict(site.requests)
    assert fetched.pop("/robots.txt") == 1
    assert fetched.pop("/flaky") == 3
    assert set(fetched.values()) == {1}
    assert set(fetched) == {
        "/", "/about", "/blog/", "/blog/post-1", "/contact", "/data.json", "/gallery", "/loop-a", "/loop-b",
        "/missing", "/new", "/nofollowed", "/old", "/older", "/orphan", "/orphan-child", "/to-private",
        "/sitemap_index.xml", "/sitemap-pages.xml",
    }  # fmt: skip


def test_limits_and_exclusions(serve, tmp_path: Path) -> None:
    site = serve(ROUTES)
    b = site.base
    lake = tmp_path / "lake"
    extra = '      max_depth: 1\n    urls:\n      exclude: ["/blog/"]\n    discover_sitemaps: false'
    result = run_crawl(config_for(tmp_path, b, extra), "testsite", "depth1", lake)
    assert result.returncode == 0, result.stderr[-3000:]
    pages = lake_rows(lake, "crawl/pages", "url")
    assert [p["url"] for p in pages] == [
        f"{b}/", f"{b}/about", f"{b}/contact", f"{b}/data.json", f"{b}/flaky", f"{b}/gallery", f"{b}/loop-a",
        f"{b}/missing", f"{b}/nofollowed", f"{b}/old", f"{b}/private/secret", f"{b}/to-private",
    ]  # fmt: skip
    (run,) = lake_rows(lake, "crawl/runs", "crawl_id")
    assert run["stop_reason"] == "max_depth"
    assert "/sitemap_index.xml" not in site.requests

    result = run_crawl(config_for(tmp_path, b, "      max_pages: 3"), "testsite", "max3", lake)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.splitlines()[-1])["stop_reason"] == "max_pages"
    pages = lake_rows(lake, "crawl/pages", "url")
    assert [(p["crawl_id"], p["url"]) for p in pages if p["crawl_id"] == "max3"] == [
        ("max3", f"{b}/"),
        ("max3", f"{b}/about"),
        ("max3", f"{b}/blog/"),
    ]


def terminate_when_requested(command: list[str], site: SiteServer, path: str) -> dict:
    """Run the crawl, send SIGTERM once ``path`` was requested; the JSON summary (exit code 1)."""
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        deadline = time.monotonic() + 30
        while site.requests[path] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1, stderr[-3000:]
    return json.loads(stdout.splitlines()[-1])


def test_interrupted_crawl_publishes_nothing(serve, tmp_path: Path) -> None:
    site = serve({"/": Route("<html><body>slow</body></html>", delay=1.5)})
    lake = tmp_path / "lake"
    summary = terminate_when_requested(
        crawl_command(config_for(tmp_path, site.base), "testsite", "cut", lake), site, "/"
    )
    assert (summary["published"], summary["abort_reason"]) == (
        False,
        "the crawl did not finish (Scrapy finish reason 'shutdown')",
    )
    assert not (lake / "crawl").exists()


def test_bad_arguments_exit_2(tmp_path: Path) -> None:
    config = config_for(tmp_path, "http://127.0.0.1:9")
    result = run_crawl(config, "nosuchsite", "c1", tmp_path / "lake")
    assert result.returncode == 2
    assert result.stderr.strip() == f"linkcrawler: {config}: no site named 'nosuchsite' (have: testsite)"
    result = run_crawl(config, "testsite", "../escape", tmp_path / "lake")
    assert result.returncode == 2
    assert "unsafe partition value crawl_id='../escape'" in result.stderr
    command = crawl_command(config, "testsite", "c1", tmp_path / "lake", "--run-id", "..")
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "unsafe staging run id '..'" in result.stderr


def test_scrapy_crawl_from_the_project_folder(serve, tmp_path: Path) -> None:
    site = serve({"/": html('<a href="/next">next</a>'), "/next": html("<p>end</p>")})
    lake = tmp_path / "lake"
    args = ["-a", "site=testsite", "-a", f"config={config_for(tmp_path, site.base)}", "-a", f"lake={lake}"]
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "site", "-a", "crawl_id=viascrapy", *args],
        cwd=Path(__file__).resolve().parents[2] / "crawler",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert [(p["crawl_id"], p["url"], p["status"]) for p in lake_rows(lake, "crawl/pages", "url")] == [
        ("viascrapy", f"{site.base}/", 200),
        ("viascrapy", f"{site.base}/next", 200),
    ]
    assert [r["crawl_id"] for r in lake_rows(lake, "crawl/runs", "crawl_id")] == ["viascrapy"]


def test_network_errors_are_page_rows(serve, tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/down"
    site = serve({"/": html(f'<a href="{dead}">down</a>')})
    lake = tmp_path / "lake"
    result = run_crawl(config_for(tmp_path, site.base), "testsite", "neterr", lake)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = {p["url"]: (p["status"], p["error"]) for p in lake_rows(lake, "crawl/pages", "url")}
    assert rows[f"{site.base}/"] == (200, None)
    status, error = rows[dead]
    assert status is None
    # Nothing answers for robots.txt either: RFC 9309 "unreachable", so the page is not fetched.
    assert error.startswith("robots_unavailable: connection_refused: ")


def test_interrupted_multiprocess_crawl_publishes_nothing_and_restarts_cleanly(serve, tmp_path: Path) -> None:
    site = serve(
        {"/": html('<a href="/slow">slow</a>'), "/slow": Route("<html><body>slow</body></html>", delay=1.5)}
    )
    lake = tmp_path / "lake"
    config = config_for(tmp_path, site.base, "      workers: 2")
    summary = terminate_when_requested(crawl_command(config, "testsite", "cut", lake), site, "/slow")
    assert (summary["published"], summary["abort_reason"]) == (False, "received signal 15")
    assert not (lake / "crawl").exists()
    assert not list((lake / "_staging").glob("*"))
    # Restarting the same crawl id starts afresh and publishes the whole crawl.
    result = run_crawl(config, "testsite", "cut", lake)
    assert result.returncode == 0, result.stderr[-3000:]
    assert [(p["url"], p["status"]) for p in lake_rows(lake, "crawl/pages", "url")] == [
        (f"{site.base}/", 200),
        (f"{site.base}/slow", 200),
    ]


def test_two_processes_exchange_long_batches_of_urls(serve, tmp_path: Path) -> None:
    """Offers and sitemap URLs travel in batches; with long URLs one batch passes 64 KiB."""
    paths = [f"/p/{'x' * 250}-{i}" for i in range(600)]
    site = serve(
        {
            "/robots.txt": Route("Sitemap: {BASE}/sitemap.xml\n", content_type="text/plain"),
            "/": html("".join(f'<a href="{path}">p</a>' for path in paths[:300])),
            "/p/*": html("<p>leaf</p>"),
        }
    )
    site.routes["/sitemap.xml"] = Route(
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(f"<url><loc>{site.base}{path}</loc></url>" for path in paths)
        + "</urlset>",
        content_type="application/xml",
    )
    lake = tmp_path / "lake"
    config = config_for(tmp_path, site.base, "      workers: 2")
    config.write_text(config.read_text().replace("concurrency: 1", "concurrency: 8"))  # one key, once
    result = run_crawl(config, "testsite", "long", lake, timeout=90)
    assert result.returncode == 0, result.stderr[-3000:]
    vias = Counter(p["found_via"] for p in lake_rows(lake, "crawl/pages", "url"))
    assert vias == {"start": 1, "link": 300, "sitemap": 300}

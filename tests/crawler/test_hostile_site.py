"""A purpose-built hostile site on 127.0.0.1, crawled by the real CLI with one and two processes.

Each route is one item of the crawler issue: redirect loop and hop limit, meta refresh,
canonical in the HTTP Link header, charsets and invalid UTF-8, a double-gzip bomb, a 50 MB
streamed page, a slow page, 503 with Retry-After, a 429 asking for an hour, spider traps
(repeating segments, an endless calendar, facet combinations, a pattern overflowing its
budget), SSRF through integer/hex/octal/short IPv4 spellings, IPv4-mapped IPv6 and a redirect to
cloud metadata, robots.txt with a BOM, a billion-laughs sitemap and a gzipped sitemap, links
that must be recorded but never followed, and a non-HTML body. The rows are asserted exactly;
the two-process crawl must write the same rows.
"""

from __future__ import annotations

import gzip
import json
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from .conftest import Route, html, lake_rows, redirect, run_crawl, write_config

pytestmark = pytest.mark.integration

NEXT_YEAR = datetime.now(UTC).year + 1


def double_gzip_bomb(inflated: int = 64 * 2**20) -> bytes:
    """``Content-Encoding: gzip, gzip`` body: a few KB that inflate to ``inflated`` bytes."""
    inner = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"\0" * 2**20
    layer = b"".join(inner.compress(block) for _ in range(inflated // len(block))) + inner.flush()
    return gzip.compress(layer, 9)


BOMB = double_gzip_bomb()
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY lol0 "lol">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    + ']><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{BASE}/&lol9;</loc></url></urlset>'
)
GZ_SITEMAP = (
    b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    b"<url><loc>PLACEHOLDER/orphan</loc><lastmod>2024-05-01</lastmod></url></urlset>"
)

HOME = f"""
<nav><a href="/loop-a">loop</a> <a href="/chain/1">chain</a> <a href="/refresh">refresh</a></nav>
<main><h1>Hostile</h1><p>Welcome to the hostile site.</p>
<a href="/canonical-header">c</a> <a href="/latin1">l</a> <a href="/bad-utf8">u</a>
<a href="/gzip-bomb">bomb</a> <a href="/huge">huge</a> <a href="/slow">slow</a>
<a href="/flaky">flaky</a> <a href="/too-many">429</a> <a href="/blocked">blocked</a>
<a href="/trap/a/">trap</a> <a href="/calendar?month={NEXT_YEAR}-12">calendar</a>
<a href="/shop?a=1&amp;b=2&amp;c=3&amp;d=4&amp;e=5&amp;f=6">facets</a> <a href="/search-links">search</a>
<a href="http://2130706434:{{PORT}}/x">int</a> <a href="http://0x7f000002:{{PORT}}/x">hex</a>
<a href="http://0177.0.0.2:{{PORT}}/x">octal</a> <a href="http://127.2:{{PORT}}/x">short</a>
<a href="http://[::ffff:127.0.0.2]:{{PORT}}/v6">mapped</a> <a href="/to-metadata">metadata</a>
<a href="javascript:void(0)">js</a> <a href="mailto:a@b.c">mail</a> <a href="tel:+1">tel</a>
<a href="#top">frag</a> <a href="ftp://127.0.0.1/f">ftp</a> <a href="file:///etc/passwd">file</a>
<a href="/file.pdf">pdf</a></main>
<footer><a href="/">home</a></footer>
"""


def calendar(path: str) -> Route:
    year, month = (int(part) for part in path.split("=", 1)[1].split("-"))
    following = f"{year + month // 12}-{month % 12 + 1:02d}"
    return html(f'<a href="/calendar?month={following}">next month</a>')


ROUTES: dict[str, object] = {
    "/robots.txt": Route(
        "\ufeffUser-agent: *\nDisallow: /blocked\n"
        "Sitemap: {BASE}/laughs.xml\nSitemap: {BASE}/sitemap.xml.gz\n",
        content_type="text/plain",
    ),
    "/laughs.xml": Route(LAUGHS, content_type="application/xml"),
    "/": html(HOME, '<title>Hostile</title><link rel="next" href="/page/2">'),
    "/orphan": html("<p>only in the gzipped sitemap</p>"),
    "/loop-a": redirect(302, "/loop-b"),
    "/loop-b": redirect(301, "/loop-a"),
    "/chain/*": lambda path: redirect(301, f"/chain/{int(path.rsplit('/', 1)[1]) + 1}"),
    "/refresh": html("<p>moved</p>", "<meta http-equiv='Refresh' content=\"0; URL='/refreshed'\">"),
    "/refreshed": html("<p>arrived</p>"),
    "/canonical-header": Route(
        "<html><body><p>canonical by header</p></body></html>",
        headers=(("Link", '<{BASE}/canon>; rel="canonical", <{BASE}/de/x>; rel="alternate"; hreflang="DE"'),),
    ),
    "/latin1": Route(
        "<html><head><title>caf\u00e9</title></head><body></body></html>".encode("cp1252"),
        content_type="text/html; charset=iso-8859-1",
    ),
    "/bad-utf8": Route(b"<html><head><title>bad \xff\xfe bytes</title></head></html>"),
    "/gzip-bomb": Route(BOMB, headers=(("Content-Encoding", "gzip, gzip"),)),
    "/huge": Route(stream=50 * 2**20),
    "/slow": Route("<html><body>slow</body></html>", delay=3),
    "/flaky": Route("down", status=503, headers=(("Retry-After", "1"),), then=(html("<p>back</p>"),)),
    "/too-many": Route("slow down", status=429, headers=(("Retry-After", "3600"),)),
    "/blocked": html("<p>disallowed</p>"),
    "/trap/*": html('<a href="a/">deeper</a>'),
    "/calendar*": calendar,
    "/shop": html('<a href="/shop?a=1&amp;b=2&amp;c=3&amp;d=4&amp;e=5&amp;f=6&amp;g=7">more</a>'),
    "/search-links": html("".join(f'<a href="/search?q={i}">q{i}</a>' for i in range(1, 7))),
    "/search": html("<p>results</p>"),
    "/to-metadata": redirect(302, "http://169.254.169.254/latest/meta-data/"),
    "/file.pdf": Route('%PDF-1.4 <a href="/never">x</a>', content_type="application/pdf"),
}

CONFIG = """sites:
  - name: hostile
    start_urls: ["{base}/"]
    allowed_domains: ["127.0.0.1", "127.0.0.2", "169.254.169.254", "[::ffff:7f00:2]"]
    crawl:
      concurrency: 4
      timeout: 1
      max_page_bytes: 1048576
      max_redirects: 3
      retry_backoff: 0.05
      retry_after_max: 2
      trap_max_pattern_urls: 3
      workers: {workers}
      allow_private_networks: ["127.0.0.1/32"]
"""


def crawl(serve, tmp_path: Path, workers: int) -> tuple[str, Path, object, dict]:
    site = serve(dict(ROUTES))
    base = site.base
    site.routes["/sitemap.xml.gz"] = Route(
        gzip.compress(GZ_SITEMAP.replace(b"PLACEHOLDER", base.encode())), content_type="application/gzip"
    )
    lake = tmp_path / f"lake{workers}"
    config = write_config(tmp_path / f"sites{workers}.yaml", CONFIG.format(base=base, workers=workers))
    result = run_crawl(config, "hostile", "h1", lake, timeout=90)
    assert result.returncode == 0, result.stderr[-4000:]
    return base, lake, site, json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> dict:
    from .conftest import SiteServer

    servers: list[SiteServer] = []

    def serve(routes: dict) -> SiteServer:
        server = SiteServer(routes).__enter__()
        servers.append(server)
        return server

    root = tmp_path_factory.mktemp("hostile")
    try:
        one = crawl(serve, root, 1)
        two = crawl(serve, root, 2)
    finally:
        for server in servers:
            server.__exit__()
    return {"one": one, "two": two}


def pages_by_path(base: str, lake: Path) -> dict[str, dict]:
    return {p["url"].replace(base, ""): p for p in lake_rows(lake, "crawl/pages", "url")}


def test_page_rows(crawled: dict) -> None:
    base, lake, _site, summary = crawled["one"]
    v6 = "http://[::ffff:7f00:2]:" + base.rsplit(":", 1)[1]
    ip2 = "http://127.0.0.2:" + base.rsplit(":", 1)[1]
    pages = pages_by_path(base, lake)
    got = {
        path: (
            p["status"],
            p["error"] and p["error"].split(":", 1)[0],
            p["found_via"],
            p["depth_seen"],
            p["trap_suspected"],
        )
        for path, p in pages.items()
    }
    assert got == {
        "/": (200, None, "start", 0, None),
        "/bad-utf8": (200, None, "link", 1, None),
        "/blocked": (None, "robots_disallowed", "link", 1, None),
        "/calendar?month=" + f"{NEXT_YEAR}-12": (200, None, "link", 1, None),
        "/calendar?month=" + f"{NEXT_YEAR + 1}-01": (200, None, "link", 2, "future_date"),
        "/canonical-header": (200, None, "link", 1, None),
        "/chain/1": (301, None, "link", 1, None),
        "/chain/2": (301, None, "redirect", 2, None),
        "/chain/3": (301, None, "redirect", 3, None),
        "/chain/4": (301, None, "redirect", 4, None),
        "/file.pdf": (200, None, "link", 1, None),
        "/flaky": (200, None, "link", 1, None),
        "/gzip-bomb": (None, "max_size_exceeded", "link", 1, None),
        "/huge": (None, "max_size_exceeded", "link", 1, None),
        "/latin1": (200, None, "link", 1, None),
        "/loop-a": (302, None, "link", 1, None),
        "/loop-b": (301, None, "redirect", 2, None),
        "/orphan": (200, None, "sitemap", 0, None),
        "/refresh": (200, None, "link", 1, None),
        "/refreshed": (200, None, "meta_refresh", 2, None),
        "/search-links": (200, None, "link", 1, None),
        "/search?q=1": (200, None, "link", 2, None),
        "/search?q=2": (200, None, "link", 2, None),
        "/search?q=3": (200, None, "link", 2, None),
        "/search?q=4": (None, "trap_suspected", "link", 2, "pattern_overflow"),
        "/search?q=5": (None, "trap_suspected", "link", 2, "pattern_overflow"),
        "/search?q=6": (None, "trap_suspected", "link", 2, "pattern_overflow"),
        "/shop?a=1&b=2&c=3&d=4&e=5&f=6": (200, None, "link", 1, "too_many_params"),
        "/slow": (None, "timeout", "link", 1, None),
        "/to-metadata": (302, None, "link", 1, None),
        "/too-many": (429, None, "link", 1, None),
        "/trap/a/": (200, None, "link", 1, None),
        "/trap/a/a/": (200, None, "link", 2, None),
        "/trap/a/a/a/": (200, None, "link", 3, "repeating_segments"),
        f"{ip2}/x": (None, "ssrf_refused", "link", 1, None),
        f"{v6}/v6": (None, "ssrf_refused", "link", 1, None),
        "http://169.254.169.254/latest/meta-data/": (None, "ssrf_refused", "redirect", 2, None),
    }
    assert pages[f"{ip2}/x"]["error"] == "ssrf_refused: 127.0.0.2"
    assert pages[f"{v6}/v6"]["error"] == "ssrf_refused: ::ffff:7f00:2"
    assert pages["http://169.254.169.254/latest/meta-data/"]["error"] == "ssrf_refused: 169.254.169.254"
    assert summary["pages"] == len(got)
    assert (summary["stop_reason"], summary["published"]) == ("trap_suspected", True)


def test_redirects_loops_hops_and_meta_refresh(crawled: dict) -> None:
    base, lake, _site, _summary = crawled["one"]
    pages = pages_by_path(base, lake)
    assert {
        path: (pages[path]["final_url"], pages[path]["redirect_issue"])
        for path in pages
        if path.startswith(("/loop", "/chain"))
    } == {
        "/loop-a": (None, "loop"),
        "/loop-b": (None, "loop"),
        "/chain/1": (f"{base}/chain/5", None),
        "/chain/2": (f"{base}/chain/5", None),
        "/chain/3": (f"{base}/chain/5", None),
        "/chain/4": (f"{base}/chain/5", "too_many_hops"),
    }
    redirects = [
        (
            r["url"].replace(base, ""),
            r["hop"],
            r["status"],
            (r["location"] or "").replace(base, ""),
            r["redirect_type"],
        )
        for r in lake_rows(lake, "crawl/redirects", "url, hop")
    ]
    assert redirects == [
        ("/chain/1", 1, 301, "/chain/2", "http"),
        ("/chain/2", 2, 301, "/chain/3", "http"),
        ("/chain/3", 3, 301, "/chain/4", "http"),
        ("/chain/4", 4, 301, "/chain/5", "http"),
        ("/loop-a", 1, 302, "/loop-b", "http"),
        ("/loop-b", 2, 301, "/loop-a", "http"),
        ("/refresh", 1, 200, "/refreshed", "meta_refresh"),
        ("/to-metadata", 1, 302, "http://169.254.169.254/latest/meta-data/", "http"),
    ]
    refresh = pages["/refresh"]
    assert (refresh["meta_refresh"], refresh["meta_refresh_delay"]) == (f"{base}/refreshed", 0.0)


def test_page_facts_charsets_headers_and_retries(crawled: dict) -> None:
    base, lake, site, _summary = crawled["one"]
    pages = pages_by_path(base, lake)
    facts = {
        path: (pages[path]["charset"], pages[path]["title"], pages[path]["retries"])
        for path in ("/", "/latin1", "/bad-utf8", "/flaky", "/too-many", "/file.pdf")
    }
    assert facts == {
        "/": ("utf-8", "Hostile", 0),
        "/latin1": ("cp1252", "caf\u00e9", 0),
        "/bad-utf8": ("utf-8", "bad \ufffd\ufffd bytes", 0),
        "/flaky": ("utf-8", None, 1),
        "/too-many": (None, None, 0),
        "/file.pdf": (None, None, 0),
    }
    first, second = site.times["/flaky"][:2]
    assert second - first >= 1.0  # Retry-After: 1 honoured
    assert site.requests["/too-many"] == 1  # Retry-After: 3600 is beyond retry_after_max
    header = pages["/canonical-header"]
    assert (header["canonical_header"], header["canonical"]) == (f"{base}/canon", f"{base}/canon")
    assert pages["/"]["rel_next"] == f"{base}/page/2"
    hreflang = [
        (h["url"], h["hreflang"], h["alternate_url"]) for h in lake_rows(lake, "crawl/hreflang", "url")
    ]
    assert hreflang == [(f"{base}/canonical-header", "de", f"{base}/de/x")]
    text = {t["url"].replace(base, ""): t["main_text"] for t in lake_rows(lake, "crawl/page_text", "url")}
    assert text["/"].startswith("Hostile Welcome to the hostile site. c l u bomb")
    assert "home" not in text["/"].split()  # the footer is boilerplate


def test_links_recorded_not_followed(crawled: dict) -> None:
    base, lake, site, _summary = crawled["one"]
    links = [link for link in lake_rows(lake, "crawl/links", "ordinal") if link["source_url"] == f"{base}/"]
    kinds = {link["raw_href"]: (link["href_kind"], link["target_url"], link["position"]) for link in links}
    assert {
        raw: kinds[raw]
        for raw in (
            "javascript:void(0)",
            "mailto:a@b.c",
            "tel:+1",
            "#top",
            "ftp://127.0.0.1/f",
            "file:///etc/passwd",
        )
    } == {
        "javascript:void(0)": ("javascript", None, "content"),
        "mailto:a@b.c": ("mailto", None, "content"),
        "tel:+1": ("tel", None, "content"),
        "#top": ("fragment", None, "content"),
        "ftp://127.0.0.1/f": ("other_scheme", None, "content"),
        "file:///etc/passwd": ("other_scheme", None, "content"),
    }
    spellings = [
        kinds[f"http://{host}:{site.port}/x"][1]
        for host in ("2130706434", "0x7f000002", "0177.0.0.2", "127.2")
    ]
    assert set(spellings) == {f"http://127.0.0.2:{site.port}/x"}
    assert kinds["/loop-a"][2] == "nav" and kinds["/"][2] == "footer"
    assert "/never" not in site.requests and "/trap/a/a/a/a/" not in site.requests
    assert f"/calendar?month={NEXT_YEAR + 1}-02" not in site.requests


def test_hostile_bodies_are_bounded(crawled: dict) -> None:
    base, lake, _site, _summary = crawled["one"]
    pages = pages_by_path(base, lake)
    assert "during decompression" in pages["/gzip-bomb"]["error"]
    sitemaps = {
        s["sitemap"].replace(base, ""): (s["source"], s["status"], s["kind"], s["entries"], s["error"])
        for s in lake_rows(lake, "crawl/sitemaps", "sitemap")
    }
    laughs_error = sitemaps["/laughs.xml"][4]
    assert laughs_error.startswith(
        f"sitemap {base}/laughs.xml: not well-formed XML: Maximum entity amplification"
    )
    assert sitemaps == {
        "/laughs.xml": ("robots", 200, None, None, laughs_error),
        "/sitemap.xml.gz": ("robots", 200, "urlset", 1, None),
    }
    assert [(s["url"], s["lastmod"]) for s in lake_rows(lake, "crawl/sitemap_urls", "url")] == [
        (f"{base}/orphan", "2024-05-01")
    ]


def test_runs_row_records_every_stop_reason(crawled: dict) -> None:
    _base, lake, _site, _summary = crawled["one"]
    (run,) = lake_rows(lake, "crawl/runs", "crawl_id")
    assert (run["stop_reason"], run["stop_reasons"], run["finish_reason"], run["workers"]) == (
        "trap_suspected",
        ["trap_suspected", "max_redirects"],
        "finished",
        1,
    )
    details = json.loads(run["stop_details"])
    assert {reason: value["urls"] for reason, value in details["trap_suspected"].items()} == {
        "future_date": 1,
        "pattern_overflow": 3,
        "repeating_segments": 1,
        "too_many_params": 1,
    }
    assert details["max_redirects_chains"] == 1


def test_two_processes_write_the_same_rows(crawled: dict) -> None:
    base1, lake1, _s1, summary1 = crawled["one"]
    base2, lake2, _s2, summary2 = crawled["two"]
    volatile = {"fetched_at", "response_ms", "crawl_id", "site", "bytes"}

    def rows(base: str, lake: Path, table: str, order: str) -> list[dict]:
        port = base.rsplit(":", 1)[1]
        return [
            {
                k: (v.replace(port, "PORT") if isinstance(v, str) else v)
                for k, v in row.items()
                if k not in volatile
            }
            for row in lake_rows(lake, table, order)
        ]

    for table, order in (
        ("crawl/pages", "url"),
        ("crawl/links", "source_url, ordinal"),
        ("crawl/redirects", "url, hop"),
        ("crawl/page_text", "url"),
        ("crawl/hreflang", "url"),
        ("crawl/sitemap_urls", "url"),
    ):
        assert rows(base1, lake1, table, order) == rows(base2, lake2, table, order), table
    assert summary2["pages"] == summary1["pages"]

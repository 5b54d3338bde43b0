"""URL variants end to end with the real ``python -m linkcrawler``: session ids, canonical variants,
volatile parameter keys and index folding, in one process and with ``crawl.workers: 2``.

The session site hands every visitor a session id in its links (``?zenid=``, unknown to the
built-in strip list; ``;jsessionid=``, ``PHPSESSID`` and ``sid``, which it knows), each page a
different one, and every page names its plain URL as rel=canonical: the hostile case of issue 9
where one product became 7+ URLs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import lake_rows, run_crawl, write_config
from .variant_sites import DOCS_SITE, SESSION_SITE

pytestmark = pytest.mark.integration


SITE_CONFIG = """sites:
  - name: shop
    start_urls: ["{base}/"]
    crawl:
      concurrency: {concurrency}
      workers: {workers}
      timeout: 10
      allow_private_networks: ["127.0.0.1/32"]
    urls:
{urls}
"""


def crawl(tmp_path: Path, base: str, urls: str, workers: int = 1, crawl_id: str = "c1") -> tuple[Path, dict]:
    config = write_config(
        tmp_path / f"sites-{crawl_id}.yaml",
        SITE_CONFIG.format(base=base, urls=urls, workers=workers, concurrency=4),
    )
    lake = tmp_path / f"lake-{crawl_id}"
    result = run_crawl(config, "shop", crawl_id, lake, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return lake, json.loads(result.stdout.strip().splitlines()[-1])


def rows(lake: Path, base: str, table: str, order_by: str, columns: tuple[str, ...]) -> list[tuple]:
    def short(value: object) -> object:
        return value.replace(base, "") if isinstance(value, str) else value

    return [tuple(short(row[name]) for name in columns) for row in lake_rows(lake, table, order_by)]


PAGE_COLUMNS = ("url", "status", "canonical", "variant_of", "found_via", "depth_seen")
#: Every link on the home page names P through a session id; ?zenid= variants are fetched once
#: each, recorded as variants of their canonical and never expanded; Q is reached through the
#: canonical its variant names.
VARIANT_PAGES = [
    ("/", 200, "/", None, "start", 0),
    ("/?zenid=s2", 200, "/", "/", "link", 3),
    ("/p/", 200, "/p/", None, "link", 1),
    ("/p/?zenid=s0", 200, "/p/", "/p/", "link", 1),
    ("/q/", 200, "/q/", None, "canonical", 2),
    ("/q/?zenid=s0", 200, "/q/", "/q/", "link", 1),
    ("/q/?zenid=s1", 200, "/q/", "/q/", "link", 2),
]
VARIANT_LINKS = [
    ("/", "/p/?zenid=s0", "/p/?zenid=s0"),
    ("/", "/q/?zenid=s0", "/q/?zenid=s0"),
    ("/", "/p/", "/p/;jsessionid=0A1B2C3D"),
    ("/", "/p/", "/p/?PHPSESSID=5e1c0b9a"),
    ("/", "/p/", "/p/?sid=b7c41e09"),
    ("/p/", "/q/?zenid=s1", "/q/?zenid=s1"),
    ("/q/", "/?zenid=s2", "/?zenid=s2"),
]


@pytest.mark.parametrize("workers", [1, 2])
def test_session_variants_are_recorded_once_and_not_expanded(serve, tmp_path: Path, workers: int) -> None:
    site = serve(SESSION_SITE)
    # The demo config's list: it used to replace the built-ins (jsessionid, phpsessid, sid, ...).
    lake, summary = crawl(
        tmp_path, site.base, '      strip_params: ["utm_*", "gclid", "fbclid", "sessionid"]', workers
    )
    b = site.base
    assert summary["pages"] == len(VARIANT_PAGES)
    assert rows(lake, b, "crawl/pages", "url", PAGE_COLUMNS) == VARIANT_PAGES
    links = rows(lake, b, "crawl/links", "source_url, ordinal", ("source_url", "target_url", "raw_href"))
    assert links == VARIANT_LINKS
    assert {row["url"].replace(b, "") for row in lake_rows(lake, "crawl/page_text", "url")} == {
        "/",
        "/p/",
        "/q/",
    }
    (run,) = lake_rows(lake, "crawl/runs", "crawl_id")
    assert list(run["volatile_params"]) == ["zenid"]
    details = json.loads(run["stop_details"])
    assert details["volatile_params"] == {
        "zenid": {"pages": 3, "examples": [f"{b}/?zenid=s2", f"{b}/p/?zenid=s0", f"{b}/q/?zenid=s0"]}
    }
    assert details["url_variants"] == {
        "urls": 4,
        "examples": [f"{b}/?zenid=s2", f"{b}/p/?zenid=s0", f"{b}/q/?zenid=s0", f"{b}/q/?zenid=s1"],
    }
    assert (run["stop_reason"], details["index_folds"]) == ("finished", {"urls": 0, "examples": []})
    # Each URL fetched once; the built-in session variants never reached the server.
    assert {path: n for path, n in site.requests.items() if n > 1 and path != "/robots.txt"} == {}
    assert not [
        path for path in site.requests if "jsessionid" in path or "PHPSESSID" in path or "sid=" in path
    ]


def test_stripping_the_reported_key_leaves_one_url_per_page(serve, tmp_path: Path) -> None:
    site = serve(SESSION_SITE)
    lake, _ = crawl(tmp_path, site.base, '      strip_params: ["zenid"]')
    assert rows(lake, site.base, "crawl/pages", "url", PAGE_COLUMNS) == [
        ("/", 200, "/", None, "start", 0),
        ("/p/", 200, "/p/", None, "link", 1),
        ("/q/", 200, "/q/", None, "link", 1),
    ]
    (run,) = lake_rows(lake, "crawl/runs", "crawl_id")
    assert list(run["volatile_params"]) == []


def test_keeping_a_builtin_key_makes_its_urls_variants_again(serve, tmp_path: Path) -> None:
    site = serve(SESSION_SITE)
    lake, _ = crawl(tmp_path, site.base, '      strip_params: ["zenid"]\n      keep_params: ["sid"]')
    assert rows(lake, site.base, "crawl/pages", "url", PAGE_COLUMNS) == [
        ("/", 200, "/", None, "start", 0),
        ("/p/", 200, "/p/", None, "link", 1),
        ("/p/?sid=b7c41e09", 200, "/p/", "/p/", "link", 1),
        ("/q/", 200, "/q/", None, "link", 1),
    ]


@pytest.mark.parametrize("workers", [1, 2])
def test_index_folding_compares_responses(serve, tmp_path: Path, workers: int) -> None:
    """/more/index.htm is a 404 nobody's /more/ stands in for; only the docs index is the same page."""
    site = serve(DOCS_SITE)
    b = site.base
    lake, _ = crawl(
        tmp_path, b, "      fold_index: true\n      index_files: [index.html, index.htm]", workers
    )
    pages = rows(
        lake, b, "crawl/pages", "url", ("url", "status", "folded_into", "final_url", "redirect_location")
    )
    assert pages == [
        ("/", 200, None, "/", None),
        ("/docs/", 200, None, "/docs/", None),
        ("/docs/index.html", 200, "/docs/", "/docs/index.html", None),
        ("/docs/intro", 200, None, "/docs/intro", None),
        ("/guide/", 200, None, "/guide/", None),
        ("/guide/index.html", 200, None, "/guide/index.html", None),
        ("/more/index.htm", 404, None, "/more/index.htm", None),
        ("/old-docs", 301, None, "/docs/", "/docs/"),
        ("/solo/index.html", 200, None, "/solo/index.html", None),
    ]
    links = rows(lake, b, "crawl/links", "source_url, ordinal", ("source_url", "target_url", "raw_href"))
    assert links == [
        ("/", "/more/index.htm", "/more/index.htm"),
        ("/", "/docs/", "/docs/index.html"),
        ("/", "/docs/", "/docs/"),
        ("/", "/guide/index.html", "/guide/index.html"),
        ("/", "/guide/", "/guide/"),
        ("/", "/solo/index.html", "/solo/index.html"),
        ("/", "/old-docs", "/old-docs"),
        ("/docs/", "/docs/intro", "intro"),
        ("/docs/intro", "/docs/", "index.html"),
    ]
    assert rows(lake, b, "crawl/redirects", "url", ("url", "location", "raw_location")) == [
        ("/old-docs", "/docs/", "/docs/index.html")
    ]
    assert {row["url"].replace(b, "") for row in lake_rows(lake, "crawl/page_text", "url")} == {
        "/", "/docs/", "/docs/intro", "/guide/", "/guide/index.html", "/solo/index.html",
    }  # fmt: skip
    (run,) = lake_rows(lake, "crawl/runs", "crawl_id")
    assert json.loads(run["stop_details"])["index_folds"] == {"urls": 1, "examples": [f"{b}/docs/index.html"]}


def test_without_fold_index_nothing_is_folded(serve, tmp_path: Path) -> None:
    site = serve(DOCS_SITE)
    lake, _ = crawl(tmp_path, site.base, "      trailing_slash: keep")
    assert [row["folded_into"] for row in lake_rows(lake, "crawl/pages", "url")] == [None] * 9
    assert ("/docs/index.html", "/docs/index.html") in rows(
        lake, site.base, "crawl/links", "source_url, ordinal", ("target_url", "raw_href")
    )

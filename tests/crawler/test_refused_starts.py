"""Hostile configs whose every start URL is refused: the crawl fails, says why, publishes nothing.

Before, such a crawl exited 0 and published a one-row, all-error crawl with stop reason
``finished``: the warehouse then reported the whole site gone. One case per kind of refusal, with
one and two crawl processes (in two, the refusal happens in a worker and the coordinator decides).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linkcrawler.seeds import REFUSALS

from .conftest import Route, html, lake_rows, run_crawl, write_config

pytestmark = pytest.mark.integration

SITE = """sites:
  - name: refused
    start_urls: [{starts}]
{domains}    crawl:
      workers: {workers}
      retries: 0
      timeout: 5
{allow}"""
ALLOW_LOOPBACK = '      allow_private_networks: ["127.0.0.1/32"]\n'
DISALLOW_ALL = Route("User-agent: *\nDisallow: /\n", content_type="text/plain")


def config(tmp_path: Path, starts: list[str], workers: int, allow: str = "", domains: str = "") -> Path:
    text = SITE.format(
        starts=", ".join(f'"{url}"' for url in starts), workers=workers, allow=allow, domains=domains
    )
    return write_config(tmp_path / "sites.yaml", text)


def expected_failure(refused: dict[str, str]) -> str:
    codes = dict.fromkeys(error.split(":", 1)[0] for error in refused.values())
    return (
        "site 'refused': every start URL was refused, nothing was crawled or published: "
        + "; ".join(f"{url} ({error})" for url, error in refused.items())
        + ". "
        + "; ".join(f"{code}: {REFUSALS[code]}" for code in codes)
    )


def run_refused(tmp_path: Path, path: Path) -> dict:
    lake = tmp_path / "lake"
    result = run_crawl(path, "refused", "c1", lake, timeout=120)
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-3000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["published"] is False
    # Nothing published, staging cleaned: not one file in the lake.
    assert [p for p in lake.rglob("*") if p.is_file()] == []
    return summary


WORKERS = pytest.mark.parametrize("workers", [1, 2])


@WORKERS
@pytest.mark.parametrize(
    ("start", "address"),
    [
        ("http://127.0.0.1:{port}/", "127.0.0.1"),
        ("http://0x7f.1:{port}/", "127.0.0.1"),  # spelled in hex and short: still loopback
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),  # cloud metadata
        ("http://[::1]:{port}/", "::1"),
    ],
    ids=["loopback", "hex-short", "metadata", "ipv6-loopback"],
)
def test_ssrf_refused_start_url(serve, tmp_path: Path, workers: int, start: str, address: str) -> None:
    site = serve({"/": html("<p>internal</p>")})
    url = start.format(port=site.port)
    summary = run_refused(tmp_path, config(tmp_path, [url], workers))
    normalised = url.replace("0x7f.1", "127.0.0.1")
    assert summary["abort_reason"] == expected_failure({normalised: f"ssrf_refused: {address}"})
    assert summary["permanent"] is True  # no retry of the task lets the crawler reach it
    assert site.requests == {}


@WORKERS
def test_robots_disallowed_start_url(serve, tmp_path: Path, workers: int) -> None:
    site = serve({"/robots.txt": DISALLOW_ALL, "/": html("<p>home</p>")})
    summary = run_refused(tmp_path, config(tmp_path, [f"{site.base}/"], workers, ALLOW_LOOPBACK))
    assert summary["abort_reason"] == expected_failure({f"{site.base}/": "robots_disallowed"})
    assert summary["permanent"] is True
    assert set(site.requests) == {"/robots.txt"}


@WORKERS
def test_robots_unavailable_start_url(serve, tmp_path: Path, workers: int) -> None:
    site = serve({"/robots.txt": Route("down", status=503), "/": html("<p>home</p>")})
    summary = run_refused(tmp_path, config(tmp_path, [f"{site.base}/"], workers, ALLOW_LOOPBACK))
    error = "robots_unavailable: HTTP 503"
    assert summary["abort_reason"] == expected_failure({f"{site.base}/": error})
    assert summary["permanent"] is False  # robots.txt may answer when Airflow retries the task
    assert set(site.requests) == {"/robots.txt"}


@WORKERS
def test_out_of_scope_start_url(serve, tmp_path: Path, workers: int) -> None:
    site = serve({"/": html("<p>home</p>")})
    path = config(
        tmp_path, [f"{site.base}/"], workers, ALLOW_LOOPBACK, domains='    allowed_domains: ["example.com"]\n'
    )
    summary = run_refused(tmp_path, path)
    error = "out_of_scope: host 127.0.0.1 is not within allowed_domains"
    assert summary["abort_reason"] == expected_failure({f"{site.base}/": error})
    assert summary["permanent"] is True
    assert site.requests == {}


@WORKERS
def test_unresolvable_start_url(tmp_path: Path, workers: int) -> None:
    summary = run_refused(tmp_path, config(tmp_path, ["http://nonexistent.invalid/"], workers))
    prefix = (
        "site 'refused': every start URL was refused, nothing was crawled or published: "
        "http://nonexistent.invalid/ (dns_error: nonexistent.invalid did not resolve ("
    )
    assert summary["abort_reason"].startswith(prefix)
    hint = REFUSALS["dns_error"]
    assert summary["abort_reason"].endswith(f"for http://nonexistent.invalid/). dns_error: {hint}")
    assert summary["permanent"] is False


@WORKERS
def test_every_start_url_refused_for_a_different_reason(serve, tmp_path: Path, workers: int) -> None:
    site = serve({"/robots.txt": DISALLOW_ALL, "/": html("<p>home</p>")})
    metadata = "http://169.254.169.254/"
    summary = run_refused(tmp_path, config(tmp_path, [metadata, f"{site.base}/"], workers, ALLOW_LOOPBACK))
    assert summary["abort_reason"] == expected_failure(  # in the order of the config
        {metadata: "ssrf_refused: 169.254.169.254", f"{site.base}/": "robots_disallowed"}
    )
    assert summary["permanent"] is True


@WORKERS
def test_one_start_url_reached_is_a_crawl(serve, tmp_path: Path, workers: int) -> None:
    """Refusals of some start URLs are recorded; the crawl of the others is published."""
    site = serve({"/": html('<a href="/a">a</a>'), "/a": html("<p>a</p>")})
    path = config(
        tmp_path,
        [f"{site.base}/", "http://169.254.169.254/", "https://outside.example/"],
        workers,
        ALLOW_LOOPBACK,
        domains='    allowed_domains: ["127.0.0.1", "169.254.169.254"]\n',
    )
    lake = tmp_path / "lake"
    result = run_crawl(path, "refused", "c1", lake, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    pages = [(p["url"], p["status"], p["error"]) for p in lake_rows(lake, "crawl/pages", "url")]
    assert pages == [
        (f"{site.base}/", 200, None),
        (f"{site.base}/a", 200, None),
        ("http://169.254.169.254/", None, "ssrf_refused: 169.254.169.254"),
    ]
    (run,) = lake_rows(lake, "crawl/runs", "crawl_id")
    assert json.loads(run["stop_details"])["refused_start_urls"] == {
        "https://outside.example/": "out_of_scope: host outside.example is not within allowed_domains"
    }


def test_a_refused_crawl_leaves_the_published_crawls_untouched(serve, tmp_path: Path) -> None:
    site = serve({"/": html("<p>home</p>")})
    lake = tmp_path / "lake"
    good = config(tmp_path, [f"{site.base}/"], 1, ALLOW_LOOPBACK)
    assert run_crawl(good, "refused", "c1", lake).returncode == 0
    before = {p: p.read_bytes() for p in lake.rglob("*") if p.is_file()}
    site.routes["/robots.txt"] = DISALLOW_ALL
    result = run_crawl(good, "refused", "c2", lake)
    assert result.returncode == 1
    assert {p: p.read_bytes() for p in lake.rglob("*") if p.is_file()} == before
    # Re-running the same crawl id that is now refused does not withdraw what it published.
    assert run_crawl(good, "refused", "c1", lake).returncode == 1
    assert {p: p.read_bytes() for p in lake.rglob("*") if p.is_file()} == before

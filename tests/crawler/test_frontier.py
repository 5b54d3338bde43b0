"""Scope (internal / crawlable) and the frontier's once-per-normalised-URL admission."""

from __future__ import annotations

import pytest

from linkcrawler.frontier import Frontier
from linkcrawler.publish import CrawlOutcome, stop_summary
from linkcrawler.scope import Scope, hostname_of
from linkwarehouse.urls import UrlNormalizer


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://example.com/", "example.com"),
        ("http://127.0.0.1:8765/a?b=1", "127.0.0.1"),
        ("https://[::1]:8443/x", "[::1]"),
        ("https://blog.example.com/?q=a:b", "blog.example.com"),
    ],
)
def test_hostname_of(url: str, host: str) -> None:
    assert hostname_of(url) == host


@pytest.mark.parametrize(
    ("url", "internal"),
    [
        ("http://example.com/", True),
        ("https://example.com:8443/x", True),
        ("http://www.example.com/", True),
        ("http://a.b.example.com/", True),
        ("http://notexample.com/", False),
        ("http://example.com.evil.org/", False),
        ("http://other.org/", False),
    ],
)
def test_internal_is_host_or_subdomain_port_ignored(url: str, internal: bool) -> None:
    assert Scope(["Example.com"]).is_internal(url) is internal


def test_include_and_exclude_regexes() -> None:
    scope = Scope(["example.com"], include=[r"/(blog|docs)/"], exclude=[r"\?page=\d+", r"/docs/old/"])
    assert scope.is_crawlable("http://example.com/blog/post")
    assert not scope.is_crawlable("http://example.com/shop/item")
    assert not scope.is_crawlable("http://example.com/blog/?page=2")
    assert not scope.is_crawlable("http://example.com/docs/old/x")
    assert Scope(["example.com"]).is_crawlable("http://example.com/anything")


def test_variants_of_one_url_are_admitted_once() -> None:
    normalize = UrlNormalizer(strip_params=("utm_*", "sessionid"))
    frontier = Frontier(Scope(["example.com"]), max_pages=100, max_depth=10)
    variants = [
        "http://example.com/a",
        "http://example.com/a#section",
        "http://example.com/a?utm_source=news&utm_medium=mail",
        "HTTP://EXAMPLE.COM:80/a",
        "http://example.com/./b/../a",
        "http://example.com/a?sessionid=123",
    ]
    admitted = [frontier.admit(normalize(raw), 1) for raw in variants]
    assert admitted == [True, False, False, False, False, False]
    assert frontier.seen == {"http://example.com/a"}
    assert frontier.admitted == 1


def test_external_and_excluded_urls_are_never_admitted() -> None:
    frontier = Frontier(Scope(["example.com"], exclude=["/private"]), max_pages=100, max_depth=10)
    assert not frontier.admit("http://other.org/", 1)
    assert not frontier.admit("http://example.com/private/x", 1)
    assert (frontier.external, frontier.excluded, frontier.admitted) == (1, 1, 0)
    assert frontier.stop_reason == "finished"


def test_start_urls_obey_the_scope_and_say_why_not() -> None:
    scope = Scope(["example.com"], include=["/shop/"], exclude=["/shop/private"])
    frontier = Frontier(scope, max_pages=100, max_depth=10, crawl_params=["page"])
    seeds = [
        "http://other.org/",
        "http://www.example.com/shop/",
        "http://example.com/shop/private/",
        "http://example.com/blog/",
        "http://example.com/shop/?sort=price",
        "http://example.com/shop/?page=2",
    ]
    assert [frontier.admit(url, 0, seed=True) for url in seeds] == [False, True, False, False, False, True]
    assert frontier.refused_seeds == {
        "http://other.org/": "out_of_scope: host other.org is not within allowed_domains",
        "http://example.com/shop/private/": "out_of_scope: excluded by urls.include / urls.exclude",
        "http://example.com/blog/": "out_of_scope: excluded by urls.include / urls.exclude",
        "http://example.com/shop/?sort=price": "out_of_scope: a query parameter is not in urls.crawl_params",
    }
    # Refused once: the same URL found again by a link is not a start URL refusal twice.
    assert not frontier.admit("http://other.org/", 0, seed=True)
    assert frontier.admitted == 2


def test_max_pages_stops_admission() -> None:
    frontier = Frontier(Scope(["example.com"]), max_pages=2, max_depth=10)
    results = [frontier.admit(f"http://example.com/{i}", 1) for i in range(4)]
    assert results == [True, True, False, False]
    assert frontier.over_limit == {"http://example.com/2", "http://example.com/3"}
    assert frontier.stop_reason == "max_pages"


def test_max_depth_refuses_but_admits_when_found_closer() -> None:
    frontier = Frontier(Scope(["example.com"]), max_pages=100, max_depth=2)
    assert not frontier.admit("http://example.com/deep", 3)
    assert frontier.stop_reason == "max_depth"
    assert frontier.admit("http://example.com/deep", 2)
    assert frontier.stop_reason == "finished"


def test_every_limit_hit_outside_the_frontier_is_a_stop_reason() -> None:
    frontier = Frontier(Scope(["example.com"]), max_pages=100, max_depth=10)
    outcome = CrawlOutcome(notes={"max_sitemaps": 3, "max_redirects": 1, "robots_unavailable": 0})
    reasons, details = stop_summary(frontier, outcome)
    assert reasons == ["max_redirects", "max_sitemaps"]
    assert (details["max_redirects_chains"], details["max_sitemaps_skipped"]) == (1, 3)

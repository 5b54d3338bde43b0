"""Spider-trap heuristics, parameter rules and the frontier's best discovery per phase."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pytest

from linkcrawler.frontier import Frontier, Verdict
from linkcrawler.scope import Scope
from linkcrawler.traps import TrapDetector, volatile_params

TODAY = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://h.com/a/b/c", None),
        ("http://h.com/a/b/a/b", None),
        ("http://h.com/a/b/a/b/a", "repeating_segments"),
        ("http://h.com/x/x/x/", "repeating_segments"),
        ("http://h.com/" + "p" * 3000, "url_too_long"),
        ("http://h.com/s?a=1&b=2&c=3&d=4&e=5", None),
        ("http://h.com/s?a=1&b=2&c=3&d=4&e=5&f=6", "too_many_params"),
        ("http://h.com/s?a=1&a=2&a=3&a=4&a=5&a=6", None),
        ("http://h.com/events/2027/12/", None),
        ("http://h.com/events/2028/01/", "future_date"),
        ("http://h.com/cal?date=2031-05-01", "future_date"),
        ("http://h.com/cal?year=2030&month=1", "future_date"),
        ("http://h.com/archive/1999/05/", None),
        ("http://h.com/product/202801", None),
    ],
)
def test_trap_reasons(url: str, reason: str | None) -> None:
    assert TrapDetector(today=TODAY).check(url) == reason


def test_pattern_budget_counts_query_and_date_patterns_only() -> None:
    traps = TrapDetector(max_pattern_urls=2, today=TODAY)
    for url in (
        "http://h.com/s?q=1",
        "http://h.com/s?q=2",
        "http://h.com/p/1",
        "http://h.com/p/2",
        "http://h.com/p/3",
    ):
        assert traps.check(url) is None
        traps.admitted(url)
    assert traps.check("http://h.com/s?q=3") == "pattern_overflow"
    assert traps.check("http://h.com/s?q=3&page=2") is None  # another set of parameter names
    assert traps.check("http://h.com/p/4") is None
    traps.admitted("http://h.com/day/2026-01-01")
    traps.admitted("http://h.com/day/2026-01-02")
    assert traps.check("http://h.com/day/2026-01-03") == "pattern_overflow"


def frontier(**kwargs) -> Frontier:
    return Frontier(
        Scope(["h.com"]),
        max_pages=100,
        max_depth=10,
        traps=TrapDetector(max_pattern_urls=1, today=TODAY),
        **kwargs,
    )


def test_traps_are_fetched_once_or_recorded_when_a_budget_ran_out() -> None:
    f = frontier()
    assert f.offer("http://h.com/x/x/x", 1, "link") is Verdict.FETCH
    assert f.found["http://h.com/x/x/x"].trap == "repeating_segments"
    assert f.offer("http://h.com/s?q=1", 1, "link") is Verdict.FETCH
    assert f.offer("http://h.com/s?q=2", 1, "link") is Verdict.RECORD
    assert f.offer("http://h.com/s?q=3", 1, "link") is Verdict.SKIP  # beyond the recorded budget too
    assert f.stop_reasons == ["trap_suspected"]
    assert dict(f.stops.counts) == {
        "trap_suspected/repeating_segments": 1,
        "trap_suspected/pattern_overflow": 2,
    }


@pytest.mark.parametrize(
    ("crawl_params", "url", "fetched"),
    [
        (None, "http://h.com/s?anything=1", True),
        ([], "http://h.com/s?page=2", False),
        ([], "http://h.com/s", True),
        (["page", "utm_*"], "http://h.com/s?page=2", True),
        (["page"], "http://h.com/s?page=2&color=red", False),
        (["Page"], "http://h.com/s?PAGE=2", True),
    ],
)
def test_parameter_rules(crawl_params, url: str, fetched: bool) -> None:
    f = Frontier(Scope(["h.com"]), 100, 10, crawl_params=crawl_params)
    assert f.admit(url, 1) is fetched
    assert f.excluded == (0 if fetched else 1)


def test_best_discovery_within_a_phase() -> None:
    f = frontier()
    assert f.offer("http://h.com/a", 3, "redirect", hop=2) is Verdict.FETCH
    f.offer("http://h.com/a", 2, "redirect", hop=1)
    f.offer("http://h.com/a", 2, "link")
    f.offer("http://h.com/a", 2, "meta_refresh", hop=4)
    seen = f.found["http://h.com/a"]
    assert (seen.depth, seen.via, seen.hop) == (2, "link", 0)
    f.next_phase()
    f.offer("http://h.com/a", 0, "sitemap")
    assert (seen.depth, seen.via) == (2, "link")  # a later phase never rewrites an earlier discovery


def _links(rows: list[tuple[str, str]], internal: bool = True) -> pa.Table:
    return pa.table(
        {
            "source_url": [f"http://h.com{source}" for source, _ in rows],
            "target_url": [f"http://h.com{target}" for _, target in rows],
            "is_internal": [internal] * len(rows),
        }
    )


SESSION_SITE = [
    (f"/s{page}", f"{target}?osCsid=v{page}&lang=en") for page in range(3) for target in ("/p/", "/q/")
]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # A session id: one value per page, riding on links to different paths, never repeated.
        (
            SESSION_SITE,
            {
                "oscsid": {
                    "pages": 3,
                    "examples": [
                        "http://h.com/p/?osCsid=v0&lang=en",
                        "http://h.com/p/?osCsid=v1&lang=en",
                        "http://h.com/p/?osCsid=v2&lang=en",
                    ],
                }
            },
        ),
        # Fewer pages than the threshold.
        (SESSION_SITE[:4], {}),
        # "Next page" links: one value per page, but the value names its single target.
        ([(f"/blog/?page={n}", f"/blog/?page={n + 1}") for n in range(1, 6)], {}),
        # Facets: several values on one page.
        ([(f"/s{n}", f"/f/?color={c}") for n in range(4) for c in ("red", "blue")], {}),
        # The same value on every page (a constant tracking flag) does not change.
        ([(f"/s{n}", f"{t}?ref=nav") for n in range(4) for t in ("/p/", "/q/")], {}),
        # One page reuses another's value.
        ([*SESSION_SITE, ("/s3", "/p/?osCsid=v0"), ("/s3", "/q/?osCsid=v0")], {}),
    ],
)
def test_volatile_params(rows: list[tuple[str, str]], expected: dict) -> None:
    assert volatile_params(_links(rows), min_pages=3) == expected


def test_volatile_params_ignore_external_links_and_empty_tables() -> None:
    assert volatile_params(_links(SESSION_SITE, internal=False), min_pages=3) == {}
    assert volatile_params(_links([]), min_pages=3) == {}
    assert volatile_params(_links([("/a", "/b"), ("/a", "/c?")]), min_pages=1) == {}

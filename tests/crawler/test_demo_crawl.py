"""Crawl the demo site with the real CLI and the committed config; compare with the generator truth.

Every truth URL must have a page row with the same status (and the same page facts), there must
be no other URLs, and unique/total inlinks (also per position and nofollow) computed from the
crawl/links rows per the Definitions must equal the truth exactly.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from linkwarehouse.demo import DEFAULT_SEED, DemoSiteServer, Truth, build_site, load_truth, write_site
from linkwarehouse.demo.truth import site_nofollow_reasons

from .conftest import crawl_command, lake_rows

pytestmark = pytest.mark.integration

CONFIG = Path(__file__).resolve().parents[2] / "config" / "sites.yaml"


@pytest.fixture(scope="module")
def demo_crawl(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("demo")
    written = write_site(root / "site", version=1)
    lake = root / "lake"
    with DemoSiteServer(written.path) as server:
        env = {**os.environ, "DEMO_SITE_URL": server.base_url}
        result = subprocess.run(
            crawl_command(CONFIG, "demo", "demo1", lake),
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
            check=False,
        )
        hits = server.hits()
        base = server.base_url
    assert result.returncode == 0, result.stderr[-4000:]
    return {
        "base": base,
        "truth": load_truth(written.truth_path),
        "lake": lake,
        "hits": hits,
        "summary": json.loads(result.stdout.splitlines()[-1]),
        "stats": printed_stats(result.stdout),
    }


def printed_stats(stdout: str) -> dict[str, int]:
    """The numeric ``linkwarehouse/...`` counters of the CLI's printed summary."""
    found = re.findall(r"^  (linkwarehouse/\S+): (\d+)$", stdout, flags=re.MULTILINE)
    return {key: int(value) for key, value in found}


def as_path(url: str | None, base: str) -> str | None:
    return url[len(base) :] if url is not None and url.startswith(base + "/") else url


def test_every_truth_url_has_its_page_row_and_nothing_else(demo_crawl: dict[str, Any]) -> None:
    base, truth = demo_crawl["base"], demo_crawl["truth"]
    pages = {as_path(p["url"], base): p for p in lake_rows(demo_crawl["lake"], "crawl/pages", "url")}
    assert set(pages) == set(truth.urls)
    assert demo_crawl["summary"]["pages"] == len(truth.urls)
    mismatched = {
        path: (row.status, row.error, pages[path]["status"], pages[path]["error"])
        for path, row in truth.urls.items()
        if (row.status, row.error) != (pages[path]["status"], pages[path]["error"])
    }
    assert mismatched == {}


def test_session_variants_are_recorded_as_variants_and_volatile_keys_reported(
    demo_crawl: dict[str, Any],
) -> None:
    base, truth = demo_crawl["base"], demo_crawl["truth"]
    pages = lake_rows(demo_crawl["lake"], "crawl/pages", "url")
    variants = {as_path(p["url"], base): as_path(p["variant_of"], base) for p in pages if p["variant_of"]}
    assert variants == {path: row.variant_of for path, row in truth.urls.items() if row.variant_of}
    assert len(variants) == 6
    sources = {
        as_path(link["source_url"], base)
        for link in lake_rows(demo_crawl["lake"], "crawl/links", "source_url")
    }
    assert sources.isdisjoint(variants)  # recorded, never expanded
    (run,) = lake_rows(demo_crawl["lake"], "crawl/runs", "crawl_id")
    assert list(run["volatile_params"]) == list(truth.planted["volatile_params"])
    assert {p["folded_into"] for p in pages} == {None}


FACTS = (
    "content_type",
    "redirect_location",
    "title",
    "h1",
    "lang",
    "canonical",
    "meta_robots",
    "meta_googlebot",
    "x_robots_tag",
)


def test_page_facts_match(demo_crawl: dict[str, Any]) -> None:
    base, truth = demo_crawl["base"], demo_crawl["truth"]
    pages = {as_path(p["url"], base): p for p in lake_rows(demo_crawl["lake"], "crawl/pages", "url")}
    hreflang: dict[str, dict[str, str]] = {}
    for row in lake_rows(demo_crawl["lake"], "crawl/hreflang", "url"):
        alternates = hreflang.setdefault(as_path(row["url"], base), {})
        alternates[row["hreflang"]] = as_path(row["alternate_url"], base)
    differences = []
    for path, row in truth.urls.items():
        page = pages[path]
        crawled = {name: as_path(page[name], base) for name in ("redirect_location", "canonical")}
        for name in FACTS:
            expected, got = getattr(row, name), crawled.get(name, page[name])
            if expected != got:
                differences.append((path, name, expected, got))
        if (row.hreflang or None) != hreflang.get(path):
            differences.append((path, "hreflang", row.hreflang, hreflang.get(path)))
    assert differences == []


def inlinks(lake: Path, base: str) -> dict[str, dict[str, int]]:
    """unique/total inlinks per the Definitions, computed from crawl/links rows only."""
    sources: dict[str, set[str]] = {}
    counts: dict[str, Counter[str]] = {}
    for link in lake_rows(lake, "crawl/links", "source_url, ordinal"):
        target, source = link["target_url"], link["source_url"]
        if target is None or not link["is_internal"] or target == source:
            continue
        path = as_path(target, base)
        sources.setdefault(path, set()).add(source)
        counter = counts.setdefault(path, Counter())
        counter["total"] += 1
        counter[link["position"]] += 1
        counter["nofollow"] += link["nofollow"]
    return {
        path: {"unique": len(sources[path]), **{key: counts[path][key] for key in ("total", "nofollow")}}
        | {f"inlinks_{p}": counts[path][p] for p in ("nav", "header", "footer", "aside", "content")}
        for path in sources
    }


def expected_inlinks(truth: Truth) -> dict[str, dict[str, int]]:
    return {
        path: {
            "unique": row.unique_inlinks,
            "total": row.total_inlinks,
            "nofollow": row.nofollow_inlinks,
            "inlinks_nav": row.inlinks_nav,
            "inlinks_header": row.inlinks_header,
            "inlinks_footer": row.inlinks_footer,
            "inlinks_aside": row.inlinks_aside,
            "inlinks_content": row.inlinks_content,
        }
        for path, row in truth.urls.items()
        if row.total_inlinks
    }


def test_inlinks_equal_truth(demo_crawl: dict[str, Any]) -> None:
    got = inlinks(demo_crawl["lake"], demo_crawl["base"])
    expected = expected_inlinks(demo_crawl["truth"])
    assert set(got) == set(expected)
    assert {path: got[path] for path in got if got[path] != expected[path]} == {}


def test_every_link_carries_the_truths_nofollow_reasons(demo_crawl: dict[str, Any]) -> None:
    """nofollow_reason and nofollow of each of the ~90,000 link rows, against the model's links."""
    base = demo_crawl["base"]
    expected = site_nofollow_reasons(build_site(DEFAULT_SEED, 1))
    got = {
        (as_path(link["source_url"], base), link["ordinal"]): (link["nofollow_reason"], link["nofollow"])
        for link in lake_rows(demo_crawl["lake"], "crawl/links", "source_url, ordinal")
    }
    fetched = {key: reasons for key, reasons in expected.items() if key[0] in demo_crawl["truth"].urls}
    fetched = {key: reasons for key, reasons in fetched.items() if demo_crawl["truth"].urls[key[0]].status}
    assert set(got) == set(fetched)
    assert {key: value for key, value in got.items() if value != (fetched[key], bool(fetched[key]))} == {}
    reasons = Counter(reason for value, _ in got.values() for reason in value)
    assert set(reasons) == {"rel_nofollow", "rel_sponsored", "rel_ugc", "meta_robots", "x_robots_tag"}
    stats = demo_crawl["stats"]
    assert {
        reason: stats.get(f"linkwarehouse/links/nofollow_reason/{reason}") for reason in reasons
    } == reasons
    assert (
        stats["linkwarehouse/pages/nofollow/meta_robots"],
        stats["linkwarehouse/pages/nofollow/x_robots_tag"],
    ) == (2, 2)


def test_each_url_fetched_at_most_once(demo_crawl: dict[str, Any]) -> None:
    repeated = {path: n for path, n in demo_crawl["hits"].items() if n > 1 and path != "/robots.txt"}
    assert repeated == {}
    assert demo_crawl["hits"].get("/robots.txt") == 1  # one fetch: robots policy and sitemap discovery

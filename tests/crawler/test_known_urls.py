"""URLs known from the lake (previous crawl, GA4, Search Console) are fetched once links run dry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from linkcrawler.known_urls import GOOGLE_WINDOW_DAYS, known_urls
from linkwarehouse.lake import PartitionWriter, partition_dir, write_file_partition
from linkwarehouse.lake.schemas import CRAWL_PAGES, CRAWL_RUNS, GA4_PAGES, GSC_PAGES
from linkwarehouse.urls import normalize_url

from .conftest import html, lake_rows, run_crawl, write_config

pytestmark = pytest.mark.integration

TODAY = datetime.now(UTC).date()
RECENT, RECENT_UNPUBLISHED = str(TODAY - timedelta(days=3)), str(TODAY - timedelta(days=2))
STALE = str(TODAY - timedelta(days=GOOGLE_WINDOW_DAYS + 1))


def publish(lake: Path, table, partition: dict, rows: list[dict]) -> None:
    with PartitionWriter(lake, table, partition) as writer:
        writer.extend(rows)
        writer.publish()


def seed_lake(lake: Path, base: str) -> None:
    """A previous crawl, a GA4 day and a GSC day of site ``known`` (plus data that must be ignored)."""
    for crawl_id, urls in (("c0", ["/ancient"]), ("c1", ["/", "/old-page"])):
        publish(lake, CRAWL_PAGES, {"site": "known", "crawl_id": crawl_id}, [{"url": base + u} for u in urls])
        write_file_partition(
            lake, CRAWL_RUNS, {"site": "known"}, [{"crawl_id": crawl_id, "pages": len(urls)}]
        )
    publish(
        lake,
        GA4_PAGES,
        {"site": "known", "date": RECENT},
        [{"page_url": base + "/ga4-page"}, {"page_url": None}, {"page_url": "https://elsewhere.example/x"}],
    )
    publish(
        lake,
        GSC_PAGES,
        {"site": "known", "date": RECENT},
        [{"page_url": base + "/gsc-page"}, {"page_url": base + "/old-page"}],
    )
    publish(lake, GSC_PAGES, {"site": "known", "date": STALE}, [{"page_url": base + "/long-gone"}])
    publish(lake, GSC_PAGES, {"site": "other", "date": RECENT}, [{"page_url": base + "/other-site"}])
    unpublished = partition_dir(lake, GA4_PAGES, {"site": "known", "date": RECENT_UNPUBLISHED})
    unpublished.mkdir(parents=True)
    pq.write_table(pa.table({"page_url": [base + "/unpublished"]}), unpublished / "part-00000.parquet")


def test_known_urls_in_precedence_order(tmp_path: Path) -> None:
    base = "http://127.0.0.1:1"
    seed_lake(tmp_path, base)
    assert known_urls(tmp_path, "known", "c2", normalize_url) == [
        (f"{base}/", "previous_crawl"),
        (f"{base}/old-page", "previous_crawl"),
        (f"{base}/ga4-page", "ga4"),
        ("https://elsewhere.example/x", "ga4"),
        (f"{base}/gsc-page", "gsc"),
    ]
    assert known_urls(tmp_path, "known", "c1", normalize_url)[0] == (
        f"{base}/ancient",
        "previous_crawl",
    )


CONFIG = """sites:
  - name: known
    start_urls: ["{base}/"]
    discover_sitemaps: false
    crawl:
      allow_private_networks: ["127.0.0.1/32"]
      fetch_known_urls: {fetch}
"""


@pytest.mark.parametrize("workers", [1, 2])
def test_known_urls_are_fetched_last(serve, tmp_path: Path, workers: int) -> None:
    site = serve(
        {
            "/": html('<a href="/linked">linked</a>'),
            "/linked": html("<p>x</p>"),
            "/old-page": html("<p>old</p>"),
        }
    )
    lake = tmp_path / "lake"
    seed_lake(lake, site.base)
    config = CONFIG.format(base=site.base, fetch="true") + f"      workers: {workers}\n"
    result = run_crawl(write_config(tmp_path / "sites.yaml", config), "known", "c2", lake)
    assert result.returncode == 0, result.stderr[-3000:]
    pages = [
        (p["url"].replace(site.base, ""), p["status"], p["found_via"], p["depth_seen"])
        for p in lake_rows(lake, "crawl/pages", "url")
        if p["crawl_id"] == "c2"
    ]
    assert pages == [
        ("/", 200, "start", 0),
        ("/ga4-page", 404, "ga4", 0),
        ("/gsc-page", 404, "gsc", 0),
        ("/linked", 200, "link", 1),
        ("/old-page", 200, "previous_crawl", 0),
    ]
    result = run_crawl(
        write_config(tmp_path / "sites.yaml", CONFIG.format(base=site.base, fetch="false")),
        "known",
        "c3",
        lake,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert [p["url"] for p in lake_rows(lake, "crawl/pages", "url") if p["crawl_id"] == "c3"] == [
        f"{site.base}/",
        f"{site.base}/linked",
    ]


def test_google_window_matches_the_warehouse() -> None:
    project = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "dbt_project/dbt_project.yml").read_text()
    )
    assert project["vars"]["google_window_days"] == GOOGLE_WINDOW_DAYS

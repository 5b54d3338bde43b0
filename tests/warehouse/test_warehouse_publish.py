"""Publishing semantics: failures publish nothing; one build at a time (BI readers: test_incremental.py)."""

from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from linkwarehouse import warehouse
from linkwarehouse.lake import published_manifests
from linkwarehouse.settings import Settings
from linkwarehouse.warehouse import (
    BuildResult,
    DbtBuildError,
    WarehouseCheckError,
    WarehouseError,
    WarehouseLockTimeout,
    build_lock,
    build_warehouse,
)
from linkwarehouse.warehouse_checks import sanity_problems
from tests.warehouse.conftest import make_settings, published_copy
from tests.warehouse.lake_fixture import write_crawl
from tests.warehouse.test_incremental import shop_crawl
from tests.warehouse.test_warehouse_build import MART_NAMES

pytestmark = pytest.mark.integration


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def bad_crawl(problem: str) -> dict:
    crawl = shop_crawl(["/", "/p"], datetime(2024, 3, 1, tzinfo=UTC))
    if problem == "duplicate_pages":
        crawl["pages"].append(crawl["pages"][0])
    else:  # start URLs that match no page row: every page would look unreachable
        crawl["start_urls"] = ["https://shop.example/index.html"]
    return crawl


@pytest.mark.parametrize(
    ("problem", "failing_test"),
    [
        ("duplicate_pages", "unique_stg_crawl__pages"),
        ("start_url_not_crawled", "assert_every_crawl_starts_at_depth_0"),
    ],
)
def test_failed_dbt_build_leaves_published_files_untouched(
    built: BuildResult, warehouse_settings: Settings, tmp_path: Path, problem: str, failing_test: str
) -> None:
    settings = published_copy(built, warehouse_settings, tmp_path)
    write_crawl(settings.lake_root, "shop", "bad", bad_crawl(problem))
    before = {path.name: sha256(path) for path in [settings.marts_path, *settings.exports_dir.iterdir()]}

    with pytest.raises(DbtBuildError) as failure:
        build_warehouse(settings, run_id="broken")

    message = str(failure.value)
    assert failing_test in message
    assert str(settings.build_dir / "broken" / "logs") in message
    after = {path.name: sha256(path) for path in [settings.marts_path, *settings.exports_dir.iterdir()]}
    assert after == before
    assert not (settings.build_dir / "broken.duckdb").exists(), "a failed build's database is removed"
    assert (settings.build_dir / "broken" / "logs" / "dbt.log").exists(), "its logs are kept for debugging"


def test_failed_sanity_check_publishes_nothing_and_can_keep_the_build(
    built: BuildResult, warehouse_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path)
    shutil.copytree(warehouse_settings.lake_root, settings.lake_root)
    manifest = settings.lake_root / "crawl/pages/site=demo/crawl_id=jan/_SUCCESS"
    manifest.write_text(manifest.read_text().replace('"rows": 14', '"rows": 15'))
    # Stand-in for dbt: the session's (valid) build, so only the lake comparison can fail.
    monkeypatch.setattr(
        warehouse, "run_dbt_build", lambda _s, database, *_a, **_k: shutil.copy2(built.marts_path, database)
    )

    with pytest.raises(
        WarehouseCheckError, match="site 'demo' crawl 'jan': page_link_metrics has 14 rows, the pages"
    ):
        build_warehouse(settings, run_id="unchecked", keep_failed_build=True)

    assert not settings.marts_path.exists()
    assert not settings.exports_dir.exists()
    assert (settings.build_dir / "unchecked.duckdb").exists(), "kept for debugging on request"


def test_sanity_problems_compare_with_manifests(built: BuildResult, warehouse_settings: Settings) -> None:
    manifests = published_manifests(warehouse_settings.lake_root, "crawl/pages")
    assert sorted((m["partition"]["site"], m["partition"]["crawl_id"], m["rows"]) for m in manifests) == [
        ("demo", "feb", 13),
        ("demo", "jan", 14),
        ("demo", "mar", 2),
        ("shop", "s1", 2),
    ]
    with duckdb.connect(str(built.marts_path), read_only=True) as con:
        assert sanity_problems(con, manifests) == []
        tampered = [m for m in manifests if m["partition"]["site"] == "demo"]
        tampered[0] = {**tampered[0], "rows": 12}
        assert sanity_problems(con, tampered) == [
            "site 'demo' crawl 'feb': page_link_metrics has 13 rows, the pages manifest 12",
            "site 'demo' crawl 'feb': int_graph_metrics has 13 rows, the pages manifest 12",
            "site 'shop' crawl 's1': published but crawl/pages has no _SUCCESS manifest",
        ]


def test_sanity_problems_catch_a_pagerank_that_does_not_sum_to_one(
    built: BuildResult, warehouse_settings: Settings, tmp_path: Path
) -> None:
    database = tmp_path / "tampered.duckdb"
    shutil.copy2(built.marts_path, database)
    with duckdb.connect(str(database)) as con:
        con.execute(
            "update main.page_link_metrics set internal_pagerank = internal_pagerank * 2, "
            "equity_pagerank = equity_pagerank / 2 where crawl_id = 'jan'"
        )
        problems = sanity_problems(con, published_manifests(warehouse_settings.lake_root, "crawl/pages"))
    assert len(problems) == 2
    assert problems[0].startswith("site 'demo' crawl 'jan': internal_pagerank sums to 2.0")
    assert problems[1].startswith("site 'demo' crawl 'jan': equity_pagerank sums to 0.5")


def test_a_second_build_waits_for_the_lock(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with (
        build_lock(settings.warehouse_dir / ".build.lock", timeout=None),
        pytest.raises(WarehouseLockTimeout, match=r"warehouse/\.build\.lock: another warehouse build"),
    ):
        build_warehouse(settings, lock_timeout=0.3)
    assert not settings.lake_root.exists(), "nothing ran without the lock"


def test_unsafe_run_id_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match=r"unsafe run id '\.\./x'"):
        build_warehouse(make_settings(tmp_path), run_id="../x")


def test_build_on_an_empty_lake_publishes_empty_marts(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    result = build_warehouse(settings, run_id="empty", full_refresh=True)
    assert set(result.row_counts) == set(MART_NAMES)
    assert set(result.row_counts.values()) == {0}
    assert (settings.lake_root / "crawl/pages/site=_empty/crawl_id=_empty/part-00000.parquet").exists()
    with duckdb.connect(str(settings.marts_path), read_only=True) as con:
        assert con.execute("select count(*) from page_link_metrics").fetchone() == (0,)


def test_a_published_file_duckdb_cannot_open_is_not_reused(tmp_path: Path) -> None:
    published, database = tmp_path / "marts.duckdb", tmp_path / "build.duckdb"
    published.write_bytes(b"not a duckdb file" * 1000)
    assert warehouse.seed_from_published(published, database) is False
    assert not database.exists(), "the unusable copy is removed: the build starts empty"
    assert warehouse.seed_from_published(tmp_path / "missing.duckdb", database) is False

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from linkwarehouse.lake import (
    LakeError,
    PartitionWriter,
    ensure_placeholders,
    partition_dir,
    published_manifests,
    write_file_partition,
)
from linkwarehouse.lake.schemas import CRAWL_PAGES, CRAWL_RUNS, TABLES
from linkwarehouse.lake.writer import clean_staging, delete_site

PART = {"site": "shop", "crawl_id": "20260101T000000Z"}


def pages(n: int, prefix: str = "p") -> list[dict]:
    return [{"url": f"http://h.example/{prefix}{i}", "status": 200} for i in range(n)]


def test_publish_writes_parts_and_manifest(tmp_path: Path) -> None:
    with PartitionWriter(tmp_path, "crawl/pages", PART, run_id="r1", batch_rows=4) as writer:
        writer.extend(pages(10))
        manifest = writer.publish({"crawl_id": PART["crawl_id"]})
    final = partition_dir(tmp_path, CRAWL_PAGES, PART)
    assert sorted(p.name for p in final.iterdir()) == [
        "_SUCCESS",
        "part-00000.parquet",
        "part-00001.parquet",
        "part-00002.parquet",
    ]
    assert manifest["rows"] == 10
    assert json.loads((final / "_SUCCESS").read_text())["rows"] == 10
    assert pq.read_table(final).num_rows == 10
    assert not (tmp_path / "_staging" / "r1" / "crawl").exists()


def test_unpublished_partition_is_invisible_and_abort_cleans(tmp_path: Path) -> None:
    writer = PartitionWriter(tmp_path, "crawl/pages", PART, run_id="r1", batch_rows=2)
    writer.extend(pages(5))
    assert not partition_dir(tmp_path, CRAWL_PAGES, PART).exists()
    writer.abort()
    assert not writer.staging_dir.exists()


def test_exception_inside_block_aborts(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), PartitionWriter(tmp_path, "crawl/pages", PART) as writer:
        writer.extend(pages(3))
        raise RuntimeError("crawler died")
    assert not writer.staging_dir.exists()
    assert not partition_dir(tmp_path, CRAWL_PAGES, PART).exists()


def test_rerun_replaces_only_its_partition(tmp_path: Path) -> None:
    other = {"site": "shop", "crawl_id": "20250101T000000Z"}
    for part, n in ((other, 2), (PART, 5), (PART, 3)):
        with PartitionWriter(tmp_path, "crawl/pages", part) as writer:
            writer.extend(pages(n))
            writer.publish()
    assert pq.read_table(partition_dir(tmp_path, CRAWL_PAGES, PART)).num_rows == 3
    assert pq.read_table(partition_dir(tmp_path, CRAWL_PAGES, other)).num_rows == 2
    assert sorted(m["rows"] for m in published_manifests(tmp_path, "crawl/pages")) == [2, 3]


def test_empty_publish_keeps_schema(tmp_path: Path) -> None:
    with PartitionWriter(tmp_path, "crawl/links", PART) as writer:
        assert writer.publish()["rows"] == 0
    table = pq.read_table(partition_dir(tmp_path, TABLES["crawl/links"], PART))
    assert table.num_rows == 0
    assert "target_url" in table.schema.names


@pytest.mark.parametrize(
    "partition",
    [
        {"site": "../etc", "crawl_id": "x"},
        {"site": "a/b", "crawl_id": "x"},
        {"site": "ok"},
        {"site": "", "crawl_id": "x"},
    ],
)
def test_rejects_bad_partitions(tmp_path: Path, partition: dict) -> None:
    with pytest.raises(LakeError):
        PartitionWriter(tmp_path, "crawl/pages", partition)


def test_unknown_column(tmp_path: Path) -> None:
    with (
        pytest.raises(LakeError, match="unknown columns"),
        PartitionWriter(tmp_path, "crawl/pages", PART) as writer,
    ):
        writer.append({"url": "x", "nope": 1})


def test_placeholder_of_an_older_schema_is_replaced_so_new_columns_resolve(tmp_path: Path) -> None:
    """A lake whose placeholder and partitions predate links.nofollow_reason still reads it (null)."""
    links = TABLES["crawl/links"]
    old_schema = pa.schema([field for field in links.schema if field.name != "nofollow_reason"])
    placeholder = tmp_path / "crawl/links/site=_empty/crawl_id=_empty/part-00000.parquet"
    old_partition = tmp_path / "crawl/links/site=shop/crawl_id=old/part-00000.parquet"
    old_row = {"source_url": "u", "target_url": "v", "rel": ["sponsored"], "nofollow": False, "ordinal": 1}
    for path, table in (
        (placeholder, old_schema.empty_table()),
        (old_partition, pa.Table.from_pylist([old_row], old_schema)),
    ):
        path.parent.mkdir(parents=True)
        pq.write_table(table, path)
    files = f"{tmp_path}/crawl/links/*/*/*.parquet"
    glob = f"read_parquet('{files}', hive_partitioning = true, union_by_name = true)"
    with pytest.raises(duckdb.BinderException, match="nofollow_reason"):
        duckdb.sql(f"select nofollow_reason from {glob}").fetchall()
    ensure_placeholders(tmp_path)
    assert pq.read_schema(placeholder).equals(links.schema)
    assert duckdb.sql(f"select site, rel, nofollow_reason from {glob}").fetchall() == [
        ("shop", ["sponsored"], None)
    ]
    written = placeholder.stat().st_mtime_ns
    ensure_placeholders(tmp_path)  # current placeholders are left alone
    assert placeholder.stat().st_mtime_ns == written


def test_file_partition_and_placeholders_make_globs_resolve(tmp_path: Path) -> None:
    ensure_placeholders(tmp_path)
    ensure_placeholders(tmp_path)
    con = duckdb.connect()
    empty = con.execute(
        f"select count(*) from read_parquet('{tmp_path}/crawl/pages/*/*/*.parquet', hive_partitioning = true)"
    ).fetchone()
    assert empty == (0,)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    row = {
        "crawl_id": PART["crawl_id"],
        "started_at": now,
        "finished_at": now,
        "pages": 3,
        "start_urls": ["u"],
    }
    path = write_file_partition(tmp_path, CRAWL_RUNS, {"site": "shop"}, [row])
    assert path == tmp_path / "crawl/runs/site=shop/20260101T000000Z.parquet"
    runs = con.execute(
        "select site, crawl_id, pages from "
        f"read_parquet('{tmp_path}/crawl/runs/*/*.parquet', hive_partitioning = true)"
    ).fetchall()
    assert runs == [("shop", PART["crawl_id"], 3)]
    assert published_manifests(tmp_path, "crawl/pages") == []


def test_delete_site(tmp_path: Path) -> None:
    for site in ("shop", "blog"):
        with PartitionWriter(tmp_path, "crawl/pages", {**PART, "site": site}) as writer:
            writer.extend(pages(1))
            writer.publish()
    assert delete_site(tmp_path, "shop") == 1
    assert [m["partition"]["site"] for m in published_manifests(tmp_path, "crawl/pages")] == ["blog"]
    with pytest.raises(LakeError):
        delete_site(tmp_path, "../x")


def test_replacing_leaves_no_staging_behind(tmp_path: Path) -> None:
    for n in (2, 1):
        with PartitionWriter(tmp_path, "crawl/pages", PART, run_id="same") as writer:
            writer.extend(pages(n))
            writer.publish()
    assert not (tmp_path / "_staging" / "same").exists()


@pytest.mark.parametrize("run_id", ["..", "../crawl", "a/b", ".hidden"])
def test_unsafe_staging_run_ids_are_refused_before_anything_is_deleted(tmp_path: Path, run_id: str) -> None:
    with PartitionWriter(tmp_path, "crawl/pages", PART) as writer:
        writer.extend(pages(2))
        writer.publish()
    with pytest.raises(LakeError, match="unsafe staging run id"):
        PartitionWriter(tmp_path, "crawl/pages", PART, run_id=run_id)
    with pytest.raises(LakeError, match="unsafe staging run id"):
        clean_staging(tmp_path, run_id)
    assert pq.read_table(partition_dir(tmp_path, CRAWL_PAGES, PART)).num_rows == 2


def test_write_table_fills_missing_columns_and_adopt_moves_parts(tmp_path: Path) -> None:
    with PartitionWriter(tmp_path, "crawl/pages", PART, run_id="first") as first:
        first.write_table(pa.table({"url": ["http://h.example/a"], "status": [301]}))
        with pytest.raises(LakeError, match=r"unknown columns \['nope'\]"):
            first.write_table(pa.table({"nope": [1]}))
        first.flush()
        (part,) = first.staging_dir.glob("part-*.parquet")
        with PartitionWriter(tmp_path, "crawl/pages", PART, run_id="second") as second:
            second.append({"url": "http://h.example/b"})
            second.adopt(part)
            assert second.publish()["rows"] == 2
        first.abort()
    table = pq.read_table(partition_dir(tmp_path, CRAWL_PAGES, PART))
    assert table.schema.equals(CRAWL_PAGES.schema, check_metadata=False)
    assert sorted(zip(table["url"].to_pylist(), table["status"].to_pylist(), strict=True)) == [
        ("http://h.example/a", 301),
        ("http://h.example/b", None),
    ]

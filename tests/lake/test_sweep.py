"""The lake sweep removes what killed writers left and never what a live writer is writing.

Live and dead writers are real processes: a child that claims a staging folder and waits, then
is SIGKILLed. "Another machine" and old age are set in the claim and through ``now``, never
by waiting for the clock.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from linkwarehouse.faults import KILL_AT_ENV, TRACE_ENV
from linkwarehouse.lake import PartitionWriter, partition_dir, write_file_partition
from linkwarehouse.lake.schemas import CRAWL_LINKS, CRAWL_PAGES, CRAWL_RUNS, GA4_PAGES
from linkwarehouse.lake.sweep import sweep_lake
from linkwarehouse.lake.writer import OWNER, claim_staging, release_staging, staging_owner, staging_root
from linkwarehouse.liveness import Owner, is_alive

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DAY = {"site": "shop", "date": "2026-02-27"}

CLAIMER = textwrap.dedent(
    """
    import sys
    from linkwarehouse.lake.writer import claim_staging
    for run_id in sys.argv[2:]:
        claim_staging(sys.argv[1], run_id)
    print("claimed", flush=True)
    sys.stdin.read()
    """
)


class Claimer:
    """A real process holding claims on staging folders until it is killed."""

    def __init__(self, lake: Path, *run_ids: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", CLAIMER, str(lake), *run_ids],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "claimed"

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


@pytest.fixture
def claimers() -> Iterator[list[Claimer]]:
    started: list[Claimer] = []
    yield started
    for claimer in started:
        if claimer.process.poll() is None:
            claimer.kill()


def stage(lake: Path, run_id: str, table: str = "crawl/pages", crawl_id: str = "c1") -> Path:
    """Rows staged by ``run_id`` as a writer leaves them when killed before publishing."""
    writer = PartitionWriter(lake, table, {"site": "shop", "crawl_id": crawl_id}, run_id=run_id)
    writer.extend([{"url": "http://shop.example/a", "status": 200}])
    writer.flush()
    return writer.staging_dir


def publish(lake: Path, table: str, crawl_id: str, run_id: str, site: str = "shop") -> Path:
    with PartitionWriter(lake, table, {"site": site, "crawl_id": crawl_id}, run_id=run_id) as writer:
        writer.append({"url": f"http://{site}.example/", "status": 200} if "pages" in table else {})
        writer.publish()
    return partition_dir(
        lake, CRAWL_PAGES if "pages" in table else CRAWL_LINKS, {"site": site, "crawl_id": crawl_id}
    )


def commit(lake: Path, crawl_id: str, site: str = "shop") -> None:
    write_file_partition(lake, CRAWL_RUNS, {"site": site}, [{"crawl_id": crawl_id, "pages": 1}])


def set_owner(lake: Path, run_id: str, owner: Owner) -> None:
    (staging_root(lake, run_id) / OWNER).write_text(owner.to_json())


def age(path: Path, seconds: float) -> None:
    """Make every file under ``path`` look ``seconds`` old relative to NOW."""
    stamp = NOW.timestamp() - seconds
    for root, dirs, files in os.walk(path):
        for name in (*dirs, *files):
            os.utime(Path(root) / name, (stamp, stamp))
    os.utime(path, (stamp, stamp))


def test_a_killed_writers_staging_goes_and_a_live_ones_stays(tmp_path: Path, claimers: list[Claimer]) -> None:
    live, dead = Claimer(tmp_path, "crawl-shop-live"), Claimer(tmp_path, "crawl-shop-dead")
    claimers += [live, dead]
    stage(tmp_path, "crawl-shop-live")
    stage(tmp_path, "crawl-shop-dead")
    age(tmp_path / "_staging", 30 * 86_400)  # a month old: age alone would delete both
    dead.kill()

    report = sweep_lake(tmp_path, now=NOW)

    assert report.removed_staging == ["_staging/crawl-shop-dead"]
    assert report.kept_live == ["_staging/crawl-shop-live"]
    assert sorted(p.name for p in (tmp_path / "_staging").iterdir()) == ["crawl-shop-live"]
    assert (
        staging_root(tmp_path, "crawl-shop-live") / "crawl/pages/site=shop/crawl_id=c1/part-00000.parquet"
    ).exists()


def test_a_recycled_pid_is_not_the_owner(tmp_path: Path) -> None:
    claim_staging(tmp_path, "r1")
    me = staging_owner(tmp_path, "r1")
    assert me is not None and is_alive(me) is True
    impostor = replace(me, started=str(int(me.started) + 1))  # same pid, another start time
    set_owner(tmp_path, "r1", impostor)
    assert is_alive(impostor) is False
    assert sweep_lake(tmp_path, now=NOW).removed_staging == ["_staging/r1"]


@pytest.mark.parametrize(
    ("hours_old", "removed"),
    [(23, False), (25, True)],
)
def test_a_claim_from_another_machine_is_trusted_for_24_hours(
    tmp_path: Path, hours_old: int, removed: bool
) -> None:
    stage(tmp_path, "elsewhere")
    claimed = (NOW - timedelta(hours=hours_old)).isoformat()
    set_owner(tmp_path, "elsewhere", Owner("worker-7", "boot", "1", 4242, "99", claimed))
    report = sweep_lake(tmp_path, now=NOW)
    assert report.removed_staging == (["_staging/elsewhere"] if removed else [])
    assert staging_root(tmp_path, "elsewhere").exists() is not removed


@pytest.mark.parametrize(("hours_old", "removed"), [(23, False), (25, True)])
def test_a_folder_without_claim_goes_by_the_age_of_its_newest_file(
    tmp_path: Path, hours_old: int, removed: bool
) -> None:
    folder = stage(tmp_path, "legacy")
    (staging_root(tmp_path, "legacy") / OWNER).unlink()
    age(staging_root(tmp_path, "legacy"), 40 * 3600)
    age(folder / "part-00000.parquet", hours_old * 3600)
    assert sweep_lake(tmp_path, now=NOW).removed_staging == (["_staging/legacy"] if removed else [])


def test_orphan_crawl_partitions_of_dead_writers_go(tmp_path: Path, claimers: list[Claimer]) -> None:
    """Committed crawls stay; a killed publish's partitions go; a publishing crawl's stay."""
    for table in ("crawl/pages", "crawl/links"):
        publish(tmp_path, table, "done", "crawl-shop-done")
        publish(tmp_path, table, "killed", "crawl-shop-killed")
        publish(tmp_path, table, "publishing", "crawl-shop-publishing")
        publish(tmp_path, table, "killed", "crawl-blog-killed", site="blog")
    commit(tmp_path, "done")
    killed = Claimer(tmp_path, "crawl-shop-killed")
    claimers += [killed, Claimer(tmp_path, "crawl-shop-publishing")]
    killed.kill()

    report = sweep_lake(tmp_path, sites=["shop"], now=NOW)

    assert sorted(report.removed_partitions) == [
        "crawl/links/site=shop/crawl_id=killed",
        "crawl/pages/site=shop/crawl_id=killed",
    ]
    assert report.removed_staging == ["_staging/crawl-shop-killed"]
    remaining = sorted(
        str(p.parent.relative_to(tmp_path)) for p in tmp_path.glob("crawl/*/site=*/crawl_id=*/_SUCCESS")
    )
    assert remaining == [
        f"crawl/{table}/site={site}/crawl_id={crawl}"
        for table in ("links", "pages")
        for site, crawl in (("blog", "killed"), ("shop", "done"), ("shop", "publishing"))
    ]


def test_an_orphan_partition_without_staging_goes_by_age(tmp_path: Path) -> None:
    young = publish(tmp_path, "crawl/pages", "young", "gone-1")
    old = publish(tmp_path, "crawl/pages", "old", "gone-2")
    age(young, 3600)
    age(old, 25 * 3600)
    assert sweep_lake(tmp_path, now=NOW).removed_partitions == ["crawl/pages/site=shop/crawl_id=old"]


def replace_day_killed_mid_swap(lake: Path) -> subprocess.CompletedProcess[str]:
    """A real process replacing a published GA4 day, SIGKILLed between the two renames."""
    code = textwrap.dedent(
        f"""
        from linkwarehouse.lake import PartitionWriter
        with PartitionWriter({str(lake)!r}, "ga4_pages", {DAY!r}, run_id="ga4-new") as writer:
            writer.extend([{{"page_url": "http://shop.example/new", "sessions": 9}}])
            writer.publish()
        """
    )
    env = {**os.environ, KILL_AT_ENV: "lake.swap@1", TRACE_ENV: str(lake.parent / "trace")}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)


def test_a_partition_whose_writer_died_mid_swap_is_put_back(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    with PartitionWriter(lake, GA4_PAGES, DAY, run_id="ga4-old") as writer:
        writer.extend([{"page_url": "http://shop.example/old", "sessions": 5}])
        writer.publish()
    final = partition_dir(lake, GA4_PAGES, DAY)
    before = {p.name: p.read_bytes() for p in final.iterdir()}

    killed = replace_day_killed_mid_swap(lake)

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert (tmp_path / "trace").read_text().splitlines() == ["lake.part", "lake.swap"]
    assert not final.exists(), "the kill landed between the renames"
    report = sweep_lake(lake, now=NOW)
    assert report.restored == ["ga4_pages/site=shop/date=2026-02-27"]
    assert report.removed_staging == ["_staging/ga4-new"]
    assert {p.name: p.read_bytes() for p in final.iterdir()} == before
    assert pq.read_table(final / "part-00000.parquet").column("sessions").to_pylist() == [5]
    assert not (lake / "_staging").exists() or not any((lake / "_staging").iterdir())


def test_temp_files_of_single_file_writes_go_after_an_hour(tmp_path: Path) -> None:
    commit(tmp_path, "c1")
    runs = partition_dir(tmp_path, CRAWL_RUNS, {"site": "shop"})
    old, young = runs / ".c2.aaaa.tmp", runs / ".c3.bbbb.tmp"
    old.write_bytes(b"PAR1")
    young.write_bytes(b"PAR1")
    age(old, 2 * 3600)
    age(young, 30 * 60)
    report = sweep_lake(tmp_path, now=NOW)
    assert report.removed_temp_files == ["crawl/runs/site=shop/.c2.aaaa.tmp"]
    assert sorted(p.name for p in runs.iterdir()) == [".c3.bbbb.tmp", "c1.parquet"]


def test_claims_are_taken_over_from_the_dead_and_left_to_the_living(
    tmp_path: Path, claimers: list[Claimer]
) -> None:
    other = Claimer(tmp_path, "shared", "orphaned")
    claimers.append(other)
    theirs = staging_owner(tmp_path, "shared")
    assert claim_staging(tmp_path, "shared") is False, "a live claim is kept"
    release_staging(tmp_path, "shared")
    assert staging_owner(tmp_path, "shared") == theirs, "only the owner releases its claim"
    other.kill()
    assert claim_staging(tmp_path, "orphaned") is True, "a dead process's claim is taken over"
    mine = staging_owner(tmp_path, "orphaned")
    assert mine is not None and mine.pid == os.getpid()
    release_staging(tmp_path, "orphaned")
    assert not staging_root(tmp_path, "orphaned").exists()


def test_a_writer_leaves_no_claim_behind(tmp_path: Path) -> None:
    with PartitionWriter(tmp_path, GA4_PAGES, DAY) as writer:
        assert json.loads((staging_root(tmp_path, writer.run_id) / OWNER).read_text())["pid"] == os.getpid()
        writer.append({"page_url": "http://shop.example/", "sessions": 1})
        writer.publish()
    assert not any((tmp_path / "_staging").iterdir())
    with PartitionWriter(tmp_path, GA4_PAGES, DAY) as writer:
        writer.abort()
    assert not any((tmp_path / "_staging").iterdir())


def test_folders_the_pipeline_never_writes_are_left_alone(tmp_path: Path) -> None:
    odd = tmp_path / "_staging" / ".not ours"
    odd.mkdir(parents=True)
    age(odd, 30 * 86_400)
    report = sweep_lake(tmp_path, now=NOW)
    assert (report.removed_staging, report.kept_live) == ([], [])
    assert odd.exists()

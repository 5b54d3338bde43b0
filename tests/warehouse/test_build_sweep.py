"""Leftovers of killed builds go at the next build; a live build's files and lock are never touched.

The processes are real: a build lock held by a process that is then SIGKILLed, a dbt stand-in
(``sleep``) that inherits the lock, ``linkwarehouse.bound_child`` dying with its parent.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from linkwarehouse.warehouse import (
    KEEP_BUILD_LOGS,
    LOCK_FILE,
    WarehouseLockTimeout,
    build_lock,
    build_warehouse,
    sweep_build_dir,
)
from tests.warehouse.conftest import make_settings

SLEEP = shutil.which("sleep") or "/bin/sleep"

HOLDER = textwrap.dedent(
    """
    import os, subprocess, sys
    from pathlib import Path
    from linkwarehouse.warehouse import build_lock
    lock_path, how, command = Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
    if how == "bound":
        command = [sys.executable, "-m", "linkwarehouse.bound_child", *command]
    env = {**os.environ, "LINKWAREHOUSE_PARENT_PID": str(os.getpid())}
    with build_lock(lock_path, None) as lock:
        child = subprocess.Popen(command, pass_fds=(lock.fd,), env=env)
        print(child.pid, flush=True)
        sys.stdin.read()
    """
)


def hold_lock(lock: Path, how: str) -> tuple[subprocess.Popen[str], int]:
    """A process holding the build lock with a child (``sleep 600``) that inherits it."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock), how, SLEEP, "600"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    return holder, int(holder.stdout.readline())


def running(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting to be reaped does not count)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def wait_until(condition, seconds: float = 60) -> bool:
    """Poll until ``condition()`` (an event that takes milliseconds, or never happens)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait()


def test_a_killed_builds_child_keeps_the_lock_until_it_ends(tmp_path: Path) -> None:
    """Without bound_child (e.g. not on Linux) dbt outlives a killed build: it still holds the
    lock, so the next build waits instead of sweeping a file that is being written."""
    lock = tmp_path / LOCK_FILE
    holder, child = hold_lock(lock, "plain")
    kill(holder)
    assert running(child)
    with pytest.raises(WarehouseLockTimeout), build_lock(lock, timeout=0.3):
        pass
    os.kill(child, signal.SIGKILL)
    assert wait_until(lambda: not running(child))
    with build_lock(lock, timeout=30) as held:
        assert held.waited_s >= 0


def test_dbt_dies_with_a_killed_build(tmp_path: Path) -> None:
    lock = tmp_path / LOCK_FILE
    holder, child = hold_lock(lock, "bound")
    assert running(child)
    kill(holder)
    assert wait_until(lambda: not running(child)), "the child outlived its killed parent"
    with build_lock(lock, timeout=30):
        pass


def test_the_next_build_sweeps_what_killed_builds_left(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    build = settings.build_dir
    build.mkdir(parents=True)
    for run in ("killed-1", "killed-2"):
        (build / f"{run}.duckdb").write_bytes(b"x" * 1000)
        (build / f"{run}.duckdb.wal").write_bytes(b"x")
    (build / "killed-1.duckdb.tmp").mkdir()
    (build / "current.duckdb").write_bytes(b"mine")
    logs = []
    for age in range(KEEP_BUILD_LOGS + 2):
        folder = build / f"failed-{age}"
        (folder / "logs").mkdir(parents=True)
        stamp = 1_700_000_000 - age * 3600
        os.utime(folder, (stamp, stamp))
        logs.append(folder.name)
    (build / "current").mkdir()
    settings.exports_dir.mkdir(parents=True)
    (settings.exports_dir / ".page_link_metrics.killed-1.parquet.tmp").write_bytes(b"x")
    (settings.exports_dir / "page_link_metrics.parquet").write_bytes(b"published")

    removed = sweep_build_dir(settings, "current")

    assert removed == [
        "killed-1.duckdb",
        "killed-1.duckdb.tmp",
        "killed-1.duckdb.wal",
        "killed-2.duckdb",
        "killed-2.duckdb.wal",
        f"{logs[-2]}/",
        f"{logs[-1]}/",
        "exports/.page_link_metrics.killed-1.parquet.tmp",
    ]
    assert sorted(p.name for p in build.iterdir()) == sorted(
        ["current", "current.duckdb", *logs[:KEEP_BUILD_LOGS]]
    )
    assert [p.name for p in settings.exports_dir.iterdir()] == ["page_link_metrics.parquet"]


def test_a_build_waiting_for_a_live_build_touches_none_of_its_files(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    settings.build_dir.mkdir(parents=True)
    live = settings.build_dir / "live.duckdb"
    live.write_bytes(b"being written")
    holder, child = hold_lock(settings.warehouse_dir / LOCK_FILE, "bound")
    try:
        with pytest.raises(WarehouseLockTimeout):
            build_warehouse(settings, run_id="next", lock_timeout=0.5)
        assert live.read_bytes() == b"being written"
    finally:
        kill(holder)
    assert wait_until(lambda: not running(child))


def test_the_sweep_command(tmp_path: Path) -> None:
    """``linkwarehouse sweep``: a two-day-old staging folder without owner, a killed build's file."""
    lake, warehouse = tmp_path / "lake", tmp_path / "warehouse"
    legacy = lake / "_staging" / "crawl-shop-1" / "crawl" / "pages"
    legacy.mkdir(parents=True)
    (legacy / "part-00000.parquet").write_bytes(b"x")
    two_days_ago = time.time() - 2 * 86_400
    for path in (legacy / "part-00000.parquet", legacy, legacy.parent, legacy.parent.parent):
        os.utime(path, (two_days_ago, two_days_ago))
    (warehouse / "build").mkdir(parents=True)
    (warehouse / "build" / "killed.duckdb").write_bytes(b"x")
    env = {**os.environ, "LINKWAREHOUSE_LAKE": str(lake), "LINKWAREHOUSE_WAREHOUSE": str(warehouse)}
    cli = str(Path(sys.executable).with_name("linkwarehouse"))

    result = subprocess.run([cli, "sweep"], env=env, capture_output=True, text=True, check=False)

    assert result.returncode == 0, result.stderr
    printed = [line for line in result.stdout.splitlines() if not line[:4].isdigit()]  # not log lines
    assert printed == [
        f"lake {lake}: restored 0 partition(s), removed 1 staging folder(s), 0 orphan partition(s)"
        " and 0 temp file(s); kept 0 in use",
        "  removed _staging/crawl-shop-1",
        f"warehouse {warehouse / 'build'}: removed 1 leftover(s) of earlier builds",
        "  removed killed.duckdb",
    ]
    assert list((lake / "_staging").iterdir()) == []
    assert list((warehouse / "build").iterdir()) == []

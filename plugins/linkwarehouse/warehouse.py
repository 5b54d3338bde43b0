"""Build the warehouse with dbt into a run-private file, check it, then publish it atomically.

DuckDB allows one writer per file and a reader holding a file blocks writers, so the build
never touches ``warehouse/marts.duckdb``: ``dbt build`` writes ``warehouse/build/<run_id>.duckdb``,
sanity checks compare it with the lake manifests, and only then is it checkpointed, closed and
renamed over ``marts.duckdb``. A BI client that holds the old file open read-only keeps reading
the old inode undisturbed; the next ``connect`` sees the new warehouse, never a half-built one.
The marts are also exported to ``warehouse/exports/<mart>.parquet`` (temp file, then rename);
exports of marts the project no longer defines are removed.

The run-private file starts as a copy of the published one, so the graph models (PageRank and
click depth, materialised ``incremental_by_crawl``) only compute crawls they have not computed
before: a rebuild after a new GA4 day re-runs the cheap SQL models, not the graph of every
crawl. Relations the dbt project no longer defines are dropped from the copy before publishing.
dbt unit tests (model logic on fixtures) are not part of a warehouse build; CI runs them
(tests/warehouse/test_dbt_unit_tests.py).

A failed build or failed check leaves the published files untouched; the failed build's
database file is deleted (pass ``keep_failed_build=True`` to keep it until the next build) while
its dbt logs and ``run_results.json`` stay in ``warehouse/build/<run_id>/`` for debugging.

A killed build cleans up nothing, so every build first sweeps ``warehouse/build/`` and the
exports' temp files (:func:`sweep_build_dir`). It does so holding the build lock, which the
build and its dbt child hold for their whole life (the lock's file descriptor is passed to dbt,
and dbt is killed with its parent: :mod:`linkwarehouse.bound_child`), so no live build's file
is ever touched; the logs of the last few failed or killed builds are kept.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections import deque
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from linkwarehouse.config import ConfigError, load_sites
from linkwarehouse.faults import kill_point
from linkwarehouse.lake import ensure_placeholders, published_manifests
from linkwarehouse.settings import Settings, load_settings
from linkwarehouse.warehouse_checks import sanity_problems

__all__ = [
    "BuildResult",
    "DbtBuildError",
    "WarehouseCheckError",
    "WarehouseError",
    "WarehouseLockTimeout",
    "build_warehouse",
]

logger = logging.getLogger(__name__)

MART_SCHEMA = "main"
PROJECT_SCHEMAS = (MART_SCHEMA, "staging", "intermediate")
LOCK_FILE = ".build.lock"
#: Log folders of earlier (failed or killed) builds kept in warehouse/build/ for debugging.
KEEP_BUILD_LOGS = 5
_DBT_NODE_DONE = re.compile(r"\b\d+ of \d+ (OK|PASS|WARN|ERROR|FAIL|SKIP)\b")
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")
_TAIL_LINES = 30


class WarehouseError(RuntimeError):
    """The warehouse could not be built or published; the published files are unchanged."""


class WarehouseLockTimeout(WarehouseError):
    """Another build held the build lock for longer than the caller was willing to wait."""


class DbtBuildError(WarehouseError):
    """``dbt build`` failed (a model error or a failing data/unit test)."""


class WarehouseCheckError(WarehouseError):
    """The built file disagrees with the lake manifests or with itself (see warehouse_checks)."""


@dataclass(frozen=True)
class BuildResult:
    """What a successful build published, how big it is and where the time went."""

    run_id: str
    marts_path: Path
    exports: dict[str, Path]
    row_counts: dict[str, int]
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, object]:
        """JSON-safe summary (Airflow XCom, CLI output)."""
        return {
            "run_id": self.run_id,
            "marts": str(self.marts_path),
            "exports": {mart: str(path) for mart, path in self.exports.items()},
            "rows": dict(self.row_counts),
            "timings_s": {name: round(value, 3) for name, value in self.timings.items()},
        }


def new_run_id() -> str:
    """Sortable, collision-free id of one build (``20240101T120000-1a2b3c4d``)."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class HeldLock:
    """The build lock while held: how long it took, and the descriptor child processes inherit
    so the lock stays held as long as any of them runs."""

    waited_s: float
    fd: int


@contextmanager
def build_lock(path: Path, timeout: float | None) -> Iterator[HeldLock]:
    """Hold an exclusive ``flock`` on ``path``.

    The kernel drops the lock when the holder (and every child it passed the descriptor to)
    has died, so a killed build never wedges the next.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with path.open("a") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if timeout is not None and time.monotonic() - started >= timeout:
                    raise WarehouseLockTimeout(
                        f"{path}: another warehouse build still holds the lock after {timeout:g} s"
                    ) from None
                time.sleep(0.2)
        try:
            yield HeldLock(time.monotonic() - started, handle.fileno())
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def dbt_executable() -> str:
    """The dbt of the running interpreter's environment (the venv), else the one on PATH."""
    candidate = Path(sys.executable).with_name("dbt")
    if candidate.exists():
        return str(candidate)
    found = shutil.which("dbt")
    if found is None:
        raise WarehouseError(f"no dbt executable next to {sys.executable} or on PATH")
    return found


def _failed_nodes(run_results: Path) -> list[str]:
    """``unique_id: message`` of every errored or failed node, from dbt's run_results.json."""
    try:
        results = json.loads(run_results.read_text())["results"]
    except (OSError, ValueError, KeyError):
        return []
    return [
        f"{item['unique_id']}: {(item.get('message') or item['status']).strip()}"
        for item in results
        if item.get("status") in ("error", "fail", "runtime error")
    ]


def dbt_vars(settings: Settings) -> dict[str, object]:
    """dbt vars from the sites file: each configured site's equity variant (``site_equity``) and
    follow semantics (``site_links``: whether rel=sponsored / rel=ugc count as not followed).

    Sites in the lake but not in the file get the project's ``equity_default`` and
    ``links_default``; a missing file means every site does.
    """
    if not settings.config_path.exists():
        logger.warning(
            "%s not found: every site gets the default equity variant and follow semantics",
            settings.config_path,
        )
        return {"site_equity": {}, "site_links": {}}
    try:
        sites = load_sites(settings.config_path)
    except ConfigError as exc:
        raise WarehouseError(f"cannot read the site settings for the warehouse: {exc}") from None
    return {
        "site_equity": {site.name: site.warehouse.equity.model_dump() for site in sites.sites},
        "site_links": {site.name: site.links.model_dump() for site in sites.sites},
    }


def run_dbt_build(
    settings: Settings,
    database: Path,
    run_dir: Path,
    variables: dict[str, object] | None = None,
    full_refresh: bool = False,
    hold_fds: tuple[int, ...] = (),
) -> None:
    """Run ``dbt build`` (models and data tests) into ``database``, streaming its output to the logger.

    ``hold_fds`` (the build lock) are inherited by dbt, which dies with this process.
    """
    target_path, log_path = run_dir / "target", run_dir / "logs"
    project_dir = settings.dbt_project_dir.resolve()
    command = [
        sys.executable,
        "-m",
        "linkwarehouse.bound_child",
        dbt_executable(),
        "build",
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--target-path",
        str(target_path),
        "--log-path",
        str(log_path),
        "--exclude-resource-type",
        "unit_test",
        "--vars",
        json.dumps(variables or {}),
        "--no-use-colors",
        "--no-send-anonymous-usage-stats",
    ]
    if full_refresh:
        command.append("--full-refresh")
    env = {
        **os.environ,
        "LINKWAREHOUSE_DUCKDB_PATH": str(database),
        "LINKWAREHOUSE_LAKE": str(settings.lake_root.resolve()),
        "LINKWAREHOUSE_PARENT_PID": str(os.getpid()),
        "PYTHONUNBUFFERED": "1",
    }
    logger.info("dbt build -> %s (logs %s)", database, log_path)
    tail: deque[str] = deque(maxlen=_TAIL_LINES)
    with subprocess.Popen(
        command,
        cwd=project_dir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        pass_fds=hold_fds,
    ) as process:
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.rstrip()
            tail.append(line)
            logger.info("dbt | %s", line)
            if _DBT_NODE_DONE.search(line):
                kill_point("warehouse.dbt", children=[process.pid])
        returncode = process.wait()
    if returncode != 0:
        failed = _failed_nodes(target_path / "run_results.json")
        detail = "\n".join(failed) if failed else "\n".join(tail)
        raise DbtBuildError(
            f"dbt build of {project_dir} failed (exit {returncode}); logs in {log_path}:\n{detail}"
        )


def _quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def list_marts(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Tables of the marts schema (the models under models/marts/)."""
    rows = con.execute(
        "select table_name from duckdb_tables() "
        "where database_name = current_database() and schema_name = ? and not temporary order by table_name",
        [MART_SCHEMA],
    ).fetchall()
    return [name for (name,) in rows]


def export_marts(
    con: duckdb.DuckDBPyConnection, exports_dir: Path, run_id: str
) -> tuple[dict[str, Path], dict[str, int]]:
    """Write every mart to a run-private temp Parquet file; returns {mart: temp path}, {mart: rows}.

    The temp files sit next to their targets so publishing them is a same-filesystem rename.
    """
    exports_dir.mkdir(parents=True, exist_ok=True)
    temps: dict[str, Path] = {}
    counts: dict[str, int] = {}
    try:
        for mart in list_marts(con):
            relation = f"{MART_SCHEMA}.{_quote_identifier(mart)}"
            temps[mart] = exports_dir / f".{mart}.{run_id}.parquet.tmp"
            target = _quote_literal(str(temps[mart]))
            con.execute(f"copy {relation} to {target} (format parquet, compression zstd)")
            counts[mart] = len(con.table(relation))
    except BaseException:
        for temp in temps.values():
            temp.unlink(missing_ok=True)
        raise
    return temps, counts


def prune_exports(exports_dir: Path, marts: Collection[str]) -> list[str]:
    """Delete exports of marts the warehouse no longer has and temp files of killed builds.

    Called under the build lock, so no build is writing here: a temp file is a leftover, and a
    stale ``<mart>.parquet`` would show Parquet readers a mart the published file no longer has.
    """
    removed = []
    for path in sorted(exports_dir.iterdir()):
        hidden = path.name.startswith(".")
        leftover = hidden and path.name.endswith(".parquet.tmp")
        retired = not hidden and path.suffix == ".parquet" and path.stem not in marts
        if path.is_file() and (leftover or retired):
            path.unlink()
            removed.append(path.name)
    if removed:
        logger.info("removed from %s: %s", exports_dir, ", ".join(removed))
    return removed


def _remove_database(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(path.with_name(path.name + ".tmp"), ignore_errors=True)  # DuckDB's spill folder


def sweep_build_dir(
    settings: Settings, current_run: str | None, keep_logs: int = KEEP_BUILD_LOGS
) -> list[str]:
    """Remove what earlier builds left: database files, spill folders, export temp files, and
    all but the ``keep_logs`` newest log folders. Returns the removed names.

    Only call while holding the build lock: then no other build (nor its dbt) is alive, so
    everything here that is not ``current_run``'s is a leftover.
    """
    own = (
        {current_run, *(f"{current_run}.duckdb{suffix}" for suffix in ("", ".wal", ".tmp"))}
        if current_run
        else set()
    )
    removed: list[str] = []
    logs: list[Path] = []
    entries = sorted(settings.build_dir.iterdir()) if settings.build_dir.is_dir() else []
    for path in entries:
        if path.name in own:
            continue
        if path.is_dir() and not path.name.endswith(".duckdb.tmp"):
            logs.append(path)
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path.name)
    for folder in sorted(logs, key=lambda p: p.stat().st_mtime, reverse=True)[keep_logs:]:
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder.name + "/")
    if settings.exports_dir.is_dir():
        for temp in sorted(settings.exports_dir.glob(".*.parquet.tmp")):
            temp.unlink(missing_ok=True)
            removed.append(f"exports/{temp.name}")
    if removed:
        logger.info("removed leftovers of earlier builds from %s: %s", settings.build_dir, ", ".join(removed))
    return removed


def sweep_when_idle(settings: Settings) -> list[str] | None:
    """:func:`sweep_build_dir` if no build is running (the lock is free), else None."""
    try:
        with build_lock(settings.warehouse_dir / LOCK_FILE, timeout=0):
            return sweep_build_dir(settings, None)
    except WarehouseLockTimeout:
        return None


def seed_from_published(published: Path, database: Path) -> bool:
    """Start the run-private file as a copy of the published warehouse; False when there is none.

    The published file is complete and checkpointed (it was closed before its rename) and read-only
    readers never change it, so a plain copy is consistent even while BI clients hold it open. A
    copy DuckDB cannot open (another DuckDB version, damage) is discarded: the build starts empty.
    """
    if not published.exists():
        return False
    shutil.copyfile(published, database)
    try:
        duckdb.connect(str(database)).close()
    except duckdb.Error as exc:
        logger.warning("cannot reuse %s (%s); building from scratch", published, exc)
        _remove_database(database)
        return False
    return True


def drop_stale_relations(con: duckdb.DuckDBPyConnection, manifest_path: Path) -> list[str]:
    """Drop tables and views the dbt project no longer defines (leftovers of the seed copy).

    Returns the dropped relations as ``schema.name``. Reads dbt's ``manifest.json`` of the build;
    without one (dbt did not run) nothing is dropped.
    """
    try:
        nodes = json.loads(manifest_path.read_text())["nodes"].values()
    except FileNotFoundError:
        logger.warning("%s not found: stale relations are kept", manifest_path)
        return []
    defined = {
        (node["schema"], node.get("alias") or node["name"])
        for node in nodes
        if node["resource_type"] in ("model", "seed", "snapshot")
    }
    existing = con.execute(
        "select schema_name, table_name, 'table' from duckdb_tables() "
        "where database_name = current_database() and not temporary "
        "union all "
        "select schema_name, view_name, 'view' from duckdb_views() "
        "where database_name = current_database() and not temporary and not internal",
    ).fetchall()
    dropped = []
    for schema, name, kind in sorted(existing):
        if schema in PROJECT_SCHEMAS and (schema, name) not in defined:
            con.execute(f"drop {kind} if exists {_quote_identifier(schema)}.{_quote_identifier(name)}")
            dropped.append(f"{schema}.{name}")
    if dropped:
        logger.info("dropped relations the dbt project no longer defines: %s", ", ".join(dropped))
    return dropped


def build_warehouse(
    settings: Settings | None = None,
    run_id: str | None = None,
    *,
    lock_timeout: float | None = 3600.0,
    keep_failed_build: bool = False,
    full_refresh: bool = False,
) -> BuildResult:
    """Build, check and atomically publish ``warehouse/marts.duckdb`` and the mart exports.

    Incremental by default (the graph metrics of crawls already published are reused);
    ``full_refresh`` starts from an empty file and recomputes everything. Raises
    :class:`DbtBuildError` or :class:`WarehouseCheckError` without publishing anything, and
    :class:`WarehouseLockTimeout` when another build keeps the lock past ``lock_timeout``.
    """
    settings = settings or load_settings()
    run_id = run_id or new_run_id()
    if not _RUN_ID.match(run_id):
        raise WarehouseError(f"unsafe run id {run_id!r} (letters, digits, '_', '.', '-')")
    started = time.monotonic()
    timings: dict[str, float] = {}
    settings.build_dir.mkdir(parents=True, exist_ok=True)
    database = settings.build_dir / f"{run_id}.duckdb"
    run_dir = settings.build_dir / run_id
    with build_lock(settings.warehouse_dir / LOCK_FILE, lock_timeout) as lock:
        timings["lock_wait_s"] = lock.waited_s
        sweep_build_dir(settings, run_id)
        ensure_placeholders(settings.lake_root)
        _remove_database(database)  # leftovers of a kept failed build with the same run id
        temps: dict[str, Path] = {}
        try:
            variables = dbt_vars(settings)
            phase = time.monotonic()
            seeded = not full_refresh and seed_from_published(settings.marts_path, database)
            timings["seed_s"] = time.monotonic() - phase
            logger.info("build %s starts from %s", run_id, settings.marts_path if seeded else "an empty file")
            kill_point("warehouse.seeded")

            phase = time.monotonic()
            run_dbt_build(
                settings, database, run_dir, variables, full_refresh=full_refresh, hold_fds=(lock.fd,)
            )
            timings["dbt_build_s"] = time.monotonic() - phase
            timings.update(_graph_timings(run_dir / "target" / "run_results.json"))

            phase = time.monotonic()
            with duckdb.connect(str(database)) as con:
                drop_stale_relations(con, run_dir / "target" / "manifest.json")
                problems = sanity_problems(con, published_manifests(settings.lake_root, "crawl/pages"))
                if problems:
                    raise WarehouseCheckError(f"{database}: sanity checks failed:\n" + "\n".join(problems))
                timings["checks_s"] = time.monotonic() - phase
                kill_point("warehouse.checked")
                phase = time.monotonic()
                temps, row_counts = export_marts(con, settings.exports_dir, run_id)
                con.execute("checkpoint")
            timings["export_s"] = time.monotonic() - phase
            kill_point("warehouse.publish.start")

            phase = time.monotonic()
            exports = {mart: settings.exports_dir / f"{mart}.parquet" for mart in temps}
            for mart, temp in temps.items():
                temp.replace(exports[mart])
                kill_point("warehouse.publish.export")
            database.replace(settings.marts_path)
            kill_point("warehouse.publish.marts")
            prune_exports(settings.exports_dir, exports)
            timings["publish_s"] = time.monotonic() - phase
            kill_point("warehouse.publish.done")
        except BaseException:
            for temp in temps.values():
                temp.unlink(missing_ok=True)
            if not keep_failed_build:
                _remove_database(database)
            logger.error("warehouse build %s failed; published files unchanged, logs in %s", run_id, run_dir)
            raise
        _remove_database(database)
        shutil.rmtree(run_dir, ignore_errors=True)
    timings["total_s"] = time.monotonic() - started
    logger.info("published %s (%s) in %.1f s", settings.marts_path, row_counts, timings["total_s"])
    return BuildResult(run_id, settings.marts_path, exports, row_counts, timings)


def _graph_timings(run_results: Path) -> dict[str, float]:
    """Seconds dbt spent on each graph model (``graph_<model>_s``), from run_results.json."""
    try:
        results = json.loads(run_results.read_text())["results"]
    except (OSError, ValueError, KeyError):
        return {}
    return {
        f"graph_{item['unique_id'].rsplit('.', 1)[-1]}_s": float(item.get("execution_time") or 0.0)
        for item in results
        if item["unique_id"].rsplit(".", 1)[-1].startswith("int_graph_")
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m linkwarehouse.warehouse [--full-refresh]``: build and publish, settings from the env."""
    parser = argparse.ArgumentParser(description="Build, check and publish the warehouse.")
    parser.add_argument(
        "--full-refresh", action="store_true", help="start from an empty file: recompute every crawl's graph"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        result = build_warehouse(full_refresh=args.full_refresh)
    except WarehouseError as exc:
        logger.error("%s", exc)
        return 1
    print(json.dumps(result.summary()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

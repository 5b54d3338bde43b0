"""Remove what killed writers left in the lake, never what a live one is writing.

A SIGKILLed crawl or extraction leaves ``_staging/<run_id>/`` folders; a crawl killed while
publishing leaves crawl partitions without their crawl/runs row (readers ignore them, nothing
ever removes them); a writer killed between the two renames of a partition swap leaves the
old partition in its staging folder's ``_old/`` and none in the lake. :func:`sweep_lake`, run
by every crawl before it starts (and by ``linkwarehouse sweep``):

- puts back an old partition whose replacement never arrived (its data is not lost);
- removes staging folders whose owner (``_OWNER``, see :mod:`linkwarehouse.liveness`) is dead;
- removes crawl partitions that have no crawl/runs row and whose writer is dead;
- removes temp files of interrupted single-file writes.

Liveness, not age, decides: an owner on this machine is checked by pid and process start
time. Only what cannot be checked (a claim made on another machine, folders without a claim
from before claims existed) falls back to age: older than ``stale_after`` (default 24 h, twice
the crawl's 12 h execution timeout, the longest any task may run).
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from linkwarehouse.lake.schemas import CRAWL_RUNS, CRAWL_TABLES, TABLES
from linkwarehouse.lake.writer import (
    MANIFEST,
    OWNER,
    PLACEHOLDER,
    STAGING,
    TRASH,
    _SAFE_VALUE,
    _remove_empty_dirs,
    read_manifest,
    staging_owner,
)
from linkwarehouse.liveness import is_alive

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(hours=24)
#: A single-file write (crawl/runs row, alert record, placeholder) lives a few milliseconds.
TMP_STALE_AFTER = timedelta(hours=1)


@dataclass
class SweepReport:
    """What one sweep did, as lake-relative paths."""

    restored: list[str] = field(default_factory=list)
    removed_staging: list[str] = field(default_factory=list)
    removed_partitions: list[str] = field(default_factory=list)
    removed_temp_files: list[str] = field(default_factory=list)
    kept_live: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"restored {len(self.restored)} partition(s), removed {len(self.removed_staging)} staging"
            f" folder(s), {len(self.removed_partitions)} orphan partition(s) and"
            f" {len(self.removed_temp_files)} temp file(s); kept {len(self.kept_live)} in use"
        )


def _newest_mtime(folder: Path) -> float:
    newest = folder.stat().st_mtime
    for root, dirs, files in os.walk(folder):
        for name in (*dirs, *files):
            try:
                newest = max(newest, (Path(root) / name).stat().st_mtime)
            except FileNotFoundError:
                continue
    return newest


def writer_state(lake_root: Path, run_id: str, folder: Path, now: datetime, stale_after: timedelta) -> str:
    """``live``, ``dead`` or ``unknown-young`` for the writer of ``_staging/<run_id>``.

    ``folder`` is what the age fallback looks at when the writer left no readable claim.
    """
    owner = staging_owner(lake_root, run_id)
    if owner is not None:
        alive = is_alive(owner)
        if alive is not None:
            return "live" if alive else "dead"
        return "dead" if owner.age_seconds(now) > stale_after.total_seconds() else "unknown-young"
    try:
        age = now.timestamp() - _newest_mtime(folder)
    except FileNotFoundError:
        return "dead"
    return "dead" if age > stale_after.total_seconds() else "unknown-young"


def _restore_trash(lake_root: Path, run_dir: Path, report: SweepReport) -> None:
    """Put each complete partition waiting in ``<run_dir>/_old/`` back if its place is empty."""
    trash = run_dir / TRASH
    if not trash.is_dir():
        return
    for manifest in sorted(trash.rglob(MANIFEST)):
        old = manifest.parent
        relative = old.relative_to(trash)
        final = lake_root / relative
        if not final.exists():
            final.parent.mkdir(parents=True, exist_ok=True)
            old.rename(final)
            report.restored.append(str(relative))
            logger.warning("restored %s: its writer died before the replacement was in place", relative)


def _sweep_staging(
    lake_root: Path, now: datetime, stale_after: timedelta, report: SweepReport
) -> tuple[set[str], set[str]]:
    """Handle every staging folder; return the run ids whose writers may be alive, and the dead."""
    staging = lake_root / STAGING
    live: set[str] = set()
    dead: set[str] = set()
    for run_dir in sorted(path for path in staging.iterdir() if path.is_dir()) if staging.is_dir() else []:
        if not _SAFE_VALUE.match(run_dir.name):
            logger.warning("left alone: %s is not a staging folder this pipeline writes", run_dir)
            continue
        if writer_state(lake_root, run_dir.name, run_dir, now, stale_after) != "dead":
            live.add(run_dir.name)
            report.kept_live.append(f"{STAGING}/{run_dir.name}")
            continue
        dead.add(run_dir.name)
        _restore_trash(lake_root, run_dir, report)
        shutil.rmtree(run_dir, ignore_errors=True)
        report.removed_staging.append(f"{STAGING}/{run_dir.name}")
    return live, dead


def _committed_crawls(lake_root: Path, site: str) -> set[str]:
    runs = lake_root / CRAWL_RUNS.name / f"site={site}"
    return {path.stem for path in runs.glob("*.parquet")} if runs.is_dir() else set()


def _sweep_orphans(
    lake_root: Path,
    sites: Iterable[str] | None,
    writers: tuple[set[str], set[str]],
    now: datetime,
    stale_after: timedelta,
    report: SweepReport,
) -> None:
    """Remove crawl partitions without a crawl/runs row whose writer is dead.

    The writer is the manifest's ``run_id``; without its staging folder (a sweep interrupted
    after removing it, a partition from before claims existed) the partition's age decides.
    """
    live, dead = writers
    wanted = None if sites is None else {f"site={site}" for site in sites}
    committed: dict[str, set[str]] = {}
    for table in CRAWL_TABLES:
        base = lake_root / table.name
        for folder in sorted(base.glob("site=*/crawl_id=*")) if base.is_dir() else []:
            site_part, crawl_part = folder.relative_to(base).parts
            site, crawl_id = site_part.split("=", 1)[1], crawl_part.split("=", 1)[1]
            if PLACEHOLDER in (site, crawl_id) or (wanted is not None and site_part not in wanted):
                continue
            if site not in committed:
                committed[site] = _committed_crawls(lake_root, site)
            if crawl_id in committed[site]:
                continue
            relative = str(folder.relative_to(lake_root))
            manifest = read_manifest(folder) if (folder / MANIFEST).exists() else None
            run_id = str(manifest.get("run_id", "")) if manifest else ""
            age = now.timestamp() - _newest_mtime(folder)
            young = run_id not in dead and age <= stale_after.total_seconds()
            if run_id in live or young:
                report.kept_live.append(relative)
                continue
            shutil.rmtree(folder, ignore_errors=True)
            _remove_empty_dirs(folder.parent, stop=base)
            report.removed_partitions.append(relative)


def _sweep_temp_files(lake_root: Path, now: datetime, report: SweepReport) -> None:
    """Temp files of single-file writes (``.<name>.<uuid>.tmp``) that never got renamed.

    Only file-layout tables and placeholder folders have them, so the (large) directory-layout
    partitions are not walked.
    """
    folders = [lake_root / table.name for table in TABLES.values() if table.layout == "file"]
    folders += [
        lake_root / table.name / "/".join(f"{key}={PLACEHOLDER}" for key in table.partition_by)
        for table in TABLES.values()
        if table.layout != "file"
    ]
    for base in folders:
        if not base.is_dir():
            continue
        for tmp in base.rglob(".*.tmp"):
            try:
                age = now.timestamp() - tmp.stat().st_mtime
            except FileNotFoundError:
                continue
            if age > TMP_STALE_AFTER.total_seconds():
                tmp.unlink(missing_ok=True)
                report.removed_temp_files.append(str(tmp.relative_to(lake_root)))


def sweep_lake(
    lake_root: str | os.PathLike[str],
    *,
    sites: Iterable[str] | None = None,
    stale_after: timedelta = STALE_AFTER,
    now: datetime | None = None,
) -> SweepReport:
    """Clean up after killed writers (see the module doc); ``sites`` limits the orphan check."""
    lake = Path(lake_root)
    now = now or datetime.now(UTC)
    report = SweepReport()
    writers = _sweep_staging(lake, now, stale_after, report)
    _sweep_orphans(lake, sites, writers, now, stale_after, report)
    _sweep_temp_files(lake, now, report)
    if report.restored or report.removed_staging or report.removed_partitions or report.removed_temp_files:
        logger.info("lake sweep of %s: %s", lake, report.summary())
    return report


__all__ = ["OWNER", "STALE_AFTER", "SweepReport", "sweep_lake", "writer_state"]

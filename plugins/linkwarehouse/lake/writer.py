"""Write lake partitions so readers only ever see complete ones.

Rows are buffered column-wise and flushed as zstd Parquet parts into
``<lake>/_staging/<run_id>/<table>/<k>=<v>/``. :meth:`PartitionWriter.publish` writes the
``_SUCCESS`` manifest (row count, files, schema version) and renames the folder into place,
replacing only that partition. A killed writer leaves its staging folder behind and never a
half-written partition; re-running rewrites its own partition, never duplicates, never
touches others.

Each staging folder names its owner process in ``_staging/<run_id>/_OWNER`` (see
:mod:`linkwarehouse.liveness`), and a replaced partition waits in
``_staging/<run_id>/_old/<its lake path>`` until the new one is in place, so the sweep
(:mod:`.sweep`) can tell a killed writer's leftovers from live work and put back a partition
whose writer died between the two renames.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from linkwarehouse.faults import kill_point
from linkwarehouse.lake.schemas import SCHEMA_VERSION, TABLES, LakeTable
from linkwarehouse.liveness import Owner, is_alive

MANIFEST = "_SUCCESS"
STAGING = "_staging"
PLACEHOLDER = "_empty"
OWNER = "_OWNER"
TRASH = "_old"
_SAFE_VALUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")


class LakeError(RuntimeError):
    """A lake write or read could not be completed."""


def partition_dir(lake_root: Path, table: LakeTable, partition: Mapping[str, str]) -> Path:
    """The published folder of one partition (``<lake>/crawl/pages/site=x/crawl_id=y``)."""
    if set(partition) != set(table.partition_by):
        raise LakeError(f"{table.name}: partition keys {sorted(partition)} != {list(table.partition_by)}")
    path = Path(lake_root) / table.name
    for key in table.partition_by:
        value = str(partition[key])
        if value != PLACEHOLDER and not _SAFE_VALUE.match(value):
            raise LakeError(f"{table.name}: unsafe partition value {key}={value!r}")
        path = path / f"{key}={value}"
    return path


def staging_root(lake_root: str | os.PathLike[str], run_id: str) -> Path:
    """``<lake>/_staging/<run_id>``; the run id must be one path-safe name (it is deleted whole)."""
    if not _SAFE_VALUE.match(run_id):
        raise LakeError(f"unsafe staging run id {run_id!r} (letters, digits, '_', '.', '-')")
    return Path(lake_root) / STAGING / run_id


def staging_owner(lake_root: str | os.PathLike[str], run_id: str) -> Owner | None:
    """The process recorded as writing ``_staging/<run_id>``; None when no claim is readable."""
    try:
        return Owner.from_json((staging_root(lake_root, run_id) / OWNER).read_text())
    except OSError:
        return None


def claim_staging(lake_root: str | os.PathLike[str], run_id: str) -> bool:
    """Record this process as the owner of ``_staging/<run_id>``; True when this call wrote it.

    A claim of this process, or of another process known to be alive (a crawl coordinator
    claims its workers' folders before starting them), is kept. Any other claim belongs to a
    dead or unknowable process (a killed attempt of the same run) and is taken over.
    """
    run_dir = staging_root(lake_root, run_id)
    me = Owner.current()
    current = staging_owner(lake_root, run_id)
    if current is not None and (current.same_process(me) or is_alive(current)):
        return False
    run_dir.mkdir(parents=True, exist_ok=True)
    tmp = run_dir / f".{OWNER}.{uuid.uuid4().hex}.tmp"
    tmp.write_text(me.to_json())
    tmp.replace(run_dir / OWNER)
    return True


def release_staging(lake_root: str | os.PathLike[str], run_id: str) -> None:
    """Drop this process's claim and the staging folder if nothing else is left in it."""
    owner = staging_owner(lake_root, run_id)
    run_dir = staging_root(lake_root, run_id)
    if owner is not None and owner.same_process(Owner.current()):
        (run_dir / OWNER).unlink(missing_ok=True)
    _remove_empty_dirs(run_dir, stop=run_dir.parent)


def _write_parquet(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd")


class PartitionWriter:
    """Buffer rows of one partition and publish them atomically.

    Use as a context manager: leaving the block with an exception aborts (staging removed,
    published data untouched); leaving it normally requires an explicit :meth:`publish`.
    """

    def __init__(
        self,
        lake_root: str | os.PathLike[str],
        table: LakeTable | str,
        partition: Mapping[str, str],
        run_id: str | None = None,
        batch_rows: int = 100_000,
    ) -> None:
        self.table = TABLES[table] if isinstance(table, str) else table
        if self.table.layout != "directory":
            raise LakeError(f"{self.table.name} is written with write_file_partition()")
        self.lake_root = Path(lake_root)
        self.partition = {key: str(value) for key, value in partition.items()}
        self.run_id = run_id or uuid.uuid4().hex
        self.final_dir = partition_dir(self.lake_root, self.table, self.partition)
        self.relative = self.final_dir.relative_to(self.lake_root)
        self.staging_dir = staging_root(self.lake_root, self.run_id) / self.relative
        self._claimed = claim_staging(self.lake_root, self.run_id)
        if self.staging_dir.exists():
            shutil.rmtree(self.staging_dir)
        self.staging_dir.mkdir(parents=True)
        self.batch_rows = batch_rows
        self._columns: dict[str, list[Any]] = {name: [] for name in self.table.schema.names}
        self._known = frozenset(self._columns)
        self._buffered = 0
        self._files: list[str] = []
        self.rows = 0
        self.published = False

    def append(self, row: Mapping[str, Any]) -> None:
        """Add one row; keys missing from ``row`` become null, unknown keys are an error."""
        self.extend([row])

    def extend(self, rows: list[Mapping[str, Any]]) -> None:
        """Add rows column by column (one list comprehension per column, not a loop per cell)."""
        if not rows:
            return
        known = self._known
        for row in rows:
            if not row.keys() <= known:
                raise LakeError(f"{self.table.name}: unknown columns {sorted(set(row) - known)}")
        start = 0
        while start < len(rows):
            chunk = rows[start : start + self.batch_rows - self._buffered]
            start += len(chunk)
            for name, values in self._columns.items():
                values.extend([row.get(name) for row in chunk])
            self._buffered += len(chunk)
            if self._buffered >= self.batch_rows:
                self.flush()

    def flush(self) -> None:
        if not self._buffered:
            return
        arrow = pa.table(
            {
                name: pa.array(values, type=self.table.schema.field(name).type)
                for name, values in self._columns.items()
            },
            schema=self.table.schema,
        )
        self._columns = {name: [] for name in self.table.schema.names}
        self._buffered = 0
        self.write_table(arrow)

    def write_table(self, arrow: pa.Table) -> None:
        """Write an Arrow table (columns by name, missing ones null) as the next part file."""
        self.flush()
        if arrow.num_rows == 0:
            return
        unknown = set(arrow.column_names) - self._known
        if unknown:
            raise LakeError(f"{self.table.name}: unknown columns {sorted(unknown)}")
        columns = [
            arrow.column(field.name).cast(field.type)
            if field.name in arrow.column_names
            else pa.nulls(arrow.num_rows, field.type)
            for field in self.table.schema
        ]
        name = f"part-{len(self._files):05d}.parquet"
        _write_parquet(pa.table(columns, schema=self.table.schema), self.staging_dir / name)
        self._files.append(name)
        self.rows += arrow.num_rows
        kill_point("lake.part")

    def adopt(self, part: Path) -> None:
        """Move an already written Parquet part of this table (e.g. another process's) into the partition."""
        self.flush()
        rows = pq.ParquetFile(part).metadata.num_rows
        name = f"part-{len(self._files):05d}.parquet"
        Path(part).replace(self.staging_dir / name)
        self._files.append(name)
        self.rows += rows

    def publish(self, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Flush, write the manifest and move the partition into place; return the manifest."""
        self.flush()
        if not self._files:
            _write_parquet(self.table.schema.empty_table(), self.staging_dir / "part-00000.parquet")
            self._files.append("part-00000.parquet")
        manifest = {
            "table": self.table.name,
            "partition": self.partition,
            "rows": self.rows,
            "files": self._files,
            "schema_version": SCHEMA_VERSION,
            "run_id": self.run_id,
            "written_at": datetime.now(UTC).isoformat(),
            **(extra or {}),
        }
        (self.staging_dir / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
        run_dir = staging_root(self.lake_root, self.run_id)
        _replace_dir(self.staging_dir, self.final_dir, run_dir / TRASH / self.relative, stop=run_dir)
        _remove_empty_dirs(self.staging_dir.parent, stop=run_dir)
        self.published = True
        self._release()
        return manifest

    def abort(self) -> None:
        shutil.rmtree(self.staging_dir, ignore_errors=True)
        _remove_empty_dirs(self.staging_dir.parent, stop=staging_root(self.lake_root, self.run_id))
        self._release()

    def _release(self) -> None:
        if self._claimed:
            self._claimed = False
            release_staging(self.lake_root, self.run_id)

    def __enter__(self) -> PartitionWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None and not self.published:
            self.abort()


def _remove_empty_dirs(folder: Path, stop: Path) -> None:
    """Remove ``folder`` and its empty parents, up to (not including) ``stop``."""
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def _replace_dir(new: Path, final: Path, trash: Path, stop: Path) -> None:
    """Move ``new`` to ``final``; an existing ``final`` is moved to ``trash`` first, then deleted.

    A writer killed between the two renames leaves the old partition in ``trash`` (a path that
    mirrors ``final``), from where the sweep puts it back.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    moved = False
    if final.exists():
        if trash.exists():  # an earlier attempt's leftover: ``final`` exists, so it is stale
            shutil.rmtree(trash)
        trash.parent.mkdir(parents=True, exist_ok=True)
        final.rename(trash)
        moved = True
        kill_point("lake.swap")
    try:
        new.rename(final)
    except OSError:
        if moved:
            trash.rename(final)
        raise
    if moved:
        shutil.rmtree(trash, ignore_errors=True)
        _remove_empty_dirs(trash.parent, stop=stop)


def write_file_partition(
    lake_root: str | os.PathLike[str],
    table: LakeTable | str,
    partition: Mapping[str, str],
    rows: list[Mapping[str, Any]],
) -> Path:
    """Atomically write one whole file of a ``file``-layout table (e.g. one crawl's runs row).

    The file is named after ``table.file_key`` of the rows (all rows must share it).
    """
    table = TABLES[table] if isinstance(table, str) else table
    if table.layout != "file" or not table.file_key:
        raise LakeError(f"{table.name} is written with PartitionWriter")
    keys = {str(row[table.file_key]) for row in rows}
    if len(keys) != 1:
        raise LakeError(f"{table.name}: rows must share one {table.file_key}, got {sorted(keys)}")
    key = keys.pop()
    if not _SAFE_VALUE.match(key):
        raise LakeError(f"{table.name}: unsafe {table.file_key} {key!r}")
    folder = partition_dir(Path(lake_root), table, partition)
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{key}.parquet"
    tmp = folder / f".{key}.{uuid.uuid4().hex}.tmp"
    arrow = pa.Table.from_pylist([dict(row) for row in rows], schema=table.schema)
    try:
        _write_parquet(arrow, tmp)
        tmp.replace(final)
    finally:
        tmp.unlink(missing_ok=True)
    return final


def ensure_placeholders(lake_root: str | os.PathLike[str]) -> None:
    """Give every table one empty file typed as the current contract, so readers' globs resolve.

    DuckDB's ``read_parquet('<glob>')`` fails with "No files found" on an empty table (a site
    without GA4, a first run); a zero-row file in a ``_empty`` partition keeps the schema. A
    placeholder written by an older schema version is replaced: read with ``union_by_name``,
    it is what makes a column added since resolve (null) over partitions that predate it.
    """
    for table in TABLES.values():
        placeholder = {key: PLACEHOLDER for key in table.partition_by}
        folder = partition_dir(Path(lake_root), table, placeholder)
        target = folder / (f"{PLACEHOLDER}.parquet" if table.layout == "file" else "part-00000.parquet")
        # A lake written by an older version keeps its placeholder: refresh it when columns were
        # added, or a model reading a new column fails until the first new partition exists.
        if not target.exists() or not pq.read_schema(target).equals(table.schema):
            tmp = folder / f".{uuid.uuid4().hex}.tmp"
            try:
                _write_parquet(table.schema.empty_table(), tmp)
                tmp.replace(target)
            finally:
                tmp.unlink(missing_ok=True)


def read_manifest(folder: Path) -> dict[str, Any] | None:
    path = folder / MANIFEST
    if not path.exists():
        return None
    return json.loads(path.read_text())


def published_manifests(lake_root: str | os.PathLike[str], table: LakeTable | str) -> list[dict[str, Any]]:
    """Manifests of every published (non-placeholder) partition of a directory-layout table."""
    table = TABLES[table] if isinstance(table, str) else table
    base = Path(lake_root) / table.name
    pattern = "/".join(f"{key}=*" for key in table.partition_by)
    manifests = []
    for folder in sorted(base.glob(pattern)) if base.exists() else []:
        if any(part.split("=", 1)[1] == PLACEHOLDER for part in folder.relative_to(base).parts):
            continue
        manifest = read_manifest(folder)
        if manifest is not None:
            manifests.append(manifest)
    return manifests


def clean_staging(lake_root: str | os.PathLike[str], run_id: str) -> None:
    """Remove one run's staging folder (what a killed or aborted writer left behind)."""
    shutil.rmtree(staging_root(lake_root, run_id), ignore_errors=True)


def delete_site(lake_root: str | os.PathLike[str], site: str) -> int:
    """Remove every partition of one site from every table; return how many were removed.

    Only for explicit resets (the demo starts from a clean history); pipeline tasks never
    delete data.
    """
    if not _SAFE_VALUE.match(site):
        raise LakeError(f"unsafe site name {site!r}")
    removed = 0
    for table in TABLES.values():
        site_dir = Path(lake_root) / table.name / f"site={site}"
        if table.partition_by[0] == "site" and site_dir.exists():
            shutil.rmtree(site_dir)
            removed += 1
    return removed

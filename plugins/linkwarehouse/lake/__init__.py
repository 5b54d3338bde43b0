"""The Parquet lake: table contract (:mod:`.schemas`) and atomic partition writes (:mod:`.writer`)."""

from linkwarehouse.lake.schemas import SCHEMA_VERSION, TABLES, LakeTable
from linkwarehouse.lake.writer import (
    LakeError,
    PartitionWriter,
    ensure_placeholders,
    partition_dir,
    published_manifests,
    write_file_partition,
)

__all__ = [
    "SCHEMA_VERSION",
    "TABLES",
    "LakeError",
    "LakeTable",
    "PartitionWriter",
    "ensure_placeholders",
    "partition_dir",
    "published_manifests",
    "write_file_partition",
]

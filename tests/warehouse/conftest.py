"""One real dbt build of the hand-built lake per session, shared by the warehouse tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from linkwarehouse.settings import Settings
from linkwarehouse.warehouse import BuildResult, build_warehouse
from tests.warehouse.lake_fixture import write_lake

ROOT = Path(__file__).resolve().parents[2]


def make_settings(base: Path, lake: Path | None = None) -> Settings:
    """Settings rooted in a temp dir, with the repository's dbt project."""
    return Settings(
        root=ROOT,
        config_path=ROOT / "config" / "sites.yaml",
        lake_root=lake or base / "lake",
        warehouse_dir=base / "warehouse",
        dbt_project_dir=ROOT / "dbt_project",
        state_dir=base / "state",
    )


@pytest.fixture(scope="session")
def warehouse_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = make_settings(tmp_path_factory.mktemp("warehouse"))
    write_lake(settings.lake_root)
    return settings


@pytest.fixture(scope="session")
def built(warehouse_settings: Settings) -> BuildResult:
    return build_warehouse(warehouse_settings, run_id="session-build")


def published_copy(built: BuildResult, source: Settings, base: Path) -> Settings:
    """A new warehouse dir whose published state is the session build, over a copy of its lake."""
    settings = make_settings(base)
    shutil.copytree(source.lake_root, settings.lake_root)
    settings.warehouse_dir.mkdir(parents=True)
    shutil.copy2(built.marts_path, settings.marts_path)
    shutil.copytree(source.exports_dir, settings.exports_dir)
    return settings

"""Where things live, read from the environment once.

Every process of the pipeline (Airflow tasks, the crawler subprocess, dbt, tests, the CLI)
resolves paths through :func:`load_settings`, so one set of environment variables moves the
whole pipeline (a test's temp dir, a docker volume) without code changes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_PREFIX = "LINKWAREHOUSE_"


def _project_root() -> Path:
    """The repository root when running from a checkout (plugins/linkwarehouse/ -> ../..)."""
    here = Path(__file__).resolve().parent
    candidate = here.parent.parent
    if (candidate / "dbt_project").is_dir():
        return candidate
    return Path.cwd()


@dataclass(frozen=True)
class Settings:
    """Resolved locations of the config, lake, warehouse and the two sub-projects."""

    root: Path
    config_path: Path
    lake_root: Path
    warehouse_dir: Path
    dbt_project_dir: Path
    state_dir: Path

    @property
    def marts_path(self) -> Path:
        return self.warehouse_dir / "marts.duckdb"

    @property
    def build_dir(self) -> Path:
        return self.warehouse_dir / "build"

    @property
    def exports_dir(self) -> Path:
        return self.warehouse_dir / "exports"


def _path_from_env(name: str, default: Path, root: Path) -> Path:
    raw = os.environ.get(ENV_PREFIX + name)
    if not raw:
        return default
    path = Path(raw).expanduser()
    return path if path.is_absolute() else (root / path)


def load_settings() -> Settings:
    """Read ``LINKWAREHOUSE_*`` variables; relative values are taken from the project root."""
    root = _path_from_env("ROOT", _project_root(), Path.cwd()).resolve()
    return Settings(
        root=root,
        config_path=_path_from_env("CONFIG", root / "config" / "sites.yaml", root),
        lake_root=_path_from_env("LAKE", root / "lake", root),
        warehouse_dir=_path_from_env("WAREHOUSE", root / "warehouse", root),
        dbt_project_dir=_path_from_env("DBT_PROJECT", root / "dbt_project", root),
        state_dir=_path_from_env("STATE", root / ".demo", root),
    )

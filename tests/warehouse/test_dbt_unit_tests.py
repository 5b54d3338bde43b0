"""dbt's unit tests (hand-computed fixtures in models/**/_*unit_tests.yml) run once per session.

A warehouse build leaves them out: they test model logic, not data. dbt needs the models'
upstream relations to exist to type the fixtures, so they run against a copy of the session
build.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from linkwarehouse.settings import Settings
from linkwarehouse.warehouse import BuildResult, dbt_executable

pytestmark = pytest.mark.integration


def test_every_dbt_unit_test_passes(built: BuildResult, warehouse_settings: Settings, tmp_path: Path) -> None:
    database = tmp_path / "unit.duckdb"
    shutil.copy2(built.marts_path, database)
    project = warehouse_settings.dbt_project_dir
    result = subprocess.run(
        [
            dbt_executable(),
            "test",
            "--select",
            "test_type:unit",
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
            "--no-use-colors",
        ],
        cwd=project,
        env={
            **os.environ,
            "LINKWAREHOUSE_DUCKDB_PATH": str(database),
            "LINKWAREHOUSE_LAKE": str(warehouse_settings.lake_root),
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:]
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    statuses = {item["unique_id"].rsplit(".", 1)[-1]: item["status"] for item in results}
    assert set(statuses.values()) == {"pass"}
    for name in (
        "test_int_graph_metrics_pagerank_of_a_four_node_graph",
        "test_int_graph_metrics_depth_with_nofollow_and_redirects",
        "test_int_graph_metrics_screaming_frog_eligibility",
        "test_int_graph_metrics_nofollow_dilution_and_position_weights",
        "test_int_orphans_classified_evidence_from_each_source",
        "test_anchor_text_profile_shares_and_over_optimisation",
        "test_stg_crawl__links_followed_definition_and_switch",
        "test_stg_crawl__links_default_switch_off_for_every_site",
    ):
        assert name in statuses

"""A killed Airflow run does not stay "running": the scheduler fails it by ``dagrun_timeout``,
and the next local run (``make run``/``make demo``, where no scheduler runs) fails it at once.

The run is killed for real: ``airflow dags test warehouse_build`` SIGKILLs itself at a kill
point inside the build. The scheduler is Airflow's own (``airflow scheduler -n 2``); the run's
start is moved back past the DAG's budget instead of waiting five hours.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from linkwarehouse.dag_defaults import BUDGETS
from linkwarehouse.faults import KILL_AT_ENV
from linkwarehouse.local_airflow import LocalAirflow, LocalAirflowBusy
from linkwarehouse.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW = str(Path(sys.executable).with_name("airflow"))

pytestmark = pytest.mark.integration


def states(home: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(home / "airflow.db") as db:
        return db.execute(
            "select r.run_id, r.state, t.state from dag_run r join task_instance t using (dag_id, run_id) "
            "where r.dag_id = 'warehouse_build' order by r.id"
        ).fetchall()


def test_killed_runs_are_failed_by_the_next_local_run_and_by_the_scheduler_timeout(tmp_path: Path) -> None:
    settings = Settings(ROOT, ROOT / "config" / "sites.yaml", tmp_path / "lake", tmp_path / "warehouse",
                        ROOT / "dbt_project", tmp_path / "state")  # fmt: skip
    home = tmp_path / "airflow"
    # One scheduler worker is plenty here; DAGs created unpaused so the scheduler examines them.
    extra = {"AIRFLOW__CORE__PARALLELISM": "1", "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False"}
    first = LocalAirflow(settings, home=home, extra_env=extra, echo=lambda _: None)
    first.migrate()
    env = {**first.environment(), KILL_AT_ENV: "warehouse.seeded@1"}
    killed = subprocess.run(
        [AIRFLOW, "dags", "test", "warehouse_build"], env=env, capture_output=True, check=False
    )
    assert killed.returncode == -signal.SIGKILL, killed.stdout[-2000:]
    ((run_id, run_state, task_state),) = states(home)
    assert (run_state, task_state) == ("running", "running"), "the killed run is a zombie"

    with pytest.raises(LocalAirflowBusy, match="another local run is driving Airflow here"):
        LocalAirflow(settings, home=home, echo=lambda _: None).migrate()
    first.close()
    LocalAirflow(settings, home=home, extra_env=extra, echo=lambda _: None).migrate()
    assert states(home) == [(run_id, "failed", "failed")]

    # The same zombie under a scheduler: it is failed once the DAG's dagrun_timeout has passed.
    budget = BUDGETS["warehouse_build"].run + timedelta(minutes=1)
    with sqlite3.connect(home / "airflow.db") as db:
        db.execute(
            "update dag_run set state = 'running', end_date = null, start_date = datetime(start_date, ?)",
            [f"-{int(budget.total_seconds())} seconds"],
        )
        db.execute("update task_instance set state = 'running', end_date = null")
    scheduler = subprocess.run(
        [AIRFLOW, "scheduler", "--num-runs", "2", "--skip-serve-logs"],
        env={**first.environment(), **extra, "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp_path,
    )
    assert scheduler.returncode == 0, scheduler.stderr[-3000:]
    assert f"Run {run_id} of warehouse_build has timed-out" in scheduler.stdout + scheduler.stderr
    assert states(home) == [(run_id, "failed", "skipped")]  # Airflow 3 skips a timed-out run's tasks

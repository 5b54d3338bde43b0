"""``python -m linkwarehouse.local_zombies``: fail the DAG runs killed local runs left "running".

``airflow dags test`` runs a DAG inside its own process, with no scheduler watching: when that
process is killed (Ctrl-C twice, the OOM killer, a closed terminal), its run and task stay
"running" in the local metadata database for ever, since no scheduler ever applies the DAG's
``dagrun_timeout`` to them. :class:`~linkwarehouse.local_airflow.LocalAirflow` runs this, with
its Airflow environment, only while it holds the lock that every local driver holds for its
whole session, so every such run found is certain to be dead. Runs a scheduler created are
left to the scheduler (and its ``dagrun_timeout``).
"""

from __future__ import annotations

import sys

from sqlalchemy import select


def fail_zombie_runs() -> list[str]:
    """Mark test-triggered runs still running or queued (and their unfinished tasks) failed."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState, State, TaskInstanceState
    from airflow.utils.types import DagRunTriggeredByType

    failed = []
    with create_session() as session:
        runs = session.scalars(
            select(DagRun).where(
                DagRun.state.in_([DagRunState.RUNNING, DagRunState.QUEUED]),
                DagRun.triggered_by == DagRunTriggeredByType.TEST,
            )
        ).all()
        for run in runs:
            for instance in run.get_task_instances(state=list(State.unfinished), session=session):
                instance.state = TaskInstanceState.FAILED
                session.merge(instance)
            run.set_state(DagRunState.FAILED)
            failed.append(f"{run.dag_id}/{run.run_id}")
    return failed


def main() -> int:
    for run in fail_zombie_runs():
        print(f"failed zombie run {run} (its local `airflow dags test` process was killed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Defaults shared by every DAG of the project (owner, retries, start date, time budgets).

``LINKWAREHOUSE_TASK_RETRIES`` overrides the retry count: local ``airflow dags test`` runs
(``make demo``, ``make run``) set it to 0 so a broken run fails at once with its error instead
of sleeping through retry delays; schedulers keep the default of 2.

Every task has an ``execution_timeout`` and every DAG a ``dagrun_timeout``
(:data:`BUDGETS`): a run whose worker was killed, or whose task hangs, is failed by the
scheduler once its budget is spent, instead of staying "running" and, with
``max_active_runs=1``, holding back the DAG's next runs.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk.exceptions import AirflowFailException, AirflowRescheduleException

log = logging.getLogger(__name__)

OWNER = "linkwarehouse"
#: How often one try of a task may hand its worker back before a long wait counts as a failure.
MAX_RESCHEDULES = 8
START_DATE = pendulum.datetime(2026, 1, 1, tz="UTC")
RETRIES_ENV = "LINKWAREHOUSE_TASK_RETRIES"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")


@dataclass(frozen=True)
class Budget:
    """How long one task may run, and one whole DAG run (its tasks, retries and waits)."""

    task: timedelta
    run: timedelta


#: Per DAG family. A crawl that hits 12 h would hit it again on a retry, so its run gets one
#: hour on top; a day's Google pull must end before the next day's starts.
BUDGETS = {
    "crawl": Budget(task=timedelta(hours=12), run=timedelta(hours=13)),
    "google": Budget(task=timedelta(hours=2), run=timedelta(hours=12)),
    "warehouse_build": Budget(task=timedelta(hours=4), run=timedelta(hours=5)),
    "link_alerts": Budget(task=timedelta(minutes=30), run=timedelta(hours=1)),
}


def default_args(retry_delay: timedelta, budget: Budget | None = None) -> dict[str, Any]:
    args: dict[str, Any] = {
        "owner": OWNER,
        "retries": int(os.environ.get(RETRIES_ENV, "2")),
        "retry_delay": retry_delay,
        "retry_exponential_backoff": True,
    }
    if budget is not None:
        args["execution_timeout"] = budget.task
    return args


@contextmanager
def no_retry_when_permanent() -> Iterator[None]:
    """Fail the task without its retries when the error says a retry cannot help.

    Errors with ``permanent = True`` (revoked access, a wrong property, bad credentials) would
    fail the same way after every retry delay; Airflow's ``AirflowFailException`` skips them.
    """
    try:
        yield
    except Exception as exc:
        if getattr(exc, "permanent", False):
            raise AirflowFailException(str(exc)) from exc
        raise


@contextmanager
def reschedule_when_asked(
    context: Mapping[str, Any], max_reschedules: int = MAX_RESCHEDULES
) -> Iterator[None]:
    """Free the worker when an error names a time to come back (``retry_at``), instead of sleeping.

    The task becomes ``up_for_reschedule`` and Airflow starts it again at that time, without
    using one of its retries - like a sensor in reschedule mode. After ``max_reschedules`` in a
    row the error fails the try as usual, so the task's retries (and in the end a failed run)
    take over instead of waiting forever.
    """
    try:
        yield
    except Exception as exc:
        retry_at = getattr(exc, "retry_at", None)
        if retry_at is None:
            raise
        count = int(context.get("task_reschedule_count") or 0)
        if count >= max_reschedules:
            log.error("%s; rescheduled %d times already, failing this try", exc, count)
            raise
        log.warning("%s; rescheduling (%d of %d)", exc, count + 1, max_reschedules)
        raise AirflowRescheduleException(reschedule_date=retry_at) from exc


def path_safe(run_id: str) -> str:
    """An Airflow run id (``manual__2026-01-01T00:00:00+00:00``) usable in file names."""
    return _UNSAFE.sub("-", run_id).strip("-.") or "run"

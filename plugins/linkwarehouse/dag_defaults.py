"""Defaults shared by every DAG of the project (owner, retries, start date).

``LINKWAREHOUSE_TASK_RETRIES`` overrides the retry count: local ``airflow dags test`` runs
(``make demo``, ``make run``) set it to 0 so a broken run fails at once with its error instead
of sleeping through retry delays; schedulers keep the default of 2.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
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


def default_args(retry_delay: timedelta) -> dict[str, Any]:
    return {
        "owner": OWNER,
        "retries": int(os.environ.get(RETRIES_ENV, "2")),
        "retry_delay": retry_delay,
        "retry_exponential_backoff": True,
    }


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

"""Defaults shared by every DAG of the project (owner, retries, start date).

``LINKWAREHOUSE_TASK_RETRIES`` overrides the retry count: local ``airflow dags test`` runs
(``make demo``, ``make run``) set it to 0 so a broken run fails at once with its error instead
of sleeping through retry delays; schedulers keep the default of 2.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk.exceptions import AirflowFailException

OWNER = "linkwarehouse"
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


def path_safe(run_id: str) -> str:
    """An Airflow run id (``manual__2026-01-01T00:00:00+00:00``) usable in file names."""
    return _UNSAFE.sub("-", run_id).strip("-.") or "run"

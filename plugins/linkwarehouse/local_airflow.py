"""Run the project's DAGs locally with ``airflow dags test`` (no scheduler, no web server).

Metadata lives in SQLite under a project-local ``AIRFLOW_HOME`` (``.airflow/``). ``dags test``
runs one DAG and does not start asset-triggered downstream DAGs, so callers run them in order
(crawl -> warehouse_build -> link_alerts), exactly what the scheduler would do. Airflow's own
output goes to a log file per DAG run; our progress lines are echoed.

One local driver at a time per home: :meth:`LocalAirflow.migrate` takes a lock held until the
driver is closed or its process ends, then fails the runs that killed local drivers left
"running" (:mod:`linkwarehouse.local_zombies`); no scheduler would ever time them out.
"""

from __future__ import annotations

import fcntl
import os
import re
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from linkwarehouse.dag_defaults import RETRIES_ENV
from linkwarehouse.settings import Settings

# Progress worth showing on a terminal; everything else goes to the per-DAG log file.
_ECHO = re.compile(
    r"progress: |published crawl \S+ of site \S+: |dbt \| \S+\s+(Finished running|Done\. PASS)|"
    r"published \S+marts|day \S+: published (\S+ )?\d+ rows|new orphans|alert \S+ (for|already)|"
    r"Task failed|Traceback|\bERROR\b|failed zombie run"
)
_DECORATION = re.compile(
    r"^\S+Z \[\w+\s*\] |\s+\[[\w.]+\] loc=\S+$|^\[crawler\] \S+ \S+ \[[\w.]+\] \w+: |^dbt \| \S+\s+"
)

_ROW_COUNTS = re.compile(r" \(\{[^)]*\}\)")


def _terminal_line(line: str) -> str:
    """Strip Airflow's and Scrapy's log decoration from a line shown on the terminal."""
    for _ in range(2):
        line = _DECORATION.sub("", line)
    line = _ROW_COUNTS.sub("", line.split(" (quota", 1)[0])
    return line.strip()[:200]


class DagRunFailed(RuntimeError):
    """``airflow dags test`` reported a failed run; the message holds the log tail and path."""


class LocalAirflowBusy(RuntimeError):
    """Another local run already drives DAGs with this Airflow home."""


DRIVER_LOCK = ".linkwarehouse-driver.lock"


class LocalAirflow:
    """Airflow 3 standalone metadata in ``<root>/.airflow`` driving this project's DAGs."""

    def __init__(
        self,
        settings: Settings,
        extra_env: dict[str, str] | None = None,
        log_dir: Path | None = None,
        echo: Callable[[str], None] = print,
        home: Path | None = None,
    ) -> None:
        self.settings = settings
        self.home = home or settings.root / ".airflow"
        self.log_dir = log_dir or settings.state_dir / "logs"
        self.extra_env = extra_env or {}
        self.echo = echo
        self._airflow = str(Path(sys.executable).with_name("airflow"))
        self._lock: Any = None

    def environment(self) -> dict[str, str]:
        s = self.settings
        return {
            **os.environ,
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(s.root / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(s.root / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "LINKWAREHOUSE_ROOT": str(s.root),
            "LINKWAREHOUSE_CONFIG": str(s.config_path),
            "LINKWAREHOUSE_LAKE": str(s.lake_root),
            "LINKWAREHOUSE_WAREHOUSE": str(s.warehouse_dir),
            "LINKWAREHOUSE_DBT_PROJECT": str(s.dbt_project_dir),
            "LINKWAREHOUSE_STATE": str(s.state_dir),
            "PYTHONUNBUFFERED": "1",
            RETRIES_ENV: os.environ.get(RETRIES_ENV, "0"),
            **self.extra_env,
        }

    def migrate(self) -> None:
        """Take the home's driver lock, create or upgrade the SQLite metadata database
        (idempotent) and fail the runs killed local drivers left running."""
        self.home.mkdir(parents=True, exist_ok=True)
        self._hold_driver_lock()
        self._run(["db", "migrate"], "airflow-db-migrate")
        self._run([sys.executable, "-m", "linkwarehouse.local_zombies"], "airflow-zombie-runs", airflow=False)

    def _hold_driver_lock(self) -> None:
        if self._lock is not None:
            return
        handle = (self.home / DRIVER_LOCK).open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise LocalAirflowBusy(f"{self.home}: another local run is driving Airflow here") from None
        self._lock = handle

    def close(self) -> None:
        """Release the driver lock (also released when the process ends, however it ends)."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def run_dag(self, dag_id: str) -> float:
        """Run one DAG to completion; return its wall time in seconds."""
        started = time.monotonic()
        self._run(["dags", "test", dag_id], dag_id)
        return time.monotonic() - started

    def _run(self, args: list[str], label: str, airflow: bool = True) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{label}.log"
        tail: deque[str] = deque(maxlen=60)
        with (
            log_path.open("w", encoding="utf-8") as log_file,
            subprocess.Popen(
                [self._airflow, *args] if airflow else args,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
                env=self.environment(),
                cwd=self.settings.root,
            ) as proc,
        ):
            assert proc.stdout is not None
            for line in proc.stdout:
                log_file.write(line)
                tail.append(line.rstrip("\n"))
                if _ECHO.search(line):
                    self.echo("      " + _terminal_line(line))
            code = proc.wait()
        if code != 0:
            command = " ".join(["airflow", *args] if airflow else args)
            raise DagRunFailed(f"`{command}` failed (exit {code}); full log: {log_path}\n" + "\n".join(tail))

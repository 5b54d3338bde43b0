"""Who owns a piece of work in progress, and is that process still alive?

Clean-up after kills must never delete what a live process is still writing, and age alone
cannot tell (a crawl may run for hours, a killed one may be seconds old). So work in progress
records its owner: host name, boot id and pid namespace (the same pid on another machine,
after a reboot or in another container is another process), pid, and the process's start
time (a recycled pid is another process). Same machine: :func:`is_alive` answers for sure.
Another machine: it cannot, and callers fall back to the age of the claim, bounded by the
longest time any task may run.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any


def _read(path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return ""


@cache
def _machine() -> tuple[str, str, str]:
    """(host name, boot id, pid namespace): equal only for processes that share pids."""
    try:
        namespace = str(Path("/proc/self/ns/pid").stat().st_ino)
    except OSError:
        namespace = ""
    return socket.gethostname(), _read("/proc/sys/kernel/random/boot_id"), namespace


def _stat(pid: int) -> tuple[str, str] | None:
    """(state, start time in clock ticks) from /proc/<pid>/stat; None where there is no /proc."""
    raw = _read(f"/proc/{pid}/stat")
    if not raw:
        return None
    fields = raw.rsplit(")", 1)[-1].split()  # the command name may contain spaces and ')'
    return fields[0], fields[19]


@dataclass(frozen=True)
class Owner:
    """One process, identified well enough to tell whether it still runs."""

    host: str
    boot: str
    pid_ns: str
    pid: int
    started: str
    claimed_at: str

    @classmethod
    def current(cls) -> Owner:
        host, boot, namespace = _machine()
        stat = _stat(os.getpid())
        return cls(host, boot, namespace, os.getpid(), stat[1] if stat else "", datetime.now(UTC).isoformat())

    def same_process(self, other: Owner) -> bool:
        return (self.host, self.boot, self.pid_ns, self.pid, self.started) == (
            other.host,
            other.boot,
            other.pid_ns,
            other.pid,
            other.started,
        )

    def on_this_machine(self) -> bool:
        return (self.host, self.boot, self.pid_ns) == _machine()

    def age_seconds(self, now: datetime | None = None) -> float:
        try:
            claimed = datetime.fromisoformat(self.claimed_at)
        except ValueError:
            return float("inf")
        return ((now or datetime.now(UTC)) - claimed).total_seconds()

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Owner | None:
        try:
            data: Any = json.loads(text)
            return cls(**{key: data[key] for key in cls.__dataclass_fields__})
        except (ValueError, TypeError, KeyError):
            return None


def is_alive(owner: Owner) -> bool | None:
    """True while the process runs; False once it is gone (or a zombie, or its pid was
    reused); None when it ran on another machine and this one cannot tell."""
    if not owner.on_this_machine():
        return None
    try:
        os.kill(owner.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by another user
    stat = _stat(owner.pid)
    if stat is None:
        return True  # no /proc: the pid exists, that is all we know
    state, started = stat
    return state not in ("Z", "X") and (not owner.started or started == owner.started)

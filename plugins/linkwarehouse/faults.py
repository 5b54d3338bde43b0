"""Named kill points, so tests can SIGKILL a real process at an exact step of its work.

A sleep-then-kill test races the process and lands wherever the machine's speed puts it; a
kill point lands at the same step every time. ``LINKWAREHOUSE_KILL_AT=<point>@<n>`` makes the
process kill itself with SIGKILL (no clean-up handler runs, as with the kernel's OOM killer or
a lost node) the n-th time it reaches ``<point>``, after first killing the child processes the
caller names (dbt runs as one). ``LINKWAREHOUSE_KILL_TRACE=<file>`` appends every point reached
to ``<file>``, which is how a test learns the points of a clean run before choosing one.
Neither variable is set in production, where a point is one cached lookup.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections import Counter
from collections.abc import Iterable
from functools import cache

KILL_AT_ENV = "LINKWAREHOUSE_KILL_AT"
TRACE_ENV = "LINKWAREHOUSE_KILL_TRACE"

_reached: Counter[str] = Counter()


@cache
def _plan() -> tuple[str | None, int, str | None]:
    target, _, nth = os.environ.get(KILL_AT_ENV, "").partition("@")
    return (target or None), int(nth or 1), os.environ.get(TRACE_ENV) or None


def kill_point(name: str, children: Iterable[int] = ()) -> None:
    """Mark a step; die here (children first) when the environment asks for it."""
    target, nth, trace = _plan()
    if target is None and trace is None:
        return
    _reached[name] += 1
    if trace is not None:
        with open(trace, "a", encoding="utf-8") as handle:
            handle.write(f"{name}\n")
    if name == target and _reached[name] == nth:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)

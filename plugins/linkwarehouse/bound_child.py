"""``python -m linkwarehouse.bound_child <program> [args...]``: run a program that dies with us.

A killed warehouse build (OOM killer, a lost worker, Airflow's timeout) must not leave its dbt
running on for an hour, writing a file nobody will publish and holding the build lock that the
next build waits for. On Linux this sets the parent-death signal to SIGKILL and then replaces
itself with the program (same pid), so the kernel kills dbt when the build process dies.
Elsewhere it just runs the program.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
        return
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit("usage: python -m linkwarehouse.bound_child <program> [args...]")
    _die_with_parent(int(os.environ.pop("LINKWAREHOUSE_PARENT_PID", os.getppid())))
    os.execv(sys.argv[1], sys.argv[1:])  # noqa: S606 -- becomes the program, keeping this pid


if __name__ == "__main__":
    main()

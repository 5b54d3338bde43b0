"""Run one site's crawl as a subprocess and report what it published.

Scrapy's Twisted reactor cannot be restarted inside a process, and a crawl must never take an
Airflow worker down with it, so every crawl is its own ``python -m linkcrawler`` process. Its
output is streamed to our logger line by line (progress stays visible in the task log) and its
last stdout line is a JSON summary.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from linkwarehouse.settings import Settings, load_settings

log = logging.getLogger(__name__)


class CrawlFailed(RuntimeError):
    """The crawl subprocess exited without publishing a complete crawl.

    ``permanent`` says a retry cannot help (every start URL refused by the SSRF guard, robots.txt
    or the site's scope): the task fails without its retries (dag_defaults.no_retry_when_permanent).
    """

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def crawl_id_for(moment: datetime) -> str:
    """A sortable, path-safe crawl id; one per DAG run so a retry rewrites its own partition."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def run_crawl(
    site: str,
    crawl_id: str,
    settings: Settings | None = None,
    *,
    config_path: Path | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Crawl ``site`` into the lake as ``crawl_id``; return the crawler's JSON summary."""
    settings = settings or load_settings()
    config = config_path or settings.config_path
    cmd = [
        sys.executable,
        "-m",
        "linkcrawler",
        "--config",
        str(config),
        "--site",
        site,
        "--crawl-id",
        crawl_id,
        "--lake",
        str(settings.lake_root),
        "--run-id",
        f"crawl-{site}-{crawl_id}",
    ]
    log.info("crawling site %s as crawl %s", site, crawl_id)
    tail: deque[str] = deque(maxlen=40)
    with subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        env={**os.environ, **(env or {})},
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip("\n")
            tail.append(line)
            log.info("[crawler] %s", line)
        code = proc.wait()
    summary = _summary_from(tail)
    if code != 0 or not summary.get("published"):
        reason = summary.get("abort_reason") or "no summary (see the output below)"
        raise CrawlFailed(
            f"crawl of site {site!r} (crawl {crawl_id}) was not published (exit code {code}): {reason}\n"
            "last output:\n" + "\n".join(list(tail)[-15:]),
            permanent=bool(summary.get("permanent")),
        )
    log.info(
        "published crawl %s of site %s: %s pages, %s links, %s errors, stop reason %s",
        crawl_id,
        site,
        summary.get("pages"),
        summary.get("links"),
        summary.get("errors"),
        summary.get("stop_reason"),
    )
    return summary


def _summary_from(lines: deque[str]) -> dict[str, Any]:
    for line in reversed(lines):
        stripped = line.strip()
        if stripped.startswith("{") and stripped.endswith("}"):
            try:
                return json.loads(stripped)
            except json.JSONDecodeError:
                continue
    return {}

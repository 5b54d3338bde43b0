"""Time a 300,000-row Search Console day paged through the local stand-in with the real client.

The stand-in runs in its own process (so server-side JSON encoding does not share the GIL with
the client being measured) and issues a real OAuth token from a freshly generated
service-account key. The day is extracted twice: the first run includes the stand-in building
its data, the second (a rerun that must replace, not duplicate, the partition) is the figure in
the final ``RESULT`` line.

    .venv/bin/python bench/google_paging.py [--rows 300000] [--in-process]
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from linkwarehouse.config import parse_sites
from linkwarehouse.google.credentials import access_from_extras
from linkwarehouse.google.gsc import extract_gsc_day
from linkwarehouse.google.services import gsc_service
from linkwarehouse.google.standin import GoogleStandIn
from linkwarehouse.google.standin_data import PageModel, SiteModel
from linkwarehouse.lake.schemas import GSC_PAGE_QUERIES
from linkwarehouse.lake.writer import partition_dir

DAY = "2026-11-20"
TODAY = date(2026, 11, 27)
SITE_URL = "sc-domain:127.0.0.1"
BASE = "http://127.0.0.1:8765/"


def make_server(rows: int) -> GoogleStandIn:
    pages = tuple(PageModel(f"/p/{i}/", 1.0 + i % 7, f"topic {i}") for i in range(2_000))
    return GoogleStandIn(gsc={SITE_URL: SiteModel(BASE, pages, gsc_query_rows=rows)}, today=TODAY)


def serve(rows: int, key_path: str, ready: Any, stop: Any) -> None:
    with make_server(rows) as server:
        server.create_service_account(Path(key_path))
        ready.put(server.base_url)
        stop.wait()


def run_once(lake: Path, extras: dict[str, str]) -> tuple[float, dict[str, Any]]:
    site = parse_sites(
        {"sites": [{"name": "bench", "start_urls": [BASE], "gsc": {"site_url": SITE_URL}}]}, Path("bench")
    ).sites[0]
    service = gsc_service(access_from_extras(extras, "bench", environ={}))
    started = time.perf_counter()
    manifests = extract_gsc_day(site, DAY, service=service, lake_root=lake)
    return time.perf_counter() - started, manifests[GSC_PAGE_QUERIES.name]


def duplicates(lake: Path) -> tuple[int, int]:
    folder = partition_dir(lake, GSC_PAGE_QUERIES, {"site": "bench", "date": DAY})
    table = pq.read_table(folder, columns=["page", "query"])
    distinct = table.group_by(["page", "query"]).aggregate([]).num_rows
    return table.num_rows, table.num_rows - distinct


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--in-process", action="store_true", help="run the stand-in in a thread instead")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="google-paging-"))
    key_path = workdir / "sa.json"
    context = multiprocessing.get_context("spawn")
    stop, ready, process, server = context.Event(), context.Queue(), None, None
    if args.in_process:
        server = make_server(args.rows).start()
        server.create_service_account(key_path)
        base_url = server.base_url
    else:
        process = context.Process(target=serve, args=(args.rows, str(key_path), ready, stop), daemon=True)
        process.start()
        base_url = ready.get(timeout=60)
    try:
        extras = {"key_path": str(key_path), "api_endpoint": base_url}
        print(
            f"stand-in {base_url} ({'thread' if args.in_process else 'separate process'}), {args.rows:,} rows"
        )
        cold, _ = run_once(workdir / "lake", extras)
        print(f"first run (stand-in builds its data):  {cold:6.2f}s")
        seconds, manifest = run_once(workdir / "lake", extras)
        rows, dupes = duplicates(workdir / "lake")
        pages = manifest["api_pages"]
        print(f"rerun (replaces the partition):        {seconds:6.2f}s")
        print(f"  {pages} requests of rowLimit {manifest['row_limit']:,}: {pages / seconds:.2f} pages/s, "
              f"{rows / seconds:,.0f} rows/s, {seconds / pages * 1000:.0f} ms/page")  # fmt: skip
        print(f"  published rows {rows:,} (manifest {manifest['rows']:,}), duplicate keys {dupes}")
        print(f"RESULT rows={rows} seconds={seconds:.2f} duplicates={dupes}")
    finally:
        stop.set()
        if process is not None:
            process.join(timeout=10)
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()

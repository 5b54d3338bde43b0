"""``python -m linkwarehouse.google``: backfill a date range, or run the stand-in by hand.

python -m linkwarehouse.google backfill gsc demo 2026-11-01 2026-11-20
python -m linkwarehouse.google standin http://127.0.0.1:8765/ --state-dir .demo

A backfill prints one JSON line per day, then verifies the range like the DAG's ``verify``
task: exit status 1 with the reason when a day is missing, a Search Console day Google has not
finalised has no rows, or Google asked to come back later (the message says when).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import threading

from linkwarehouse.google.demo import start_demo_google
from linkwarehouse.google.errors import GoogleDataError
from linkwarehouse.google.jobs import backfill, verify_published
from linkwarehouse.google.partitions import date_range
from linkwarehouse.settings import load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m linkwarehouse.google.cli", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    fill = commands.add_parser("backfill", help="fetch and publish every day of a date range")
    fill.add_argument("source", choices=["ga4", "gsc"])
    fill.add_argument("site")
    fill.add_argument("start", help="first day, YYYY-MM-DD")
    fill.add_argument("end", help="last day, YYYY-MM-DD (inclusive)")
    standin = commands.add_parser("standin", help="serve demo GA4/GSC data until Ctrl-C")
    standin.add_argument("site_base_url")
    standin.add_argument("--state-dir", default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = load_settings()
    if args.command == "backfill":
        try:
            for summary in backfill(args.source, args.site, args.start, args.end, settings=settings):
                print(json.dumps(summary, sort_keys=True), flush=True)
            days = date_range(args.start, args.end)
            print(json.dumps(verify_published(args.source, args.site, days, settings), sort_keys=True))
        except GoogleDataError as exc:
            parser.exit(1, f"error: {exc}\n")
        return 0
    with start_demo_google(args.site_base_url, args.state_dir or settings.state_dir) as demo:
        print(f"stand-in: {demo.server.base_url}")
        for name, value in demo.env().items():
            print(f"export {name}='{value}'")
        print(f"site config: {json.dumps(demo.site_config())}")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

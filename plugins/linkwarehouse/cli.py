"""``linkwarehouse`` command line: the demo, local runs for any sites file, reports.

``make demo`` and ``make run`` call this; the work happens in :mod:`linkwarehouse.pipeline`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

from linkwarehouse.config import ConfigError, SitesFile, load_sites
from linkwarehouse.local_airflow import DagRunFailed, LocalAirflowBusy
from linkwarehouse.pipeline import run_demo, run_sites
from linkwarehouse.report import summary
from linkwarehouse.settings import Settings, load_settings


def _say(message: str = "") -> None:
    print(message, flush=True)


def _outputs(settings: Settings) -> str:
    return "\n".join(
        [
            "Outputs",
            f"  warehouse (open read-only)  {settings.marts_path}",
            f"      duckdb -readonly {settings.marts_path}  # then: from page_link_metrics limit 5;",
            f"  Parquet exports of marts    {settings.exports_dir}/",
            f"  lake (hive-partitioned)     {settings.lake_root}/",
            f"  run logs                    {settings.state_dir / 'logs'}/",
        ]
    )


def cmd_demo(args: argparse.Namespace) -> int:
    settings = load_settings()
    _say("Link Warehouse demo: crawl -> Parquet lake -> dbt/DuckDB marts -> orphan alerts, run by Airflow 3")
    result = run_demo(settings, echo=_say)
    _say()
    _say(summary(settings.marts_path))
    _say(f"Alerts received by the demo webhook: {len(result.alerts)}")
    for request in result.alerts:
        body = request.get("body")
        text = body.get("text") if isinstance(body, dict) else body
        _say("  " + str(text).replace("\n", "\n  "))
    _say()
    _say(_outputs(settings))
    _say(f"\nDemo finished in {result.timings['total']:.0f}s")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    config = Path(args.config).resolve()
    os.environ["LINKWAREHOUSE_CONFIG"] = str(config)
    settings = replace(load_settings(), config_path=config)
    sites = load_sites(config)
    if args.site:
        sites = SitesFile(sites=[sites.site(name) for name in args.site])
    started = time.monotonic()
    run_sites(settings, sites, echo=_say)
    _say()
    _say(summary(settings.marts_path))
    _say(_outputs(settings))
    _say(f"\nFinished in {time.monotonic() - started:.0f}s")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    settings = load_settings()
    _say(summary(Path(args.marts) if args.marts else settings.marts_path, top=args.top))
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from linkwarehouse.warehouse import build_warehouse

    _say(json.dumps(build_warehouse(load_settings()).summary(), indent=2))
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    """What every crawl and build does before it starts, on demand: see docs/reliability.md."""
    from linkwarehouse.lake.sweep import sweep_lake
    from linkwarehouse.warehouse import sweep_when_idle

    settings = load_settings()
    report = sweep_lake(settings.lake_root)
    _say(f"lake {settings.lake_root}: {report.summary()}")
    for label, paths in (
        ("restored", report.restored),
        ("removed", report.removed_staging + report.removed_partitions + report.removed_temp_files),
    ):
        for path in paths:
            _say(f"  {label} {path}")
    removed = sweep_when_idle(settings)
    if removed is None:
        _say(f"warehouse {settings.build_dir}: a build is running; it sweeps when it starts, next time")
    else:
        _say(f"warehouse {settings.build_dir}: removed {len(removed)} leftover(s) of earlier builds")
        for name in removed:
            _say(f"  removed {name}")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="linkwarehouse", description=__doc__.splitlines()[0])
    commands = root.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run the whole pipeline on the bundled demo site")
    demo.set_defaults(func=cmd_demo)
    run = commands.add_parser("run", help="crawl + warehouse + alerts for the sites of a config file")
    run.add_argument("--config", required=True, help="path to a sites.yaml")
    run.add_argument("--site", action="append", help="only these sites (repeatable)")
    run.set_defaults(func=cmd_run)
    report = commands.add_parser("report", help="print the summary of the published warehouse")
    report.add_argument("--marts", help="path to marts.duckdb (default: the published one)")
    report.add_argument("--top", type=int, default=10)
    report.set_defaults(func=cmd_report)
    build = commands.add_parser("build", help="build and publish the warehouse from the lake (no Airflow)")
    build.set_defaults(func=cmd_build)
    sweep = commands.add_parser(
        "sweep", help="remove what killed crawls and builds left (never what a live one uses)"
    )
    sweep.set_defaults(func=cmd_sweep)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"config error:\n{exc}", file=sys.stderr)
        return 2
    except (DagRunFailed, LocalAirflowBusy, KeyError) as exc:
        print(f"failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; every server this run started is stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

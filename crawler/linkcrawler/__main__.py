"""``python -m linkcrawler``: crawl one site into the lake; exit 0 only when it was published.

    python -m linkcrawler --config config/sites.yaml --site demo --crawl-id 20250101T000000Z \\
        --lake lake [--run-id crawl-demo-1] [--log-level INFO]

Logs (progress every few seconds) go to stderr. stdout gets a short summary and, as its LAST
line, a JSON object the orchestration layer parses:
``{"crawl_id": ..., "pages": ..., "links": ..., "errors": ..., "stop_reason": ..., "published": true, ...}``.
Exit codes: 0 published, 1 crawl ran but was not published (the summary says why in
``abort_reason``; ``permanent`` is true when running it again cannot help, e.g. every start URL
refused by the SSRF guard), 2 bad arguments or config.

Before crawling, the lake is swept (linkwarehouse.lake.sweep): staging folders of dead writers,
this site's crawl partitions that a killed publish left without a crawl/runs row. Then this
process claims its staging folders (and its workers'), so a concurrent sweep leaves them alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from linkcrawler.coordinator import Coordinator
from linkcrawler.spiders.site import SiteSpider
from linkwarehouse.config import ConfigError, SiteConfig, load_sites
from linkwarehouse.lake import LakeError, partition_dir
from linkwarehouse.lake.schemas import CRAWL_PAGES
from linkwarehouse.lake.sweep import sweep_lake
from linkwarehouse.lake.writer import claim_staging, release_staging, staging_root

EXIT_PUBLISHED, EXIT_NOT_PUBLISHED, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m linkcrawler", description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True, type=Path, help="sites file (config/sites.yaml)")
    parser.add_argument("--site", required=True, help="name of the site in the sites file")
    parser.add_argument("--crawl-id", required=True, help="partition key of this crawl (path-safe)")
    parser.add_argument("--lake", required=True, type=Path, help="lake root folder")
    parser.add_argument(
        "--run-id", default=None, help="staging folder name (default crawl-<site>-<crawl id>)"
    )
    parser.add_argument("--log-level", default=None, help="override LOG_LEVEL (default INFO)")
    # Internal: started by the coordinator of a multi-process crawl (crawl.workers > 1).
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--coordinator", default=None, help=argparse.SUPPRESS)
    return parser


def _check_inputs(args: argparse.Namespace) -> SiteConfig | str:
    """Fail fast, before Scrapy starts, on what the spider would reject: the site, or the message."""
    try:
        site = load_sites(args.config).site(args.site)
        partition_dir(args.lake, CRAWL_PAGES, {"site": args.site, "crawl_id": args.crawl_id})
        if args.run_id is not None:
            staging_root(args.lake, args.run_id)
    except (ConfigError, LakeError) as exc:
        return str(exc)
    except KeyError as exc:
        return f"{args.config}: {exc.args[0]}"
    return site


def outcome(stats: dict[str, Any], site: str, crawl_id: str, elapsed: float) -> dict[str, Any]:
    """The JSON summary, from the crawl's stats (the pipeline records the publish result there)."""
    pages = int(stats.get("linkwarehouse/pages", 0))
    published = bool(stats.get("linkwarehouse/published", False))
    reason = stats.get("linkwarehouse/abort_reason")
    if not published and reason is None:
        reason = f"the crawl never reached the lake pipeline (finish reason {stats.get('finish_reason')!r})"
    return {
        "site": site,
        "crawl_id": crawl_id,
        "pages": pages,
        "links": int(stats.get("linkwarehouse/links", 0)),
        "errors": int(stats.get("linkwarehouse/pages/errors", 0)),
        "stop_reason": stats.get("linkwarehouse/stop_reason"),
        "published": published,
        "abort_reason": None if published else reason,
        "permanent": not published and bool(stats.get("linkwarehouse/abort_permanent", False)),
        "elapsed_s": round(elapsed, 3),
        "pages_per_s": round(pages / elapsed, 1) if elapsed > 0 else None,
    }


def _print_summary(result: dict[str, Any], stats: dict[str, Any]) -> None:
    state = "published" if result["published"] else f"NOT published: {result['abort_reason']}"
    print(f"crawl {result['crawl_id']} of site {result['site']}: {state}")
    print(
        f"  {result['pages']} pages, {result['links']} links, {result['errors']} errors, "
        f"stop reason {result['stop_reason']}, {result['elapsed_s']} s ({result['pages_per_s']} pages/s)"
    )
    for key in sorted(
        k for k in stats if k.startswith("linkwarehouse/") and k != "linkwarehouse/abort_reason"
    ):
        print(f"  {key}: {stats[key]}")


def _coordinate(args: argparse.Namespace, site: SiteConfig) -> int:
    """Run a multi-process crawl (coordinator.py) and print the same summary as a single process."""
    logging.basicConfig(
        level=(args.log_level or "INFO").upper(), format="%(asctime)s [%(name)s] %(levelname)s: %(message)s"
    )
    run_id = args.run_id or f"crawl-{args.site}-{args.crawl_id}"
    began = time.monotonic()
    coordinator = Coordinator(site, args.config, args.crawl_id, args.lake, run_id, args.log_level)
    try:
        ended = asyncio.run(coordinator.run())
    except Exception as exc:  # publishing failed: never leave a half-published crawl unexplained
        logging.getLogger("linkcrawler").exception("crawl %s failed", args.crawl_id)
        ended = {"published": False, "abort_reason": f"{type(exc).__name__}: {exc}"}
    row = ended.get("row", {})
    stats = {
        "linkwarehouse/pages": row.get("pages", sum(coordinator.done)),
        "linkwarehouse/links": row.get("links", 0),
        "linkwarehouse/pages/errors": row.get("errors", 0),
        "linkwarehouse/stop_reason": row.get("stop_reason", coordinator.frontier.stop_reason),
        "linkwarehouse/published": ended["published"],
        "linkwarehouse/abort_reason": ended.get("abort_reason"),
        "linkwarehouse/abort_permanent": ended.get("permanent", False),
        "linkwarehouse/workers": coordinator.workers,
        **coordinator.worker_stats,
        "linkwarehouse/traps/volatile_params": len(row.get("volatile_params", [])),
    }
    result = outcome(stats, args.site, args.crawl_id, time.monotonic() - began)
    _print_summary(result, stats)
    print(json.dumps(result), flush=True)
    return EXIT_PUBLISHED if result["published"] else EXIT_NOT_PUBLISHED


def _sweep(lake: Path, site: str) -> None:
    """Clean up after killed crawls before this one starts; a failed sweep never stops a crawl."""
    try:
        report = sweep_lake(lake, sites=[site])
    except (OSError, LakeError, ValueError) as exc:
        logging.getLogger("linkcrawler").warning("lake sweep failed (the crawl goes on): %s", exc)
        return
    print(f"lake sweep: {report.summary()}", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    site = _check_inputs(args)
    if isinstance(site, str):
        print(f"linkcrawler: {site}", file=sys.stderr)
        return EXIT_USAGE
    if args.worker is not None:
        return _crawl(args)
    run_id = args.run_id or f"crawl-{args.site}-{args.crawl_id}"
    claims = [run_id, *(f"{run_id}-w{k}" for k in range(site.crawl.workers))]
    _sweep(args.lake, args.site)
    for claim in claims:
        claim_staging(args.lake, claim)
    try:
        return _coordinate(args, site) if site.crawl.workers > 1 else _crawl(args)
    finally:
        for claim in claims:
            release_staging(args.lake, claim)


def _crawl(args: argparse.Namespace) -> int:
    """One Scrapy process: the whole crawl, or one worker of a multi-process crawl."""
    settings = Settings()
    settings.setmodule("linkcrawler.settings", priority="project")
    if args.log_level:
        settings.set("LOG_LEVEL", args.log_level.upper(), priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(SiteSpider)
    began = time.monotonic()
    process.crawl(
        crawler,
        site=args.site,
        crawl_id=args.crawl_id,
        config=str(args.config),
        lake=str(args.lake),
        run_id=args.run_id,
        worker=args.worker,
        coordinator=args.coordinator,
    )
    process.start()
    stats = crawler._stats.get_stats() if crawler._stats is not None else {}  # unset if it never started
    if args.worker is not None:
        staged = bool(stats.get("linkwarehouse/staged"))
        pages = int(stats.get("linkwarehouse/pages", 0))
        print(f"worker {args.worker}: {pages} pages, {'staged for publishing' if staged else 'NOT staged'}")
        print(json.dumps({"worker": args.worker, "pages": pages, "staged": staged}), flush=True)
        return EXIT_PUBLISHED if staged else EXIT_NOT_PUBLISHED
    result = outcome(stats, args.site, args.crawl_id, time.monotonic() - began)
    _print_summary(result, stats)
    print(json.dumps(result), flush=True)
    return EXIT_PUBLISHED if result["published"] else EXIT_NOT_PUBLISHED


if __name__ == "__main__":
    sys.exit(main())

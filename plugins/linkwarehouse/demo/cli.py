"""``python -m linkwarehouse.demo``: write a demo site, serve it, or receive webhooks.

``write`` prints one summary line; ``serve`` and ``webhook`` print their base URL on the first
line (flushed, so a parent process can read it) and run until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from linkwarehouse.demo.builder import DEFAULT_SEED, VERSIONS
from linkwarehouse.demo.server import DemoSiteServer
from linkwarehouse.demo.webhook import WebhookReceiver
from linkwarehouse.demo.writer import DemoSiteError, write_site


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m linkwarehouse.demo", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    write = commands.add_parser("write", help="write the demo site (pages, routes.json, truth.json)")
    write.add_argument("--out", required=True, type=Path, help="output folder (replaced atomically)")
    write.add_argument("--version", type=int, choices=VERSIONS, default=1, help="site version (default 1)")
    write.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"generator seed (default {DEFAULT_SEED})"
    )
    write.add_argument("--force", action="store_true", help="rewrite even when the folder is up to date")
    serve = commands.add_parser("serve", help="serve a written demo site until Ctrl-C")
    serve.add_argument("--site-dir", required=True, type=Path)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    hook = commands.add_parser("webhook", help="receive webhooks until Ctrl-C, printing each one")
    hook.add_argument("--host", default="127.0.0.1")
    hook.add_argument("--port", type=int, default=0)
    hook.add_argument("--log", type=Path, help="also append each request to this JSON-lines file")
    return parser


def _wait_for_interrupt() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "write":
            result = write_site(args.out, version=args.version, seed=args.seed, force=args.force)
            state = "wrote" if result.written else "up to date:"
            manifest = result.manifest
            print(
                f"{state} {result.path} (version {manifest['version']}, seed {manifest['seed']}): "
                f"{manifest['routes']} routes, {manifest['truth_urls']} crawlable URLs, "
                f"{manifest['link_occurrences']} links, {manifest['orphans']} orphans"
            )
            return 0
        if args.command == "serve":
            with DemoSiteServer(args.site_dir, host=args.host, port=args.port) as server:
                print(server.base_url, flush=True)
                _wait_for_interrupt()
            return 0
        with WebhookReceiver(host=args.host, port=args.port, log_path=args.log) as receiver:
            print(receiver.base_url, flush=True)
            _wait_for_interrupt()
            for item in receiver.received:
                print(json.dumps(item, ensure_ascii=False))
        return 0
    except DemoSiteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2

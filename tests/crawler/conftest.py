"""Shared helpers for the crawler tests: a scriptable local HTTP site and a CLI runner."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest
from scrapy.utils.test import get_crawler

from linkcrawler.spiders.site import SiteSpider

DATA = Path(__file__).parent / "data"
BASE = "http://example.com"


@dataclass
class Route:
    """One canned response; ``{BASE}`` and ``{PORT}`` in body and headers are filled in.

    ``then``: responses for the 2nd, 3rd, ... request of the same path (the last one repeats).
    ``stream``: send this many bytes without a Content-Length (until the client hangs up).
    """

    body: str | bytes = ""
    status: int = 200
    content_type: str | None = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0
    then: tuple[Route, ...] = ()
    stream: int = 0


def html(body: str, head: str = "") -> Route:
    return Route(f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>")


def redirect(status: int, location: str) -> Route:
    return Route("", status=status, content_type=None, headers=(("Location", location),))


class _Server(ThreadingHTTPServer):
    # The default backlog of 5 drops connections of a 2-process crawl: a 1 s timeout then fails.
    request_queue_size = 128


class SiteServer:
    """A site on 127.0.0.1 (random port) serving ``routes`` by path (+query); logs every request."""

    def __init__(self, routes: dict[str, Route], host: str = "127.0.0.1") -> None:
        self.routes = routes
        self.requests: Counter[str] = Counter()
        self.times: dict[str, list[float]] = {}
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with server._lock:
                    server.requests[self.path] += 1
                    count = server.requests[self.path]
                    server.times.setdefault(self.path, []).append(time.monotonic())
                route = server.route_for(self.path)
                if route.then and count > 1:
                    route = route.then[min(count - 2, len(route.then) - 1)]
                if route.delay:
                    time.sleep(route.delay)
                body = route.body if isinstance(route.body, bytes) else server.fill(route.body).encode()
                if any(name.lower() == "date" for name, _value in route.headers):
                    self.send_response_only(route.status)  # the route's own Date, not the clock's
                else:
                    self.send_response(route.status)
                if route.content_type:
                    self.send_header("Content-Type", route.content_type)
                for name, value in route.headers:
                    self.send_header(name, server.fill(value))
                if route.stream:
                    self.send_header("Connection", "close")
                    self.end_headers()
                    chunk = b"<p>" + b"x" * 65_530 + b"</p>"
                    try:
                        for _ in range(route.stream // len(chunk)):
                            self.wfile.write(chunk)
                    except OSError:
                        pass
                    self.close_connection = True
                    return
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = _Server((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def route_for(self, path: str) -> Route:
        """Exact path (with query), then path without query, then the longest ``prefix*`` route."""
        route = self.routes.get(path) or self.routes.get(path.split("?", 1)[0])
        if route is None:
            prefixes = [key for key in self.routes if key.endswith("*") and path.startswith(key[:-1])]
            if prefixes:
                found = self.routes[max(prefixes, key=len)]
                route = found(path) if callable(found) else found
        return route or Route("<html><body>not found</body></html>", status=404)

    def fill(self, text: str) -> str:
        return text.replace("{BASE}", self.base).replace("{PORT}", str(self.port))

    def __enter__(self) -> SiteServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serve() -> Iterator[Callable[..., SiteServer]]:
    servers: list[SiteServer] = []

    def start(routes: dict[str, Route], host: str = "127.0.0.1") -> SiteServer:
        server = SiteServer(routes, host).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__()


def write_config(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def crawl_command(config: Path, site: str, crawl_id: str, lake: Path, *extra: str) -> list[str]:
    return [
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
        str(lake),
        *extra,
    ]


def run_crawl(
    config: Path, site: str, crawl_id: str, lake: Path, timeout: float = 60
) -> subprocess.CompletedProcess:
    return subprocess.run(
        crawl_command(config, site, crawl_id, lake),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def lake_rows(lake: Path, table: str, order_by: str) -> list[dict]:
    """All rows of a published lake table (hive partitions as columns), as dicts."""
    files = f"{lake}/{table}/**/*.parquet"
    relation = duckdb.sql(f"select * from read_parquet('{files}', hive_partitioning = 1) order by {order_by}")
    return [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]


def make_spider(
    tmp_path: Path,
    links: dict[str, object] | None = None,
    urls: dict[str, object] | None = None,
    **crawl: object,
) -> SiteSpider:
    """A ``shop`` spider on http://example.com/ wired to a bare crawler (settings already frozen).

    ``crawl``, ``links`` and ``urls`` are the site's ``crawl:``, ``links:`` and ``urls:`` blocks.
    """
    config = tmp_path / "sites.yaml"
    limits = "".join(
        f"      {key}: {str(value).lower()}\n" for key, value in {"max_pages": 50, **crawl}.items()
    )
    link_rules = "".join(f"      {key}: {str(value).lower()}\n" for key, value in (links or {}).items())
    rules = "".join(f"      {key}: {str(value).lower()}\n" for key, value in (urls or {}).items())
    config.write_text(
        f"""sites:
  - name: shop
    start_urls: ["{BASE}/"]
    urls:
      strip_params: ["utm_*"]
{rules}    crawl:
{limits}"""
        + (f"    links:\n{link_rules}" if link_rules else "")
    )
    spider = SiteSpider(site="shop", crawl_id="c1", config=str(config), lake=str(tmp_path / "lake"))
    spider._set_crawler(get_crawler(SiteSpider))
    return spider

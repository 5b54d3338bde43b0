"""Serve a written demo site over HTTP on 127.0.0.1, exactly as its ``routes.json`` says.

Bodies of HTML, XML and robots.txt (and header values such as ``Location``) have
``{{BASE_URL}}`` replaced by the server's own ``http://127.0.0.1:<port>`` once, when the port
is known, so responses cost a dictionary lookup. Request paths are matched as sent, then in
normalised form (``%c3%a9`` finds ``%C3%A9``); the query string is ignored; anything else is 404.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from linkwarehouse.demo.httpbase import BackgroundServer, QuietHandler
from linkwarehouse.demo.model import BASE_URL
from linkwarehouse.demo.render import render_error
from linkwarehouse.demo.truth import NOT_FOUND_CONTENT_TYPE
from linkwarehouse.demo.writer import ROUTES, DemoSiteError
from linkwarehouse.urls import normalize_url

_TEMPLATED_TYPES = ("text/html", "application/xml", "text/xml", "text/plain")
_PATH_BASE = "http://demo.invalid"


@dataclass(frozen=True)
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def load_routes(site_dir: Path) -> dict[str, dict[str, object]]:
    path = site_dir / ROUTES
    try:
        routes = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DemoSiteError(
            f"{path}: not found; write the site first (python -m linkwarehouse.demo write)"
        ) from None
    except ValueError as exc:
        raise DemoSiteError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(routes, dict):
        raise DemoSiteError(f"{path}: expected an object of path -> route")
    return routes


def _normalised_path(raw_path: str) -> str | None:
    url = normalize_url(_PATH_BASE + raw_path)
    return url[len(_PATH_BASE) :] if url and url.startswith(_PATH_BASE) else None


class DemoSiteServer(BackgroundServer):
    """A threaded HTTP/1.1 server for a site written by :func:`~linkwarehouse.demo.write_site`.

    ``hits()`` counts requests per path, so tests can assert that a crawler fetched each URL
    at most once.
    """

    def __init__(self, site_dir: str | os.PathLike[str], host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self.site_dir = Path(site_dir)
        self.routes = load_routes(self.site_dir)
        self._responses: dict[str, Response] = {}
        self._not_found = Response(404, [("Content-Type", NOT_FOUND_CONTENT_TYPE)], render_error(404))
        self._hits: Counter[str] = Counter()
        self._hits_lock = threading.Lock()

    def on_bound(self) -> None:
        base = self.base_url
        self._responses = {path: self._prepare(path, route, base) for path, route in self.routes.items()}

    def _prepare(self, path: str, route: dict[str, object], base: str) -> Response:
        headers = route.get("headers") or {}
        body_name = route.get("body")
        body = b""
        if body_name:
            file = self.site_dir / str(body_name)
            try:
                body = file.read_bytes()
            except OSError as exc:
                raise DemoSiteError(f"{file}: body of route {path} unreadable: {exc}") from None
        content_type = str(headers.get("Content-Type", "")) if isinstance(headers, dict) else ""
        if content_type.startswith(_TEMPLATED_TYPES):
            body = body.replace(BASE_URL.encode(), base.encode())
        header_list = [
            (str(name), str(value).replace(BASE_URL, base)) for name, value in dict(headers).items()
        ]
        return Response(int(str(route["status"])), header_list, body)

    def lookup(self, raw_path: str) -> Response:
        path = raw_path.split("#", 1)[0].split("?", 1)[0]
        response = self._responses.get(path)
        if response is None:
            normalised = _normalised_path(path)
            response = self._responses.get(normalised) if normalised else None
        return response or self._not_found

    def record_hit(self, raw_path: str) -> None:
        with self._hits_lock:
            self._hits[raw_path] += 1

    def hits(self) -> dict[str, int]:
        """Requests received per raw request path (query included)."""
        with self._hits_lock:
            return dict(self._hits)

    def reset_hits(self) -> None:
        with self._hits_lock:
            self._hits.clear()

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class SiteHandler(QuietHandler):
            def do_GET(self) -> None:
                self._serve(head=False)

            def do_HEAD(self) -> None:
                self._serve(head=True)

            def _serve(self, head: bool) -> None:
                site.record_hit(self.path)
                response = site.lookup(self.path)
                self.send_bytes(response.status, response.headers, response.body, head=head)

        return SiteHandler

"""A stdlib HTTP server in a daemon thread, shared by the demo site and the webhook receiver.

Tuned for crawler tests: HTTP/1.1 keep-alive, a listen backlog large enough for a burst of
concurrent connections, no per-request stderr lines, and ``stop()`` that never waits for
keep-alive connections a client left open.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self

log = logging.getLogger(__name__)
_CLIENT_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


class QuietHandler(BaseHTTPRequestHandler):
    """Keep-alive handler without access logs; idle connections close after ``timeout`` s."""

    protocol_version = "HTTP/1.1"
    server_version = "LinkWarehouseDemo/1.0"
    timeout = 30

    def log_message(self, format: str, *args: object) -> None:
        return

    def send_bytes(
        self, status: int, headers: list[tuple[str, str]], body: bytes, head: bool = False
    ) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)


class _ThreadedServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self.errors: list[str] = []
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def process_request(self, request: socket.socket, client_address: tuple[str, int]) -> None:  # type: ignore[override]
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_open_connections(self) -> None:
        """End keep-alive connections clients left open, so nothing is served after stop()."""
        with self._open_lock:
            sockets, self._open = list(self._open), set()
        for sock in sockets:
            with contextlib.suppress(OSError):  # already closed by the client
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, _CLIENT_GONE):
            return
        self.errors.append(f"{client_address}: {exc!r}")
        log.warning("demo server error for %s: %r", client_address, exc)


class BackgroundServer:
    """Start/stop an HTTP server in a daemon thread; usable as a context manager.

    Subclasses provide :meth:`handler_class` and may prepare state in :meth:`on_bound`,
    which runs after the port is known and before the first request is accepted.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """``port=0`` picks a free port; after :meth:`start`, ``port`` is the bound one."""
        self.host = host
        self.port = port
        self._server: _ThreadedServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    def on_bound(self) -> None:
        """Hook: the socket is bound (``base_url`` works) but no request is served yet."""

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def errors(self) -> list[str]:
        """Unexpected handler errors (client disconnects are not errors)."""
        return list(self._server.errors) if self._server else []

    def start(self) -> Self:
        with self._lock:
            if self._server is not None:
                return self
            server = _ThreadedServer((self.host, self.port), self.handler_class())
            self._server = server
            self.port = server.server_address[1]  # the real port when 0 asked for a free one
            try:
                self.on_bound()
            except BaseException:
                self._server = None
                server.server_close()
                raise
            self._thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=type(self).__name__,
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket; safe to call twice or before start()."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.close_open_connections()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

"""A tiny webhook receiver: stores every POST so the demo can print alerts and tests can count them.

Airflow's ``HttpNotifier`` posts alert batches here in the demo; tests assert "exactly one
alert naming these URLs" against :attr:`WebhookReceiver.received`. Requests are kept in memory
(thread-safe) and, when ``log_path`` is given, appended to it as JSON lines so another process
(``make demo``) can read them.
"""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, TypedDict

from linkwarehouse.demo.httpbase import BackgroundServer, QuietHandler

MAX_BODY_BYTES = 10 * 1024 * 1024


class ReceivedRequest(TypedDict):
    """One request as received (a plain dict, JSON-ready); ``body`` is decoded JSON when it
    parses, else the raw text."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    is_json: bool
    received_at: str


class WebhookReceiver(BackgroundServer):
    """Accept POST/PUT/PATCH on any path, answer ``status`` with ``{"ok": true}``.

    ``GET`` on any path returns everything received so far as a JSON list.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        log_path: str | os.PathLike[str] | None = None,
        status: int = 200,
    ) -> None:
        super().__init__(host, port)
        self.log_path = Path(log_path) if log_path is not None else None
        self.status = status
        self._received: list[ReceivedRequest] = []
        self._changed = threading.Condition()

    @property
    def received(self) -> list[ReceivedRequest]:
        """Copies of the requests received so far, oldest first."""
        with self._changed:
            return [ReceivedRequest(**item) for item in self._received]

    def clear(self) -> None:
        with self._changed:
            self._received.clear()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedRequest]:
        """Block until at least ``count`` requests arrived (or ``timeout`` s passed)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self._received) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._changed.wait(remaining)
            return [ReceivedRequest(**item) for item in self._received]

    def record(self, request: ReceivedRequest) -> None:
        with self._changed:
            self._received.append(request)
            if self.log_path is not None:
                self.log_path.parent.mkdir(parents=True, exist_ok=True)
                with self.log_path.open("a", encoding="utf-8") as log:
                    log.write(json.dumps(request, ensure_ascii=False) + "\n")
            self._changed.notify_all()

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class WebhookHandler(QuietHandler):
            def do_POST(self) -> None:
                self._accept()

            def do_PUT(self) -> None:
                self._accept()

            def do_PATCH(self) -> None:
                self._accept()

            def do_GET(self) -> None:
                body = json.dumps(receiver.received).encode()
                self.send_bytes(200, [("Content-Type", "application/json")], body)

            def _accept(self) -> None:
                raw = self._read_body()
                if raw is None:
                    self.send_bytes(413, [("Content-Type", "text/plain")], b"body too large\n")
                    self.close_connection = True
                    return
                text = raw.decode("utf-8", errors="replace")
                try:
                    body, is_json = json.loads(text), True
                except ValueError:
                    body, is_json = text, False
                receiver.record(
                    ReceivedRequest(
                        method=self.command,
                        path=self.path,
                        headers={name: value for name, value in self.headers.items()},
                        body=body,
                        is_json=is_json,
                        received_at=datetime.now(UTC).isoformat(),
                    )
                )
                self.send_bytes(receiver.status, [("Content-Type", "application/json")], b'{"ok": true}')

            def _read_body(self) -> bytes | None:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    return self._read_chunked()
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY_BYTES:
                    return None
                return self.rfile.read(length) if length > 0 else b""

            def _read_chunked(self) -> bytes | None:
                chunks: list[bytes] = []
                total = 0
                while True:
                    size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return b"".join(chunks)
                    total += size
                    if total > MAX_BODY_BYTES:
                        return None
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()

        return WebhookHandler

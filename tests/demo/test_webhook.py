"""WebhookReceiver: a real HTTP round trip, thread-safe storage, JSON-lines log."""

from __future__ import annotations

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from linkwarehouse.demo import WebhookReceiver


def post(url: str, body: bytes, content_type: str = "application/json") -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


def test_round_trip_json_and_text(tmp_path: Path) -> None:
    log = tmp_path / "alerts" / "received.jsonl"
    with WebhookReceiver(log_path=log) as receiver:
        alert = {"site": "demo", "new_orphans": ["http://127.0.0.1/a/", "http://127.0.0.1/b/"]}
        assert post(receiver.base_url + "/alerts", json.dumps(alert).encode()) == (200, b'{"ok": true}')
        assert post(receiver.base_url + "/plain", b"orphans: 2", "text/plain")[0] == 200
        received = receiver.wait_for(2, timeout=5)
        with urllib.request.urlopen(receiver.base_url + "/", timeout=5) as response:
            listed = json.loads(response.read())
    assert [(item["method"], item["path"], item["is_json"]) for item in received] == [
        ("POST", "/alerts", True),
        ("POST", "/plain", False),
    ]
    assert received[0]["body"] == alert and received[1]["body"] == "orphans: 2"
    assert received[0]["headers"]["Content-Type"] == "application/json"
    assert received[0].get("body") == alert  # plain dicts, as the demo's printer reads them
    assert [json.loads(line)["body"] for line in log.read_text().splitlines()] == [alert, "orphans: 2"]
    assert [item["path"] for item in listed] == ["/alerts", "/plain"]


def test_parallel_posts_are_all_kept() -> None:
    with WebhookReceiver() as receiver:
        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = list(
                pool.map(
                    lambda i: post(receiver.base_url + f"/n/{i}", json.dumps({"i": i}).encode())[0], range(40)
                )
            )
        assert statuses == [200] * 40
        assert sorted(item["body"]["i"] for item in receiver.received) == list(range(40))
        receiver.clear()
        assert receiver.received == []


def test_wait_for_times_out_and_lifecycle() -> None:
    receiver = WebhookReceiver()
    receiver.stop()
    with pytest.raises(RuntimeError):
        _ = receiver.base_url
    with receiver:
        assert receiver.port != 0 and receiver.base_url.endswith(f":{receiver.port}")
        assert receiver.wait_for(1, timeout=0.2) == []
    receiver.stop()


def test_configurable_status() -> None:
    with WebhookReceiver(status=202) as receiver:
        assert post(receiver.base_url + "/x", b"{}")[0] == 202
        assert receiver.received[0]["body"] == {}

"""``python -m linkwarehouse.demo``: write in-process, serve as a real subprocess."""

from __future__ import annotations

import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from linkwarehouse.demo import WrittenSite
from linkwarehouse.demo.cli import main


def test_write_then_up_to_date_then_forced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "site"
    assert main(["write", "--out", str(out), "--version", "2"]) == 0
    first = capsys.readouterr().out
    assert first.startswith(f"wrote {out} (version 2, seed 20240630): ") and "23 orphans" in first
    assert main(["write", "--out", str(out), "--version", "2"]) == 0
    assert capsys.readouterr().out.startswith(f"up to date: {out} (version 2")
    assert main(["write", "--out", str(out), "--version", "2", "--force"]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {out} (version 2")


def test_errors_name_the_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--site-dir", str(tmp_path / "missing")]) == 2
    assert f"{tmp_path / 'missing' / 'routes.json'}: not found" in capsys.readouterr().err


def test_serve_prints_base_url_and_stops_on_sigterm(written_v1: WrittenSite) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "linkwarehouse.demo", "serve", "--site-dir", str(written_v1.path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(base_url + "/robots.txt", timeout=10) as response:
            assert f"Sitemap: {base_url}/sitemap_index.xml" in response.read().decode()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.stderr is not None and process.stderr.read() == ""

"""docs/reliability.md names a test for each promise: every test it names must exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_test_the_reliability_doc_names_exists() -> None:
    doc = (ROOT / "docs" / "reliability.md").read_text()
    named = sorted(set(re.findall(r"`(tests/[\w/]+\.py)::(test_\w+)`", doc)))
    assert len(named) >= 30
    missing = [
        f"{path}::{name}"
        for path, name in named
        if not (ROOT / path).exists() or f"def {name}(" not in (ROOT / path).read_text()
    ]
    assert missing == []

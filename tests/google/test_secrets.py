"""No private-key material, access token or JWT grant appears in logs, output, lake or errors."""

from __future__ import annotations

import json
import logging
import traceback
from pathlib import Path
from typing import Any

import pytest

from linkwarehouse.google import jobs
from linkwarehouse.google.errors import GoogleDataError, RetryPolicy
from linkwarehouse.google.standin import GoogleStandIn
from linkwarehouse.settings import Settings

from .conftest import BASE, GSC_SITE, PROPERTY, key_json


def secrets_of(key_info: dict[str, Any], standin: GoogleStandIn) -> list[str]:
    pem_lines = [
        line for line in key_info["private_key"].splitlines() if line and not line.startswith("-----")
    ]
    return [*pem_lines, key_info["private_key_id"], "PRIVATE KEY", *standin.issued_tokens, "assertion="]


def test_no_secret_leaks_on_success_or_failure(
    tmp_path: Path,
    standin: GoogleStandIn,
    key_info: dict[str, Any],
    policy: RetryPolicy,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    extra = {
        "keyfile_dict": key_json(key_info),
        "api_endpoint": standin.base_url,
        "token_uri": standin.token_uri,
    }
    monkeypatch.setenv(
        "AIRFLOW_CONN_GOOGLE_SECRET_TEST", json.dumps({"conn_type": "google_cloud_platform", "extra": extra})
    )
    config = tmp_path / "sites.yaml"
    conn_id = "google_secret_test"
    site = {"name": "demo", "start_urls": [BASE], "ga4": {"property_id": PROPERTY, "conn_id": conn_id},
            "gsc": {"site_url": GSC_SITE, "conn_id": conn_id}}  # fmt: skip
    config.write_text(json.dumps({"sites": [site]}))
    settings = Settings(
        tmp_path, config, tmp_path / "lake", tmp_path / "wh", tmp_path / "dbt", tmp_path / "state"
    )

    jobs.extract_days("ga4", "demo", ["2026-11-20"], settings=settings, policy=policy)
    jobs.extract_days("gsc", "demo", ["2026-11-20"], settings=settings, policy=policy)
    errors: list[BaseException] = []
    standin.reset(faults={1: "403"})
    with pytest.raises(GoogleDataError) as denied:
        jobs.extract_days("gsc", "demo", ["2026-11-19"], settings=settings, policy=policy)
    errors.append(denied.value)
    standin.revoke_tokens()
    standin.reset(faults=lambda call: "401")
    with pytest.raises(GoogleDataError) as unauthenticated:
        jobs.extract_days("ga4", "demo", ["2026-11-19"], settings=settings, policy=policy)
    errors.append(unauthenticated.value)
    broken = json.loads(key_json(key_info))
    broken["private_key"] = broken["private_key"].replace("M", "!")
    monkeypatch.setenv(
        "AIRFLOW_CONN_GOOGLE_SECRET_TEST", json.dumps({"extra": {**extra, "keyfile_dict": broken}})
    )
    with pytest.raises(GoogleDataError) as unusable:
        jobs.extract_days("ga4", "demo", ["2026-11-18"], settings=settings, policy=policy)
    errors.append(unusable.value)

    assert any(r.name == "linkwarehouse.google.ga4" and r.levelno == logging.INFO for r in caplog.records)
    assert any(r.name == "google_auth_httplib2" and r.levelno == logging.DEBUG for r in caplog.records)
    assert len(standin.issued_tokens) >= 3  # the initial grant plus refreshes after each 401
    haystacks = {
        "log records": "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records),
        "log text": caplog.text,
        "stdout/stderr": "".join(capsys.readouterr()),
        "errors": "\n".join("".join(traceback.format_exception(e)) for e in errors),
    }
    lake_files = [p for p in (tmp_path / "lake").rglob("*") if p.is_file()]
    assert any(p.name == "_SUCCESS" for p in lake_files) and any(p.suffix == ".parquet" for p in lake_files)
    for path in lake_files:
        haystacks[str(path)] = path.read_bytes().decode("latin-1")
    assert "HTTP 403 forbidden" in haystacks["errors"] and "not a usable Google key" in haystacks["errors"]
    assert "HTTP 401 UNAUTHENTICATED" in haystacks["errors"]
    for secret in secrets_of(key_info, standin):
        for where, text in haystacks.items():
            assert secret not in text, f"secret material found in {where}"

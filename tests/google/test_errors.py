"""Classified retries: what is retried, how long it waits, and what fails fast - end to end."""

from __future__ import annotations

import json
import socket
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httplib2
import pytest
from google.auth.exceptions import RefreshError
from googleapiclient.errors import HttpError

from linkwarehouse.google.credentials import GoogleAccess
from linkwarehouse.google.errors import (
    ErrorKind,
    GoogleApiError,
    IncompleteDayError,
    MalformedResponseError,
    RetryLater,
    RetryPolicy,
    classify,
    parse_retry_after,
)
from linkwarehouse.google.ga4 import extract_ga4_day
from linkwarehouse.google.gsc import extract_gsc_day
from linkwarehouse.google.services import ga4_service, gsc_service
from linkwarehouse.google.standin import FAULTS, GA4, GSC, ApiFailure, Fault, GoogleStandIn
from linkwarehouse.lake.writer import STAGING

from .conftest import DAY, GSC_SITE, NOW, PROPERTY, make_site, manifest, read_partition


def http_error(status: int, body: dict[str, Any]) -> HttpError:
    return HttpError(httplib2.Response({"status": str(status)}), json.dumps(body).encode(), uri="http://x/")


def standin_error(fault: str, api: str) -> HttpError:
    failure = ApiFailure(api, *FAULTS[fault][api])
    return http_error(failure.status, failure.body())


EXHAUSTED = "RESOURCE_EXHAUSTED"
HOURLY = ErrorKind.QUOTA_HOURLY


def ga4_error(status: int, message: str, grpc: str) -> HttpError:
    return http_error(status, {"error": {"code": status, "message": message, "status": grpc}})


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (standin_error("429", GA4), ErrorKind.RATE_LIMIT),
        (standin_error("429", GSC), ErrorKind.RATE_LIMIT),
        (standin_error("quota", GA4), ErrorKind.QUOTA_HOURLY),
        (standin_error("quota", GSC), ErrorKind.QUOTA_LOAD),
        (standin_error("daily", GA4), ErrorKind.QUOTA_DAILY),
        (standin_error("daily", GSC), ErrorKind.QUOTA_DAILY),
        (standin_error("500", GA4), ErrorKind.SERVER),
        (standin_error("503", GSC), ErrorKind.SERVER),
        (standin_error("401", GA4), ErrorKind.AUTH),
        (standin_error("403", GA4), ErrorKind.AUTH),
        (standin_error("403", GSC), ErrorKind.AUTH),
        (standin_error("400", GSC), ErrorKind.INVALID),
        (ga4_error(429, "Exhausted property tokens for a project per hour.", EXHAUSTED), HOURLY),
        (ga4_error(429, "Exhausted potentially thresholded requests quota.", EXHAUSTED), HOURLY),
        (ga4_error(404, "Requested entity was not found.", "NOT_FOUND"), ErrorKind.INVALID),
        (ga4_error(409, "Aborted.", "ABORTED"), ErrorKind.OTHER),
        (http_error(502, {}), ErrorKind.SERVER),
        (MalformedResponseError("runReport returned str"), ErrorKind.SERVER),
        (ConnectionResetError(104, "reset"), ErrorKind.SERVER),
        (TimeoutError("timed out"), ErrorKind.SERVER),
        (socket.gaierror(-2, "Name or service not known"), ErrorKind.SERVER),
        (RefreshError("invalid_grant: Invalid JWT Signature."), ErrorKind.AUTH),
        (RefreshError("temporarily unavailable", retryable=True), ErrorKind.SERVER),
    ],
)  # fmt: skip
def test_classification(error: BaseException, kind: ErrorKind) -> None:
    classified = classify(error)
    assert classified is not None and classified.kind is kind


def test_programming_errors_are_not_classified() -> None:
    assert classify(ValueError("bug")) is None


def test_default_waits_per_kind() -> None:
    policy = RetryPolicy()
    assert policy.wait(ErrorKind.RATE_LIMIT, 1) == 30.0
    assert policy.wait(ErrorKind.QUOTA_HOURLY, 1) == 1800.0
    assert policy.wait(ErrorKind.QUOTA_LOAD, 1) == 900.0
    assert not policy.retryable(ErrorKind.QUOTA_DAILY)
    assert not any(policy.retryable(k) for k in (ErrorKind.AUTH, ErrorKind.INVALID, ErrorKind.OTHER))
    for attempt, low in ((1, 2.0), (2, 4.0), (3, 8.0), (7, 120.0), (20, 120.0)):
        assert low <= policy.wait(ErrorKind.SERVER, attempt) <= min(low + 2.0, 120.0)


def clean_rows(lake: Path, table: str) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k != "fetched_at"} for row in read_partition(lake, table)]


def test_ga4_faults_end_in_the_same_complete_partition(
    tmp_path: Path, standin: GoogleStandIn, access: GoogleAccess, policy: RetryPolicy, sleeps: list[float]
) -> None:
    policy = replace(policy, max_inline_wait=3600.0)  # a deployment that lets workers sleep long
    site = make_site(ga4={"property_id": PROPERTY, "page_size": 2})
    service = ga4_service(access)
    extract_ga4_day(site, DAY, service=service, lake_root=tmp_path / "clean", policy=policy)
    standin.reset(faults={1: "429", 2: "500", 3: "malformed", 5: "quota", 6: "503"})

    extract_ga4_day(site, DAY, service=service, lake_root=tmp_path / "faulty", policy=policy)

    assert clean_rows(tmp_path / "faulty", "ga4_pages") == clean_rows(tmp_path / "clean", "ga4_pages")
    assert [c.status for c in standin.calls] == [429, 500, 200, 200, 429, 503] + [200] * 5
    assert [c.fault for c in standin.calls][:6] == ["429", "500", "malformed", None, "quota", "503"]
    assert sleeps[0] == 30.0 and sleeps[3] == 1800.0
    # Backoff counts failures per kind: the 503 after a quota wait is the request's first 5xx.
    assert 0.5 <= sleeps[1] <= 0.75 and 1.0 <= sleeps[2] <= 1.25 and 0.5 <= sleeps[4] <= 0.75
    calls = manifest(tmp_path / "faulty", "ga4_pages")["calls"]
    assert calls["requests"] == 11
    assert calls["retries"] == {"quota_hourly": 1, "rate_limit": 1, "server": 3}


def test_gsc_faults_end_in_the_same_complete_partitions(
    tmp_path: Path, standin: GoogleStandIn, access: GoogleAccess, policy: RetryPolicy, sleeps: list[float]
) -> None:
    policy = replace(policy, max_inline_wait=3600.0)
    site = make_site(gsc={"site_url": GSC_SITE, "row_limit": 2})
    service = gsc_service(access)
    extract_gsc_day(site, DAY, service=service, lake_root=tmp_path / "clean", policy=policy)
    standin.reset(faults={1: "quota", 3: "503", 4: "malformed", 6: "429", 9: "500"})

    extract_gsc_day(site, DAY, service=service, lake_root=tmp_path / "faulty", policy=policy)

    for table in ("gsc_pages", "gsc_page_queries"):
        assert clean_rows(tmp_path / "faulty", table) == clean_rows(tmp_path / "clean", table)
    assert [c.status for c in standin.calls][:9] == [403, 200, 503, 200, 200, 429, 200, 200, 500]
    assert sleeps[0] == 900.0 and sleeps[3] == 30.0
    assert manifest(tmp_path / "faulty", "gsc_pages")["calls"]["retries"] == {
        "quota_load": 1, "rate_limit": 1, "server": 3,
    }  # fmt: skip


def test_dropped_connections_are_retried(
    tmp_path: Path, standin: GoogleStandIn, access: GoogleAccess, site, policy: RetryPolicy
) -> None:
    standin.reset(faults={1: "drop", 2: "drop", 3: "drop"})
    result = extract_gsc_day(site, DAY, service=gsc_service(access), lake_root=tmp_path, policy=policy)
    # httplib2 resends once by itself; the second drop surfaces as RemoteDisconnected and is retried
    assert [c.status for c in standin.calls] == [None, None, None, 200, 200, 200]
    assert result["gsc_pages"]["rows"] == 5
    assert result["gsc_pages"]["calls"]["retries"] == {"server": 1}


def test_expired_token_is_refreshed_once(
    tmp_path: Path,
    standin: GoogleStandIn,
    access: GoogleAccess,
    site,
    policy: RetryPolicy,
    sleeps: list[float],
) -> None:
    service = ga4_service(access)
    standin.reset(faults={2: "401"})
    extract_ga4_day(site, DAY, service=service, lake_root=tmp_path, policy=policy)
    assert [c.status for c in standin.calls] == [200, 401, 200]
    assert standin.token_requests == 2 and sleeps == []


@pytest.mark.parametrize(
    ("source", "blocks", "fault", "message"),
    [
        ("gsc", {"gsc": {"site_url": "sc-domain:other.example"}}, None,
         "gsc site 'demo' property sc-domain:other.example day 2026-11-20: HTTP 403 forbidden: User does not "
         "have sufficient permission for site 'sc-domain:other.example'. See also: "
         "https://support.google.com/webmasters/answer/2451999. [auth; check that the service account has "
         "access and the key is valid]"),
        ("ga4", {"ga4": {"property_id": "999"}}, None,
         "ga4 site 'demo' property 999 day 2026-11-20: HTTP 403 PERMISSION_DENIED: User does not have "
         "sufficient permissions for this property. To learn more about Property ID, see "
         "https://developers.google.com/analytics/devguides/reporting/data/v1/property-id. [auth; check that "
         "the service account has access and the key is valid]"),
        ("ga4", {"ga4": {"property_id": PROPERTY}}, "400",
         "ga4 site 'demo' property 123456 day 2026-11-20: HTTP 400 INVALID_ARGUMENT: Request contains an "
         "invalid argument. [invalid; check the configured property / site URL and the request]"),
        ("ga4", {"ga4": {"property_id": PROPERTY}}, "daily",
         "ga4 site 'demo' property 123456 day 2026-11-20: HTTP 429 RESOURCE_EXHAUSTED: Exhausted property "
         "tokens per day. These quota tokens will return in under 24 hours. [quota_daily; daily quota "
         "exhausted; it refills within 24 hours, a later run fetches the day]"),
    ],
)  # fmt: skip
def test_permission_invalid_and_daily_quota_fail_fast(
    tmp_path: Path, standin: GoogleStandIn, access: GoogleAccess, policy: RetryPolicy, sleeps: list[float],
    source: str, blocks: dict, fault: str | None, message: str,
) -> None:  # fmt: skip
    site = make_site(**blocks)
    standin.reset(faults={1: fault} if fault else None)
    extract = extract_ga4_day if source == "ga4" else extract_gsc_day
    service = ga4_service(access) if source == "ga4" else gsc_service(access)
    with pytest.raises(GoogleApiError) as err:
        extract(site, DAY, service=service, lake_root=tmp_path, policy=policy)
    assert str(err.value) == message
    assert err.value.permanent is (fault != "daily"), "the DAG fails permanent errors without retries"
    assert len(standin.calls) == 1 and sleeps == []
    assert not (tmp_path / f"{source}_pages").exists()


def test_each_error_kind_has_its_own_attempt_budget(
    tmp_path: Path, standin: GoogleStandIn, access: GoogleAccess, site, sleeps: list[float]
) -> None:
    policy = RetryPolicy(server_attempts=4, server_initial_wait=0.5, server_jitter=0.0, quota_attempts=2,
                         load_quota_wait=60.0, sleep=sleeps.append)  # fmt: skip
    standin.reset(faults={1: "500", 2: "500", 3: "quota", 4: "503"})
    extract_gsc_day(site, DAY, service=gsc_service(access), lake_root=tmp_path, policy=policy)
    # Two 5xx do not use up the quota budget, and the quota wait does not reset the 5xx backoff.
    assert [c.status for c in standin.calls][:5] == [500, 500, 403, 503, 200]
    assert sleeps == [0.5, 1.0, 60.0, 2.0]
    standin.reset(faults={1: "500", 2: "quota", 3: "503", 4: "500", 5: "500"})
    with pytest.raises(GoogleApiError, match=r"\[server; gave up after 4 attempts\]") as err:
        extract_gsc_day(site, DAY, service=gsc_service(access), lake_root=tmp_path / "x", policy=policy)
    assert not err.value.permanent


def test_daily_quota_waits_when_configured(
    tmp_path: Path, standin: GoogleStandIn, access: GoogleAccess, site, sleeps: list[float]
) -> None:
    policy = RetryPolicy(daily_quota_wait=5.0, sleep=sleeps.append)
    standin.reset(faults={1: "daily"})
    extract_ga4_day(site, DAY, service=ga4_service(access), lake_root=tmp_path, policy=policy)
    assert sleeps == [5.0] and [c.status for c in standin.calls] == [429, 200, 200]


def test_giving_up_keeps_the_published_day(
    tmp_path: Path, standin: GoogleStandIn, access: GoogleAccess, policy: RetryPolicy, sleeps: list[float]
) -> None:
    site = make_site(ga4={"property_id": PROPERTY, "page_size": 2})
    service = ga4_service(access)
    before = extract_ga4_day(site, DAY, service=service, lake_root=tmp_path, policy=policy)
    rows = clean_rows(tmp_path, "ga4_pages")
    standin.reset(faults=lambda call: "500" if call.number >= 3 else None)

    with pytest.raises(
        GoogleApiError,
        match=r"HTTP 500 INTERNAL: Internal error encountered. \[server; gave up after 4 attempts\]",
    ):
        extract_ga4_day(site, DAY, service=service, lake_root=tmp_path, policy=policy)

    assert len(standin.calls) == 2 + 4 and len(sleeps) == 3
    assert manifest(tmp_path, "ga4_pages")["run_id"] == before["run_id"]
    assert clean_rows(tmp_path, "ga4_pages") == rows
    assert not list((tmp_path / STAGING).rglob("*.parquet"))


def test_gsc_failure_in_the_second_query_publishes_neither_table(
    tmp_path: Path, standin: GoogleStandIn, access: GoogleAccess, policy: RetryPolicy
) -> None:
    site = make_site(gsc={"site_url": GSC_SITE, "row_limit": 2})
    service = gsc_service(access)
    before = extract_gsc_day(site, DAY, service=service, lake_root=tmp_path, policy=policy)
    standin.reset(
        faults=lambda call: (
            "503" if "query" in call.body["dimensions"] and call.body["startRow"] >= 4 else None
        )
    )

    with pytest.raises(GoogleApiError, match="gave up after 4 attempts"):
        extract_gsc_day(site, DAY, service=service, lake_root=tmp_path, policy=policy)

    for table in ("gsc_pages", "gsc_page_queries"):
        assert manifest(tmp_path, table)["run_id"] == before[table]["run_id"]
    assert not list((tmp_path / STAGING).rglob("*.parquet"))


class _ShiftingReport:
    """A fake GA4 client whose rowCount changes while paging ``shifts`` times."""

    def __init__(self, shifts: int) -> None:
        self.shifts, self.requests = shifts, 0

    def properties(self) -> _ShiftingReport:
        return self

    def runReport(self, property: str, body: dict[str, Any]) -> _ShiftingReport:
        self.body = body
        return self

    def execute(self) -> dict[str, Any]:
        self.requests += 1
        offset, dims = int(self.body["offset"]), [d["name"] for d in self.body["dimensions"]]
        metrics = [m["name"] for m in self.body["metrics"]]
        count = 4 if offset and self.shifts > 0 else 3
        if offset and self.shifts > 0:
            self.shifts -= 1
        paths = ["/a", "/b", "/c", "/d"][offset : offset + 2][: max(0, count - offset)]
        return {
            "dimensionHeaders": [{"name": d} for d in dims],
            "metricHeaders": [{"name": m, "type": "TYPE_INTEGER"} for m in metrics],
            "rows": [{"dimensionValues": [{"value": "127.0.0.1"}, {"value": p}],
                      "metricValues": [{"value": "1"} for _ in metrics]} for p in paths],
            "rowCount": count,
        }  # fmt: skip


def test_row_count_changing_while_paging_refetches_the_day(tmp_path: Path, site, policy: RetryPolicy) -> None:
    service = _ShiftingReport(shifts=1)
    extract_ga4_day(site, DAY, service=service, lake_root=tmp_path, policy=policy, page_size=2)
    assert [r["page_path"] for r in read_partition(tmp_path, "ga4_pages")] == ["/a", "/b", "/c"]
    assert service.requests == 2 + 4  # first pass aborted at page 2, then both reports

    with pytest.raises(IncompleteDayError, match="rowCount changed from 3 to 4"):
        extract_ga4_day(site, "2026-11-21", service=_ShiftingReport(shifts=5), lake_root=tmp_path,
                        policy=policy, page_size=2)  # fmt: skip
    assert not (tmp_path / "ga4_pages" / "site=demo" / "date=2026-11-21").exists()


# Retry-After and waits too long to sleep in a worker ------------------------------------------


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("2", 2.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        ("Fri, 27 Nov 2026 20:00:07 GMT", datetime(2026, 11, 27, 20, 0, 7, tzinfo=UTC)),
        ("Friday, 27-Nov-26 20:00:07 GMT", datetime(2026, 11, 27, 20, 0, 7, tzinfo=UTC)),
        ("-1", None),
        ("1.5", None),
        ("\u0663", None),  # an Arabic-Indic digit is not delay-seconds
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_is_seconds_or_an_http_date(value: str | None, parsed: Any) -> None:
    assert parse_retry_after(value) == parsed


def gsc_day(tmp_path: Path, access: GoogleAccess, policy: RetryPolicy, site=None) -> dict[str, Any]:
    site = site or make_site(gsc={"site_url": GSC_SITE})
    return extract_gsc_day(site, DAY, service=gsc_service(access), lake_root=tmp_path, policy=policy)


def test_retry_after_seconds_replace_the_default_wait(
    tmp_path: Path, standin: GoogleStandIn, access: GoogleAccess, policy: RetryPolicy, sleeps: list[float]
) -> None:
    standin.reset(faults={2: Fault("429", retry_after="2")})
    result = gsc_day(tmp_path, access, policy)
    assert [(c.status, c.retry_after) for c in standin.calls[:3]] == [(200, None), (429, "2"), (200, None)]
    assert sleeps == [2.0]  # not the 30 s default for a rate limit
    assert result["gsc_pages"]["calls"]["waited_seconds"] == 2.0


@pytest.mark.parametrize(
    ("header", "wait"),
    [("Fri, 27 Nov 2026 20:00:07 GMT", 7.0), ("Fri, 27 Nov 2026 19:59:00 GMT", 0.0)],
)
def test_retry_after_http_dates_are_honoured(
    tmp_path: Path, standin: GoogleStandIn, access: GoogleAccess, site, policy: RetryPolicy,
    sleeps: list[float], header: str, wait: float,
) -> None:  # fmt: skip
    standin.reset(faults={1: Fault("429", retry_after=header)})  # the clock says 20:00:00 UTC
    extract_ga4_day(site, DAY, service=ga4_service(access), lake_root=tmp_path, policy=policy)
    assert [c.status for c in standin.calls] == [429, 200, 200]
    assert sleeps == [wait]


def test_retry_info_in_the_error_body_counts_like_retry_after(policy: RetryPolicy) -> None:
    details = [
        {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "RATE_LIMIT_EXCEEDED"},
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1.5s"},
    ]
    error = http_error(429, {"error": {"code": 429, "message": "Slow down.", "status": EXHAUSTED,
                                       "details": details}})  # fmt: skip
    classified = classify(error)
    assert classified is not None and classified.retry_after == 1.5
    assert policy.wait(classified.kind, 1, classified.retry_after) == 1.5
    with_header = HttpError(httplib2.Response({"status": "429", "retry-after": "4"}), error.content, uri="x")
    assert classify(with_header).retry_after == 4.0  # the header wins over the body


def test_a_long_retry_after_is_capped_and_frees_the_worker(
    tmp_path: Path, standin: GoogleStandIn, access: GoogleAccess, policy: RetryPolicy, sleeps: list[float]
) -> None:
    standin.reset(faults={1: Fault("503", retry_after="86400")})
    with pytest.raises(RetryLater) as err:
        gsc_day(tmp_path, access, policy)
    assert str(err.value) == (
        f"gsc site 'demo' property {GSC_SITE} day {DAY}: HTTP 503 backendError: The service is currently "
        "unavailable. [server; Google asks to wait 3600s, longer than the 180s a worker may sleep: worker "
        "released, retry after 21:00:00 UTC on 2026-11-27]"
    )
    assert err.value.retry_at == NOW + timedelta(hours=1) and err.value.wait_seconds == 3600.0
    assert not err.value.permanent
    assert sleeps == [] and len(standin.calls) == 1
    assert not (tmp_path / "gsc_pages").exists() and not list((tmp_path / STAGING).rglob("*.parquet"))


@pytest.mark.parametrize(
    ("source", "error", "retry_at"),
    [
        ("gsc", "HTTP 403 quotaExceeded: Quota Exceeded [quota_load; the wait for this error is 900s",
         "20:15:00"),
        ("ga4", "HTTP 429 RESOURCE_EXHAUSTED: Exhausted property tokens per hour. These quota tokens will "
                "return in under an hour. [quota_hourly; the wait for this error is 1800s", "20:30:00"),
    ],
)  # fmt: skip
def test_quota_waits_free_the_worker_at_once(
    tmp_path: Path, standin: GoogleStandIn, access: GoogleAccess, site, policy: RetryPolicy,
    sleeps: list[float], source: str, error: str, retry_at: str,
) -> None:  # fmt: skip
    standin.reset(faults={1: "quota"})
    extract = extract_ga4_day if source == "ga4" else extract_gsc_day
    service = ga4_service(access) if source == "ga4" else gsc_service(access)
    property_id = PROPERTY if source == "ga4" else GSC_SITE
    with pytest.raises(RetryLater) as err:
        extract(site, DAY, service=service, lake_root=tmp_path, policy=policy)
    assert str(err.value) == (
        f"{source} site 'demo' property {property_id} day {DAY}: {error}, longer than the 180s a worker "
        f"may sleep: worker released, retry after {retry_at} UTC on 2026-11-27]"
    )
    assert sleeps == [] and len(standin.calls) == 1  # one request, no 15-minute sleeps


def test_a_short_retry_after_on_a_quota_error_is_slept(
    tmp_path: Path, standin: GoogleStandIn, access: GoogleAccess, policy: RetryPolicy, sleeps: list[float]
) -> None:
    standin.reset(faults={1: Fault("quota", retry_after="60")})
    result = gsc_day(tmp_path, access, policy)
    assert sleeps == [60.0] and result["gsc_pages"]["rows"] == 5
    assert result["gsc_pages"]["calls"]["retries"] == {"quota_load": 1}

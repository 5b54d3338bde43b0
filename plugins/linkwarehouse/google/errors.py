"""Classify Google API failures and retry only what waiting can fix (tenacity).

google-api-python-client never retries by itself (``num_retries=0``) and ignores Retry-After,
so every request goes through :func:`call_with_retries`:

- 429 / ``RESOURCE_EXHAUSTED``: wait per quota type - seconds for concurrency and per-minute
  limits, ``hourly_quota_wait`` for GA4 hourly token buckets, and fail at once for the daily
  bucket (it refills in up to 24 hours: Airflow's next retry or run picks the day up);
- 5xx, truncated/malformed JSON, dropped connections: capped exponential backoff with jitter;
- Search Console 403 ``quotaExceeded`` (short-term load quota): about 15 minutes;
- 401, 403 permission, 400 invalid argument, 404: fail fast, no retries, with a message naming
  the site and the property.

When Google says how long to wait - a ``Retry-After`` header (seconds or an HTTP date) or a
``google.rpc.RetryInfo`` detail - that wait replaces the default, capped at
``retry_after_cap``. A worker never sleeps longer than ``max_inline_wait`` (a few minutes):
a longer wait raises :class:`RetryLater` carrying the time to retry at, and the Airflow task
hands its worker slot back until then (``dag_defaults.reschedule_when_asked``).

Messages never contain credentials: they carry Google's error text, the status and the site.
"""

from __future__ import annotations

import http.client
import json
import logging
import math
import re
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any, TypeVar

import httplib2
from google.auth import exceptions as auth_exceptions
from googleapiclient.errors import HttpError
from tenacity import RetryCallState, Retrying, retry_if_exception, wait_exponential_jitter

log = logging.getLogger(__name__)
T = TypeVar("T")


class GoogleDataError(RuntimeError):
    """A GA4 or Search Console extraction failed; the message names the site and property.

    ``permanent``: retrying the task cannot help (bad credentials, no access, wrong property),
    so the DAG fails it at once instead of spending its retries.
    """

    permanent = False


class GoogleCredentialsError(GoogleDataError):
    """No usable credentials (missing connection, unreadable or invalid key)."""

    permanent = True


class GoogleApiError(GoogleDataError):
    """Google refused a request, or kept failing after every allowed retry."""

    def __init__(self, message: str, kind: ErrorKind, status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.permanent = kind in FAIL_FAST


class RetryLater(GoogleApiError):
    """Google asked for a wait longer than a worker may sleep; retry at ``retry_at`` (UTC).

    The Airflow task turns this into a reschedule (the worker slot is free meanwhile); the CLI
    prints the message, which names the time.
    """

    def __init__(
        self, message: str, kind: ErrorKind, status: int | None, retry_at: datetime, wait_seconds: float
    ) -> None:
        super().__init__(message, kind, status)
        self.retry_at = retry_at
        self.wait_seconds = wait_seconds


class DayNotFinalError(GoogleDataError):
    """A Search Console day Google has not finalised has no rows: it must not pass as complete.

    ``permanent``: re-checking the same lake cannot change the answer; later runs re-fetch the
    day until Google finalises it.
    """

    permanent = True


class MalformedResponseError(GoogleDataError):
    """A 2xx response whose body is not the expected JSON object (e.g. truncated)."""


class IncompleteDayError(GoogleDataError):
    """Paging ended without every row of the day (row count changed, pages inconsistent)."""


class ErrorKind(StrEnum):
    RATE_LIMIT = "rate_limit"
    QUOTA_HOURLY = "quota_hourly"
    QUOTA_DAILY = "quota_daily"
    QUOTA_LOAD = "quota_load"
    SERVER = "server"
    AUTH = "auth"
    INVALID = "invalid"
    OTHER = "other"


FAIL_FAST = frozenset({ErrorKind.AUTH, ErrorKind.INVALID, ErrorKind.OTHER})


@dataclass(frozen=True)
class Classified:
    """What went wrong, as read from the status code and Google's error body.

    ``retry_after``: how long Google asked us to wait - seconds from the response, or the
    moment (aware UTC) an HTTP-date ``Retry-After`` names; ``None`` when it did not say.
    """

    kind: ErrorKind
    status: int | None
    reason: str
    message: str
    retry_after: float | datetime | None = None

    def describe(self) -> str:
        status = f"HTTP {self.status} " if self.status else ""
        reason = f"{self.reason}: " if self.reason else ""
        return f"{status}{reason}{self.message}".strip()


def _error_body(error: HttpError) -> dict[str, Any]:
    try:
        body = json.loads(error.content.decode("utf-8", "replace"))
    except (ValueError, AttributeError):
        return {}
    inner = body.get("error") if isinstance(body, dict) else None
    return inner if isinstance(inner, dict) else {}


_DELTA_SECONDS = re.compile(r"[0-9]{1,12}")
_DURATION = re.compile(r"([0-9]{1,12}(?:\.[0-9]{1,9})?)s")
_RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"


def parse_retry_after(value: str | None) -> float | datetime | None:
    """RFC 9110 ``Retry-After``: delay-seconds, or an HTTP-date (returned as aware UTC).

    Anything else (negative, fractional, non-ASCII digits, a garbled date) is ignored: the
    default wait for the error kind applies.
    """
    if value is None:
        return None
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _retry_info_delay(body: dict[str, Any]) -> float | None:
    """``retryDelay`` of a ``google.rpc.RetryInfo`` error detail (``"30s"``), if any."""
    details = body.get("details")
    for detail in details if isinstance(details, list) else []:
        if isinstance(detail, dict) and detail.get("@type") == _RETRY_INFO:
            match = _DURATION.fullmatch(str(detail.get("retryDelay", "")).strip())
            if match:
                return float(match.group(1))
    return None


_RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
_GA4_HOURLY = ("per hour", "thresholded requests")
_TRANSIENT_OS_ERRORS = (
    ConnectionError,
    TimeoutError,
    socket.timeout,
    socket.gaierror,
    http.client.HTTPException,
    httplib2.HttpLib2Error,
)


def classify_http_error(error: HttpError) -> Classified:
    """Map an ``HttpError`` to an :class:`ErrorKind` using Google's status and reason."""
    body = _error_body(error)
    status = int(error.resp.status)
    message = str(body.get("message") or error.resp.reason or "").strip()
    errors = body.get("errors") if isinstance(body.get("errors"), list) else []
    reason = next((e.get("reason", "") for e in errors if isinstance(e, dict) and e.get("reason")), "")
    grpc_status = str(body.get("status") or "")
    label = reason or grpc_status
    lowered = message.lower()
    if status == 429 or grpc_status == "RESOURCE_EXHAUSTED" or reason in _RATE_REASONS:
        if "per day" in lowered or reason == "dailyLimitExceeded":
            kind = ErrorKind.QUOTA_DAILY
        elif any(marker in lowered for marker in _GA4_HOURLY):
            kind = ErrorKind.QUOTA_HOURLY
        else:
            kind = ErrorKind.RATE_LIMIT
    elif status == 403 and reason == "quotaExceeded":
        kind = ErrorKind.QUOTA_LOAD
    elif status == 403 and reason == "dailyLimitExceeded":
        kind = ErrorKind.QUOTA_DAILY
    elif status in (401, 403):
        kind = ErrorKind.AUTH
    elif status in (400, 404):
        kind = ErrorKind.INVALID
    elif status == 408 or status >= 500:
        kind = ErrorKind.SERVER
    else:
        kind = ErrorKind.OTHER
    header = error.resp.get("retry-after") if hasattr(error.resp, "get") else None
    retry_after = parse_retry_after(header)
    if retry_after is None:
        retry_after = _retry_info_delay(body)
    return Classified(kind, status, label, message, retry_after)


def classify(exc: BaseException) -> Classified | None:
    """Classify any exception a request can raise; ``None``: not a Google/transport failure."""
    if isinstance(exc, HttpError):
        return classify_http_error(exc)
    if isinstance(exc, MalformedResponseError):
        return Classified(ErrorKind.SERVER, None, "malformed_response", str(exc))
    if isinstance(exc, auth_exceptions.RefreshError):
        kind = ErrorKind.SERVER if getattr(exc, "retryable", False) else ErrorKind.AUTH
        return Classified(kind, None, "token_refresh", str(exc))
    if isinstance(exc, (auth_exceptions.TransportError, *_TRANSIENT_OS_ERRORS)):
        return Classified(ErrorKind.SERVER, None, type(exc).__name__, str(exc))
    return None


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait per error kind and how often to try; defaults are production values.

    ``daily_quota_wait=None`` fails the request when a daily quota is exhausted instead of
    sleeping for hours inside a worker slot. A wait Google names (Retry-After, RetryInfo)
    replaces the kind's default, capped at ``retry_after_cap``; any wait above
    ``max_inline_wait`` raises :class:`RetryLater` instead of sleeping. ``clock`` is the
    extraction's "now" (retry times, Search Console's today); tests pass ``sleep`` and
    ``clock`` so nothing waits and every time is known.
    """

    server_attempts: int = 6
    server_initial_wait: float = 2.0
    server_max_wait: float = 120.0
    server_jitter: float = 2.0
    rate_limit_wait: float = 30.0
    rate_limit_attempts: int = 8
    hourly_quota_wait: float = 1800.0
    load_quota_wait: float = 900.0
    quota_attempts: int = 3
    daily_quota_wait: float | None = None
    day_attempts: int = 2
    retry_after_cap: float = 3600.0
    max_inline_wait: float = 180.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC), repr=False, compare=False)

    def attempts(self, kind: ErrorKind) -> int:
        if kind is ErrorKind.SERVER:
            return self.server_attempts
        if kind is ErrorKind.RATE_LIMIT:
            return self.rate_limit_attempts
        if kind in (ErrorKind.QUOTA_HOURLY, ErrorKind.QUOTA_LOAD, ErrorKind.QUOTA_DAILY):
            return self.quota_attempts
        return 1

    def retryable(self, kind: ErrorKind) -> bool:
        if kind is ErrorKind.QUOTA_DAILY:
            return self.daily_quota_wait is not None
        return kind not in FAIL_FAST

    def requested_wait(self, retry_after: float | datetime | None) -> float | None:
        """Seconds Google asked for, from now, capped at ``retry_after_cap``; ``None``: not said."""
        if retry_after is None:
            return None
        if isinstance(retry_after, datetime):
            retry_after = (retry_after - self.clock()).total_seconds()
        return min(max(retry_after, 0.0), self.retry_after_cap)

    def wait(self, kind: ErrorKind, attempt: int, retry_after: float | datetime | None = None) -> float:
        """Seconds to wait after the ``attempt``-th failed try (1-based) of this kind.

        A wait Google named wins over the kind's default (it knows when its quota refills).
        """
        requested = self.requested_wait(retry_after)
        if requested is not None:
            return requested
        if kind is ErrorKind.SERVER:
            backoff = wait_exponential_jitter(
                initial=self.server_initial_wait, max=self.server_max_wait, jitter=self.server_jitter
            )
            return float(backoff(_State(attempt)))
        if kind is ErrorKind.RATE_LIMIT:
            return self.rate_limit_wait
        if kind is ErrorKind.QUOTA_HOURLY:
            return self.hourly_quota_wait
        if kind is ErrorKind.QUOTA_LOAD:
            return self.load_quota_wait
        if kind is ErrorKind.QUOTA_DAILY and self.daily_quota_wait is not None:
            return self.daily_quota_wait
        return 0.0


@dataclass
class _State:
    """The one attribute tenacity's wait strategies read from a retry state."""

    attempt_number: int


@dataclass
class CallStats:
    """Requests and retries of one extraction, written to the partition manifest."""

    requests: int = 0
    retries: Counter[str] = field(default_factory=Counter)
    waited_seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "retries": dict(sorted(self.retries.items())),
            "waited_seconds": round(self.waited_seconds, 3),
        }


def _classified(state: RetryCallState) -> Classified | None:
    if state.outcome is None or not state.outcome.failed:
        return None
    return classify(state.outcome.exception())


def call_with_retries(
    request: Callable[[], T],
    *,
    describe: str,
    policy: RetryPolicy,
    stats: CallStats | None = None,
) -> T:
    """Run ``request`` with classified retries; raise :class:`GoogleApiError` naming ``describe``.

    ``describe`` names the site and property (``ga4 site 'shop' property 123``) and becomes the
    start of every log line and error message about this request. A wait longer than
    ``policy.max_inline_wait`` is never slept: :class:`RetryLater` says when to come back.
    """
    stats = stats if stats is not None else CallStats()
    # Each kind has its own budget: two 5xx before a quota error must not use up the quota waits.
    failures: Counter[ErrorKind] = Counter()
    too_long: list[float] = []  # the wait that stopped the retries, when it was too long to sleep

    def should_retry(exc: BaseException) -> bool:
        classified = classify(exc)
        if classified is None or not policy.retryable(classified.kind):
            return False
        failures[classified.kind] += 1  # tenacity asks this once per failed attempt, first
        return True

    def wait(state: RetryCallState) -> float:
        classified = _classified(state)
        if classified is None:
            return 0.0
        return policy.wait(classified.kind, failures[classified.kind], classified.retry_after)

    def stop(state: RetryCallState) -> bool:  # tenacity computes the wait first
        classified = _classified(state)
        if classified is None or failures[classified.kind] >= policy.attempts(classified.kind):
            return True
        if state.upcoming_sleep > policy.max_inline_wait:
            too_long.append(state.upcoming_sleep)
            return True
        return False

    def before_sleep(state: RetryCallState) -> None:
        classified = _classified(state)
        seconds = state.next_action.sleep if state.next_action else 0.0
        if classified is not None:
            stats.retries[classified.kind.value] += 1
            stats.waited_seconds += seconds
            log.warning(
                "%s: %s (%s); retry %d in %.1fs",
                describe,
                classified.describe(),
                classified.kind.value,
                state.attempt_number,
                seconds,
            )

    def counted() -> T:
        stats.requests += 1
        return request()

    retrying = Retrying(
        retry=retry_if_exception(should_retry),
        stop=stop,
        wait=wait,
        sleep=policy.sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    try:
        return retrying(counted)
    except BaseException as exc:
        classified = classify(exc)
        if classified is None:
            raise
        if too_long:
            raise _retry_later(describe, classified, policy, too_long[-1]) from exc
        raise _failure(describe, classified, policy) from exc


def format_retry_at(moment: datetime) -> str:
    """``16:05:40 UTC on 2026-12-02``: the wall-clock time an operator compares with."""
    return f"{moment:%H:%M:%S} UTC on {moment:%Y-%m-%d}"


def _retry_later(describe: str, classified: Classified, policy: RetryPolicy, seconds: float) -> RetryLater:
    # Whole seconds, rounded up: retrying a moment early would meet the same refusal.
    whole = math.ceil(seconds)
    retry_at = (policy.clock() + timedelta(seconds=whole)).astimezone(UTC)
    asked = "Google asks to wait" if classified.retry_after is not None else "the wait for this error is"
    message = (
        f"{describe}: {classified.describe()} [{classified.kind.value}; {asked} {whole}s, longer "
        f"than the {policy.max_inline_wait:g}s a worker may sleep: worker released, "
        f"retry after {format_retry_at(retry_at)}]"
    )
    return RetryLater(message, classified.kind, classified.status, retry_at, seconds)


def _failure(describe: str, classified: Classified, policy: RetryPolicy) -> GoogleApiError:
    kind = classified.kind
    if kind is ErrorKind.AUTH:
        hint = "check that the service account has access and the key is valid"
    elif kind is ErrorKind.INVALID:
        hint = "check the configured property / site URL and the request"
    elif kind is ErrorKind.QUOTA_DAILY:
        hint = "daily quota exhausted; it refills within 24 hours, a later run fetches the day"
    elif policy.retryable(kind):
        hint = f"gave up after {policy.attempts(kind)} attempts"
    else:
        hint = "not retried"
    return GoogleApiError(
        f"{describe}: {classified.describe()} [{kind.value}; {hint}]", kind, classified.status
    )

"""Classify Google API failures and retry only what waiting can fix (tenacity).

google-api-python-client never retries by itself (``num_retries=0``) and ignores Retry-After,
so every request goes through :func:`call_with_retries`:

- 429 / ``RESOURCE_EXHAUSTED``: wait per quota type - seconds for concurrency and per-minute
  limits, ``hourly_quota_wait`` for GA4 hourly token buckets, and fail at once for the daily
  bucket (it refills in up to 24 hours: Airflow's next retry or run picks the day up);
- 5xx, truncated/malformed JSON, dropped connections: capped exponential backoff with jitter;
- Search Console 403 ``quotaExceeded`` (short-term load quota): back off in minutes;
- 401, 403 permission, 400 invalid argument, 404: fail fast, no retries, with a message naming
  the site and the property.

Messages never contain credentials: they carry Google's error text, the status and the site.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
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
    """What went wrong, as read from the status code and Google's error body."""

    kind: ErrorKind
    status: int | None
    reason: str
    message: str

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
    return Classified(kind, status, label, message)


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
    sleeping for hours inside a worker slot. Tests pass milliseconds.
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
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)

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

    def wait(self, kind: ErrorKind, attempt: int) -> float:
        """Seconds to wait after the ``attempt``-th failed try (1-based) of this kind."""
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


def _kind_of(state: RetryCallState) -> ErrorKind | None:
    if state.outcome is None or not state.outcome.failed:
        return None
    classified = classify(state.outcome.exception())
    return classified.kind if classified else None


def call_with_retries(
    request: Callable[[], T],
    *,
    describe: str,
    policy: RetryPolicy,
    stats: CallStats | None = None,
) -> T:
    """Run ``request`` with classified retries; raise :class:`GoogleApiError` naming ``describe``.

    ``describe`` names the site and property (``ga4 site 'shop' property 123``) and becomes the
    start of every log line and error message about this request.
    """
    stats = stats if stats is not None else CallStats()
    # Each kind has its own budget: two 5xx before a quota error must not use up the quota waits.
    failures: Counter[ErrorKind] = Counter()

    def should_retry(exc: BaseException) -> bool:
        classified = classify(exc)
        if classified is None or not policy.retryable(classified.kind):
            return False
        failures[classified.kind] += 1  # tenacity asks this once per failed attempt, first
        return True

    def stop(state: RetryCallState) -> bool:
        kind = _kind_of(state)
        return kind is None or failures[kind] >= policy.attempts(kind)

    def wait(state: RetryCallState) -> float:
        kind = _kind_of(state)
        return policy.wait(kind, failures[kind]) if kind else 0.0

    def before_sleep(state: RetryCallState) -> None:
        classified = classify(state.outcome.exception()) if state.outcome else None
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
        raise _failure(describe, classified, policy) from exc


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

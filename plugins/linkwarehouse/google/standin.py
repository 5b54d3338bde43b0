"""A local stand-in for Google's OAuth token endpoint, GA4 runReport and Search Console.

It speaks the real REST shapes, so tests and the demo drive the real clients end to end:

- ``POST /token``: the OAuth 2 JWT-bearer grant. The assertion's RS256 signature is verified
  with the registered service account's public key; an access token is issued.
- ``POST /v1beta/properties/{id}:runReport`` (analyticsdata v1beta): ``limit``/``offset``
  paging, ``rowCount``, ``orderBys``, ``metadata`` flags, ``propertyQuota``.
- ``POST /webmasters/v3/sites/{siteUrl}/searchAnalytics/query`` (the path the bundled
  ``searchconsole`` v1 discovery document sends): ``rowLimit``/``startRow`` paging,
  ``dataState``, ``type``, date ranges, dimensions among ``date``, ``page``, ``query``, and
  ``metadata.firstIncompleteDate`` exactly when Google sends it: ``dataState: all``, ``date``
  among the dimensions, and a range reaching into days still being collected.

API calls need a valid Bearer token with the API's scope. ``faults`` injects failures by API
request number (1-based) - ``{3: "429", 5: "500", 7: "quota", 9: "malformed"}``, or a
:class:`Fault` with a ``Retry-After`` header value - or via a callable, answering with the
error bodies Google sends (GA4: google.rpc style with ``status``; Search Console: also the
legacy ``errors[].reason``). Data comes from
:class:`~linkwarehouse.google.standin_data.SiteModel` objects, so it is deterministic.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from linkwarehouse.google.standin_data import GA4_FLOAT_METRICS, GA4_METRICS, SiteModel

log = logging.getLogger(__name__)

GA4 = "ga4"
GSC = "gsc"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
#: google-auth always addresses its assertions to Google's endpoint, whatever token_uri says.
GOOGLE_ASSERTION_AUDIENCE = "https://oauth2.googleapis.com/token"
SCOPES = {
    GA4: {"https://www.googleapis.com/auth/analytics.readonly", "https://www.googleapis.com/auth/analytics"},
    GSC: {
        "https://www.googleapis.com/auth/webmasters.readonly",
        "https://www.googleapis.com/auth/webmasters",
    },
}
GA4_MAX_LIMIT = 250_000
GSC_MAX_ROW_LIMIT = 25_000
_GA4_PATH = re.compile(r"^/v1beta/properties/([^/:]+):runReport$")
_GSC_PATH = re.compile(r"^/webmasters/v3/sites/([^/]+)/searchAnalytics/query$")
_SCHEMA_HINT = "For a list of valid dimensions and metrics, see https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema"
_PROPERTY_HINT = "To learn more about Property ID, see https://developers.google.com/analytics/devguides/reporting/data/v1/property-id."
_UNAUTHENTICATED = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other "
    "valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
)
_JWT_TIMEFRAME = "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe."
_GSC_RATE = (
    "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service "
    "'searchconsole.googleapis.com' for consumer 'project_number:000000000000'."
)

#: fault name -> API -> (HTTP status, message, gRPC status, legacy reason)
FAULTS: dict[str, dict[str, tuple[int, str, str, str]]] = {
    "429": {
        GA4: (429, "Exhausted concurrent requests quota.", "RESOURCE_EXHAUSTED", ""),
        GSC: (429, _GSC_RATE, "RESOURCE_EXHAUSTED", "rateLimitExceeded"),
    },
    "quota": {
        GA4: (
            429,
            "Exhausted property tokens per hour. These quota tokens will return in under an hour.",
            "RESOURCE_EXHAUSTED",
            "",
        ),
        GSC: (403, "Quota Exceeded", "PERMISSION_DENIED", "quotaExceeded"),
    },
    "daily": {
        GA4: (
            429,
            "Exhausted property tokens per day. These quota tokens will return in under 24 hours.",
            "RESOURCE_EXHAUSTED",
            "",
        ),
        GSC: (
            429,
            _GSC_RATE.replace("per minute per user", "per day"),
            "RESOURCE_EXHAUSTED",
            "dailyLimitExceeded",
        ),
    },
    "500": {
        GA4: (500, "Internal error encountered.", "INTERNAL", ""),
        GSC: (500, "Internal error encountered.", "INTERNAL", "backendError"),
    },
    "503": {
        GA4: (503, "The service is currently unavailable.", "UNAVAILABLE", ""),
        GSC: (503, "The service is currently unavailable.", "UNAVAILABLE", "backendError"),
    },
    "401": {
        GA4: (401, _UNAUTHENTICATED, "UNAUTHENTICATED", ""),
        GSC: (401, _UNAUTHENTICATED, "UNAUTHENTICATED", "authError"),
    },
    "403": {
        GA4: (
            403,
            f"User does not have sufficient permissions for this property. {_PROPERTY_HINT}",
            "PERMISSION_DENIED",
            "",
        ),
        GSC: (
            403,
            "User does not have sufficient permission for site. See also: https://support.google.com/webmasters/answer/2451999.",
            "PERMISSION_DENIED",
            "forbidden",
        ),
    },
    "400": {
        GA4: (400, "Request contains an invalid argument.", "INVALID_ARGUMENT", ""),
        GSC: (400, "Request contains an invalid argument.", "INVALID_ARGUMENT", "badRequest"),
    },
}
FAULT_NAMES = (*FAULTS, "malformed", "drop")


@dataclass(frozen=True)
class Fault:
    """A failure to inject: a name of :data:`FAULT_NAMES`, optionally with the ``Retry-After``
    header value the error response carries (``"2"`` or an HTTP date)."""

    name: str
    retry_after: str | None = None


FaultSpec = str | Fault


class ApiFailure(Exception):
    """An error response the handler returns (status + Google error body)."""

    def __init__(self, api: str, status: int, message: str, grpc_status: str, reason: str = "") -> None:
        super().__init__(message)
        self.api, self.status, self.grpc_status, self.reason = api, status, grpc_status, reason

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.status, "message": str(self)}
        if self.api == GSC:
            legacy = {"message": str(self), "domain": "global", "reason": self.reason or "badRequest"}
            if self.reason == "quotaExceeded":
                legacy["domain"] = "usageLimits"
            error["errors"] = [legacy]
        error["status"] = self.grpc_status
        return {"error": error}


@dataclass
class ApiCall:
    """One API request as the stand-in saw it (the token endpoint is not counted)."""

    number: int
    api: str
    path: str
    body: dict[str, Any]
    fault: str | None = None
    status: int | None = None
    retry_after: str | None = None


@dataclass
class _Token:
    email: str
    scopes: frozenset[str]
    expires: float


def new_service_account_key(token_uri: str, email: str) -> tuple[dict[str, str], rsa.RSAPublicKey]:
    """A fresh RSA key in Google's service-account JSON layout, and its public half.

    Generated at run time so no key material is ever committed.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    project = email.split("@", 1)[-1].split(".", 1)[0]
    info = {
        "type": "service_account",
        "project_id": project,
        "private_key_id": secrets.token_hex(20),
        "private_key": pem,
        "client_email": email,
        "client_id": str(100_000_000_000_000_000_000 + secrets.randbelow(10**20)),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "universe_domain": "googleapis.com",
    }
    return info, key.public_key()


def _b64url(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


def _metric_value(name: str, value: float) -> str:
    if name in GA4_FLOAT_METRICS and value != int(value):
        return repr(float(value))
    return str(int(value))


class GoogleStandIn:
    """The stand-in server. Use as a context manager or call :meth:`start` / :meth:`stop`.

    ``ga4`` maps property ids and ``gsc`` maps Search Console site URLs (``sc-domain:x`` or a
    URL prefix) to site models. ``today`` fixes "now" for Search Console's data freshness.
    """

    def __init__(
        self,
        *,
        ga4: Mapping[str, SiteModel] | None = None,
        gsc: Mapping[str, SiteModel] | None = None,
        faults: Mapping[int, FaultSpec] | Callable[[ApiCall], FaultSpec | None] | None = None,
        today: date | None = None,
        require_auth: bool = True,
        token_lifetime: int = 3600,
        tokens_per_day: int = 200_000,
    ) -> None:
        self.ga4 = dict(ga4 or {})
        self.gsc = dict(gsc or {})
        self.faults = faults
        self.today = today
        self.require_auth = require_auth
        self.token_lifetime = token_lifetime
        self.tokens_per_day = tokens_per_day
        self.calls: list[ApiCall] = []
        self.token_requests = 0
        self._public_keys: dict[str, rsa.RSAPublicKey] = {}
        self._tokens: dict[str, _Token] = {}
        self._issued: list[str] = []
        self._consumed: dict[str, int] = {}
        self._cache: OrderedDict[tuple[Any, ...], list[Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle ---------------------------------------------------------------------------

    def start(self) -> GoogleStandIn:
        if self._server is not None:
            return self
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.standin = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name="google-standin", daemon=True
        )
        self._thread.start()
        log.info("Google stand-in listening on %s", self.base_url)
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> GoogleStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/`` (the ``api_endpoint`` for the clients)."""
        if self._server is None:
            raise RuntimeError("the Google stand-in is not running; call start() first")
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    @property
    def token_uri(self) -> str:
        return self.base_url + "token"

    # credentials -------------------------------------------------------------------------

    def register_public_key(self, email: str, public_key: rsa.RSAPublicKey | bytes) -> None:
        """Trust JWT assertions signed by ``email``'s key (a key object or PEM bytes)."""
        if isinstance(public_key, bytes):
            loaded = serialization.load_pem_public_key(public_key)
            if not isinstance(loaded, rsa.RSAPublicKey):
                raise ValueError("only RSA public keys are supported")
            public_key = loaded
        self._public_keys[email] = public_key

    def create_service_account(
        self,
        path: Path | None = None,
        email: str = "linkwarehouse-demo@standin-project.iam.gserviceaccount.com",
    ) -> dict[str, str]:
        """Generate a key whose ``token_uri`` is this server, trust it, optionally write it (0600)."""
        info, public_key = new_service_account_key(self.token_uri, email)
        self.register_public_key(email, public_key)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600, exist_ok=True)
            path.chmod(0o600)
            path.write_text(json.dumps(info, indent=2))
        return info

    @property
    def issued_tokens(self) -> list[str]:
        """Every access token handed out (tests assert none of them leaks)."""
        return list(self._issued)

    def revoke_tokens(self) -> None:
        """Forget every issued token: the next API call gets a 401 and must refresh."""
        with self._lock:
            self._tokens.clear()

    def reset(
        self, faults: Mapping[int, FaultSpec] | Callable[[ApiCall], FaultSpec | None] | None = None
    ) -> None:
        """Clear recorded calls (request numbers restart at 1) and set new faults."""
        with self._lock:
            self.calls.clear()
            self.faults = faults

    # request handling --------------------------------------------------------------------

    def handle(
        self, path: str, headers: Mapping[str, str], raw: bytes
    ) -> tuple[int | None, bytes, dict[str, str]]:
        """Answer one POST: status, body, extra headers; status ``None``: drop the connection."""
        route = urlsplit(path).path
        if route == "/token":
            status, payload = self._token(raw)
            return status, json.dumps(payload).encode(), {}
        match = _GA4_PATH.match(route) or _GSC_PATH.match(route)
        if match is None:
            failure = ApiFailure(GA4, 404, f"Not found: {route}", "NOT_FOUND")
            return 404, json.dumps(failure.body()).encode(), {}
        api = GA4 if match.re is _GA4_PATH else GSC
        resource = match.group(1) if api == GA4 else unquote(match.group(1))
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        with self._lock:
            call = ApiCall(len(self.calls) + 1, api, route, body if isinstance(body, dict) else {})
            self.calls.append(call)
            fault = self._fault_for(call)
            call.fault = fault.name if fault else None
        status, payload = self._answer(call, headers, body, resource)
        if call.fault == "drop":
            return None, b"", {}
        call.status = status
        data = json.dumps(payload).encode()
        if call.fault == "malformed" and status == 200:
            data = data[: max(1, len(data) // 2)]
        extra = {}
        if fault is not None and fault.retry_after is not None and status != 200:
            extra["Retry-After"] = call.retry_after = fault.retry_after
        return status, data, extra

    def _fault_for(self, call: ApiCall) -> Fault | None:
        faults = self.faults
        fault = faults(call) if callable(faults) else (faults or {}).get(call.number)
        if fault is None:
            return None
        fault = Fault(fault) if isinstance(fault, str) else fault
        if fault.name not in FAULT_NAMES:
            raise ValueError(f"unknown fault {fault.name!r}; use one of {', '.join(FAULT_NAMES)}")
        return fault

    def _answer(
        self, call: ApiCall, headers: Mapping[str, str], body: Any, resource: str
    ) -> tuple[int, dict[str, Any]]:
        try:
            if call.fault in FAULTS:
                raise ApiFailure(call.api, *FAULTS[call.fault][call.api])
            self._authorize(call.api, headers)
            if not isinstance(body, dict):
                raise ApiFailure(
                    call.api, 400, "Invalid JSON payload received.", "INVALID_ARGUMENT", "parseError"
                )
            if call.api == GA4:
                return 200, self._run_report(resource, body)
            return 200, self._search_analytics(resource, body)
        except ApiFailure as failure:
            return failure.status, failure.body()

    def _authorize(self, api: str, headers: Mapping[str, str]) -> None:
        if not self.require_auth:
            return
        value = headers.get("Authorization") or ""
        token = value[7:] if value.startswith("Bearer ") else ""
        with self._lock:
            grant = self._tokens.get(token)
        if grant is None or grant.expires < time.time():
            raise ApiFailure(api, *FAULTS["401"][api])
        if not grant.scopes & SCOPES[api]:
            raise ApiFailure(
                api,
                403,
                "Request had insufficient authentication scopes.",
                "PERMISSION_DENIED",
                "insufficientPermissions",
            )

    def _token(self, raw: bytes) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.token_requests += 1
        form = {key: values[0] for key, values in parse_qs(raw.decode("utf-8", "replace")).items()}
        if form.get("grant_type") != JWT_GRANT:
            return 400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type."}
        try:
            header_b64, payload_b64, signature_b64 = form.get("assertion", "").split(".")
            header, claims = json.loads(_b64url(header_b64)), json.loads(_b64url(payload_b64))
            signature = _b64url(signature_b64)
        except ValueError:
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT: not a signed JWT."}
        key = self._public_keys.get(str(claims.get("iss")))
        if header.get("alg") != "RS256" or key is None:
            return 400, {"error": "invalid_grant", "error_description": "Invalid grant: account not found"}
        try:
            key.verify(signature, f"{header_b64}.{payload_b64}".encode(), padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
        now = time.time()
        if claims.get("aud") not in (self.token_uri, GOOGLE_ASSERTION_AUDIENCE) or not (
            claims.get("iat", 0) - 300 <= now < claims.get("exp", 0)
        ):
            return 400, {"error": "invalid_grant", "error_description": _JWT_TIMEFRAME}
        token = "ya29.standin-" + secrets.token_urlsafe(32)
        scopes = frozenset(str(claims.get("scope", "")).split())
        with self._lock:
            self._tokens[token] = _Token(str(claims["iss"]), scopes, now + self.token_lifetime)
            self._issued.append(token)
        return 200, {"access_token": token, "expires_in": self.token_lifetime - 1, "token_type": "Bearer"}

    def _today(self) -> date:
        return self.today or datetime.now(UTC).date()

    def _cached(self, key: tuple[Any, ...], build: Callable[[], list[Any]]) -> list[Any]:
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        rows = build()
        with self._lock:
            self._cache[key] = rows
            while len(self._cache) > 8:
                self._cache.popitem(last=False)
        return rows

    # GA4 ---------------------------------------------------------------------------------

    def _run_report(self, property_id: str, body: dict[str, Any]) -> dict[str, Any]:
        if not property_id.isdigit():
            raise ApiFailure(
                GA4,
                400,
                f"Invalid property ID: {property_id}. A numeric Property ID is required. {_PROPERTY_HINT}",
                "INVALID_ARGUMENT",
            )
        model = self.ga4.get(property_id)
        if model is None:
            raise ApiFailure(GA4, *FAULTS["403"][GA4])
        day = _single_day(GA4, body.get("dateRanges") or [], "startDate", "endDate")
        dimensions = [str(d.get("name")) for d in body.get("dimensions") or []]
        metrics = [str(m.get("name")) for m in body.get("metrics") or []]
        for name in dimensions:
            if name not in ("hostName", "pagePath", "landingPage"):
                raise ApiFailure(
                    GA4, 400, f"Field {name} is not a valid dimension. {_SCHEMA_HINT}", "INVALID_ARGUMENT"
                )
        if len(dimensions) != 2 or dimensions[0] != "hostName" or dimensions[1] == "hostName":
            raise ApiFailure(
                GA4,
                400,
                "The stand-in answers dimensions [hostName, pagePath|landingPage] only.",
                "INVALID_ARGUMENT",
            )
        for name in metrics:
            if name not in GA4_METRICS:
                raise ApiFailure(
                    GA4, 400, f"Field {name} is not a valid metric. {_SCHEMA_HINT}", "INVALID_ARGUMENT"
                )
        if not metrics:
            raise ApiFailure(GA4, 400, "At least one metric is required.", "INVALID_ARGUMENT")
        limit, offset = int(body.get("limit") or 10_000), int(body.get("offset") or 0)
        if limit < 0 or offset < 0:
            raise ApiFailure(GA4, 400, "limit and offset must be non-negative.", "INVALID_ARGUMENT")
        limit = min(limit, GA4_MAX_LIMIT)
        rows = []
        if date.fromisoformat(day) <= self._today():
            today = self._today()
            all_rows = self._cached(
                ("ga4", id(model), day, dimensions[1], today),
                lambda: model.ga4_rows(day, dimensions[1], today),
            )
            rows = [(keys, values) for keys, values in all_rows if any(values[m] for m in metrics)]
        rows = _ordered(rows, body.get("orderBys") or [], dimensions, metrics)
        page = rows[offset : offset + limit]
        response: dict[str, Any] = {
            "dimensionHeaders": [{"name": name} for name in dimensions],
            "metricHeaders": [
                {"name": m, "type": "TYPE_FLOAT" if m in GA4_FLOAT_METRICS else "TYPE_INTEGER"}
                for m in metrics
            ],
            "metadata": self._ga4_metadata(model, rows),
            "kind": "analyticsData#runReport",
        }
        if rows:
            response["rows"] = [
                {
                    "dimensionValues": [{"value": value} for value in keys],
                    "metricValues": [{"value": _metric_value(m, values[m])} for m in metrics],
                }
                for keys, values in page
            ]
            response["rowCount"] = len(rows)
        if body.get("returnPropertyQuota"):
            response["propertyQuota"] = self._property_quota(property_id, 1 + len(page) // 2_000)
        return response

    @staticmethod
    def _ga4_metadata(model: SiteModel, rows: list[Any]) -> dict[str, Any]:
        metadata: dict[str, Any] = {"currencyCode": "USD", "timeZone": "Etc/UTC"}
        if any(keys[0] == "(other)" for keys, _ in rows):
            metadata["dataLossFromOtherRow"] = True
        if model.thresholded:
            metadata["subjectToThresholding"] = True
        if model.sampled:
            metadata["samplingMetadatas"] = [{"samplesReadCount": "250000", "samplingSpaceSize": "1000000"}]
        return metadata

    def _property_quota(self, property_id: str, tokens: int) -> dict[str, Any]:
        with self._lock:
            used = self._consumed[property_id] = self._consumed.get(property_id, 0) + tokens
        return {
            "tokensPerDay": {"consumed": tokens, "remaining": max(0, self.tokens_per_day - used)},
            "tokensPerHour": {"consumed": tokens, "remaining": max(0, self.tokens_per_day // 5 - used)},
            "concurrentRequests": {"consumed": 0, "remaining": 10},
            "serverErrorsPerProjectPerHour": {"consumed": 0, "remaining": 10},
            "potentiallyThresholdedRequestsPerHour": {"consumed": 0, "remaining": 120},
            "tokensPerProjectPerHour": {
                "consumed": tokens,
                "remaining": max(0, self.tokens_per_day * 7 // 100 - used),
            },
        }

    # Search Console ------------------------------------------------------------------------

    def _search_analytics(self, site_url: str, body: dict[str, Any]) -> dict[str, Any]:
        model = self.gsc.get(site_url)
        if model is None:
            message = f"User does not have sufficient permission for site '{site_url}'. See also: https://support.google.com/webmasters/answer/2451999."
            raise ApiFailure(GSC, 403, message, "PERMISSION_DENIED", "forbidden")
        days = _date_range(body.get("startDate"), body.get("endDate"))
        dimensions = tuple(str(d).lower() for d in body.get("dimensions") or [])
        facets = [d for d in dimensions if d != "date"]
        if len(set(dimensions)) != len(dimensions) or sorted(facets) not in ([], ["page"], ["page", "query"]):
            raise ApiFailure(
                GSC,
                400,
                "The stand-in answers dimensions date, page and page+query (each with or without date).",
                "INVALID_ARGUMENT",
                "badRequest",
            )
        row_limit, start_row = int(body.get("rowLimit") or 1000), int(body.get("startRow") or 0)
        if not 1 <= row_limit <= GSC_MAX_ROW_LIMIT:
            raise ApiFailure(
                GSC,
                400,
                f"rowLimit must be between 1 and {GSC_MAX_ROW_LIMIT}, got {row_limit}.",
                "INVALID_ARGUMENT",
                "invalidParameter",
            )
        if start_row < 0:
            raise ApiFailure(
                GSC, 400, "startRow must be non-negative.", "INVALID_ARGUMENT", "invalidParameter"
            )
        data_state = str(body.get("dataState") or "final").lower()
        if data_state not in ("final", "all"):
            raise ApiFailure(
                GSC, 400, f"Invalid dataState {data_state!r}.", "INVALID_ARGUMENT", "invalidParameter"
            )
        search_type = str(body.get("type") or body.get("searchType") or "web").lower()
        today = self._today()
        rows: list[dict[str, Any]] = []
        for day in days if search_type == "web" else []:
            rows.extend(self._gsc_day_rows(model, day, dimensions, data_state, today))
        page = rows[start_row : start_row + row_limit]
        response: dict[str, Any] = {"responseAggregationType": "byPage" if facets else "byProperty"}
        if page:
            response["rows"] = page
        first_incomplete = model.gsc_first_incomplete_date(today)
        if data_state == "all" and "date" in dimensions and days[-1] >= first_incomplete.isoformat():
            response["metadata"] = {"firstIncompleteDate": first_incomplete.isoformat()}
        return response

    def _gsc_day_rows(
        self, model: SiteModel, day: str, dimensions: tuple[str, ...], data_state: str, today: date
    ) -> list[dict[str, Any]]:
        """One day's rows in the response shape, keys in the requested dimension order."""
        facets = ("page", "query") if "query" in dimensions else ("page",)
        key = ("gsc", id(model), day, facets, data_state, today)
        rows = self._cached(key, lambda: model.gsc_rows(day, facets, data_state, today))
        if dimensions == ("date",):
            if not rows:
                return []
            clicks, impressions = sum(r.clicks for r in rows), sum(r.impressions for r in rows)
            position = sum(r.position * r.impressions for r in rows) / impressions
            return [{"keys": [day], "clicks": clicks, "impressions": impressions,
                     "ctr": clicks / impressions, "position": round(position, 2)}]  # fmt: skip
        values = {"date": lambda r: day, "page": lambda r: r.page, "query": lambda r: r.query}
        return [
            {
                "keys": [values[d](r) for d in dimensions],
                "clicks": r.clicks,
                "impressions": r.impressions,
                "ctr": r.ctr,
                "position": r.position,
            }
            for r in rows
        ]


def _date_range(start: Any, end: Any) -> list[str]:
    """Every day of a Search Console ``startDate``..``endDate`` (inclusive), as ISO strings."""
    try:
        first, last = date.fromisoformat(str(start)), date.fromisoformat(str(end))
    except ValueError:
        raise ApiFailure(
            GSC, 400, f"Invalid date range {start!r}..{end!r}.", "INVALID_ARGUMENT", "badRequest"
        ) from None
    if last < first:
        raise ApiFailure(GSC, 400, "endDate must not be before startDate.", "INVALID_ARGUMENT", "badRequest")
    return [date.fromordinal(n).isoformat() for n in range(first.toordinal(), last.toordinal() + 1)]


def _single_day(api: str, ranges: list[Any], start_key: str, end_key: str) -> str:
    if len(ranges) != 1 or not isinstance(ranges[0], dict):
        raise ApiFailure(
            api, 400, "The stand-in answers exactly one date range.", "INVALID_ARGUMENT", "badRequest"
        )
    start, end = ranges[0].get(start_key), ranges[0].get(end_key)
    try:
        first, last = date.fromisoformat(str(start)), date.fromisoformat(str(end))
    except ValueError:
        raise ApiFailure(
            api, 400, f"Invalid date range {start!r}..{end!r}.", "INVALID_ARGUMENT", "badRequest"
        ) from None
    if first != last:
        raise ApiFailure(
            api, 400, "The stand-in answers single-day date ranges only.", "INVALID_ARGUMENT", "badRequest"
        )
    return first.isoformat()


def _ordered(
    rows: list[tuple[tuple[str, ...], dict[str, float]]],
    order_bys: list[dict[str, Any]],
    dimensions: list[str],
    metrics: list[str],
) -> list[tuple[tuple[str, ...], dict[str, float]]]:
    """Sort like runReport: by ``orderBys`` (stable, last key first), else first metric desc."""
    ordered = sorted(rows, key=lambda row: row[0])
    if not order_bys:
        return sorted(ordered, key=lambda row: -row[1][metrics[0]])
    for order in reversed(order_bys):
        desc = bool(order.get("desc"))
        if "dimension" in order:
            index = dimensions.index(order["dimension"].get("dimensionName"))
            ordered.sort(key=lambda row, i=index: row[0][i], reverse=desc)
        elif "metric" in order:
            name = order["metric"].get("metricName")
            ordered.sort(key=lambda row, m=name: row[1][m], reverse=desc)
    return ordered


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("stand-in: " + format, *args)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        standin: GoogleStandIn = self.server.standin  # type: ignore[attr-defined]
        status, data, extra = standin.handle(self.path, self.headers, raw)
        if status is None:
            self.close_connection = True
            return
        self.send_response(status)
        for name, value in extra.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        data = json.dumps(ApiFailure(GA4, 405, "Use POST.", "INVALID_ARGUMENT").body()).encode()
        self.send_response(405)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

"""Service-account credentials from an Airflow connection, Google-provider style, or the env.

We do not depend on the Google provider, but read its connection extras so existing
connections work unchanged: ``keyfile_dict`` (the key JSON as a string or an object) or
``key_path`` (a file), each with or without the ``extra__google_cloud_platform__`` prefix.
Without a connection (or with one that has no key) ``GOOGLE_APPLICATION_CREDENTIALS`` is used.

Two optional extras point the clients at other servers (the local stand-in in tests and the
demo): ``api_endpoint`` (also ``LINKWAREHOUSE_GOOGLE_API_ENDPOINT``) and ``token_uri``.

Key material never appears in a repr, log line or error message: errors name the connection
or file, never the content.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import google.auth
from google.auth import exceptions as auth_exceptions
from google.auth.credentials import Credentials
from google.oauth2 import service_account

from linkwarehouse.google.errors import GoogleCredentialsError

log = logging.getLogger(__name__)

PREFIX = "extra__google_cloud_platform__"
ENDPOINT_ENV = "LINKWAREHOUSE_GOOGLE_API_ENDPOINT"
ADC_ENV = "GOOGLE_APPLICATION_CREDENTIALS"


@dataclass(frozen=True)
class GoogleAccess:
    """Where a key comes from plus endpoint overrides; build credentials per API scope.

    ``source`` says where the key came from (for messages); the key itself is kept out of
    ``repr`` and equality.
    """

    source: str
    key_info: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)
    key_path: Path | None = None
    api_endpoint: str | None = None
    token_uri: str | None = None

    def load_key(self) -> dict[str, Any]:
        """The key as a dict (read from ``key_path`` if needed); errors name only the source."""
        if self.key_info is not None:
            return dict(self.key_info)
        if self.key_path is None:
            raise GoogleCredentialsError(f"{self.source}: no service-account key configured")
        try:
            text = self.key_path.read_text(encoding="utf-8")
        except OSError as exc:
            raise GoogleCredentialsError(
                f"{self.source}: cannot read key file {self.key_path}: {exc.strerror}"
            ) from None
        return _parse_key(text, f"{self.source} ({self.key_path})")

    def credentials(self, scopes: Sequence[str]) -> Credentials:
        """Credentials for ``scopes``; service-account keys honour the ``token_uri`` override."""
        info = self.load_key()
        if self.token_uri:
            info["token_uri"] = self.token_uri
        try:
            if info.get("type", "service_account") == "service_account":
                return service_account.Credentials.from_service_account_info(info, scopes=list(scopes))
            credentials, _ = google.auth.load_credentials_from_dict(info, scopes=list(scopes))
            return credentials
        except (ValueError, KeyError, TypeError, auth_exceptions.GoogleAuthError) as exc:
            raise GoogleCredentialsError(
                f"{self.source}: not a usable Google key ({type(exc).__name__}: {_safe(exc)})"
            ) from None

    def client_options(self) -> dict[str, str] | None:
        return {"api_endpoint": self.api_endpoint} if self.api_endpoint else None


def _safe(exc: BaseException) -> str:
    """An exception's message, cut before anything that looks like key material."""
    text = str(exc)
    for marker in ("-----BEGIN", "private_key"):
        if marker in text:
            text = text.split(marker, 1)[0] + "[key material removed]"
    return text[:300]


def _parse_key(text: str, source: str) -> dict[str, Any]:
    try:
        info = json.loads(text)
    except ValueError as exc:
        raise GoogleCredentialsError(
            f"{source}: the key is not valid JSON (line {getattr(exc, 'lineno', '?')})"
        ) from None
    if not isinstance(info, dict):
        raise GoogleCredentialsError(f"{source}: the key must be a JSON object")
    return info


def _extra(extras: Mapping[str, Any], name: str) -> Any:
    value = extras.get(name)
    if value in (None, ""):
        value = extras.get(PREFIX + name)
    return None if value in (None, "") else value


def access_from_extras(
    extras: Mapping[str, Any], source: str, environ: Mapping[str, str] | None = None
) -> GoogleAccess:
    """Read a Google-style connection's extras; fall back to ``GOOGLE_APPLICATION_CREDENTIALS``."""
    env = os.environ if environ is None else environ
    endpoint = _extra(extras, "api_endpoint") or env.get(ENDPOINT_ENV) or None
    token_uri = _extra(extras, "token_uri")
    keyfile = _extra(extras, "keyfile_dict")
    if keyfile is not None:
        info = keyfile if isinstance(keyfile, Mapping) else _parse_key(str(keyfile), f"{source} keyfile_dict")
        return GoogleAccess(
            f"{source} keyfile_dict", key_info=info, api_endpoint=endpoint, token_uri=token_uri
        )
    key_path = _extra(extras, "key_path")
    if key_path is not None:
        path = Path(str(key_path)).expanduser()
        return GoogleAccess(f"{source} key_path", key_path=path, api_endpoint=endpoint, token_uri=token_uri)
    adc = env.get(ADC_ENV)
    if adc:
        return GoogleAccess(
            f"{ADC_ENV} (no key in {source})", key_path=Path(adc), api_endpoint=endpoint, token_uri=token_uri
        )
    raise GoogleCredentialsError(
        f"{source}: no keyfile_dict or key_path in the connection extras and {ADC_ENV} is not set"
    )


def access_from_connection(conn_id: str, environ: Mapping[str, str] | None = None) -> GoogleAccess:
    """Resolve an Airflow connection (``AIRFLOW_CONN_<ID>``, secrets backend or metadata DB).

    A missing connection falls back to ``GOOGLE_APPLICATION_CREDENTIALS``, so a plain
    service-account setup needs no connection at all.
    """
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    source = f"connection '{conn_id}'"
    try:
        extras: Mapping[str, Any] = BaseHook.get_connection(conn_id).extra_dejson
    except AirflowNotFoundException:
        log.info("%s is not defined; using %s", source, ADC_ENV)
        extras = {}
    return access_from_extras(extras, source, environ)

"""Build the two API clients from the discovery documents bundled with the installed package.

``static_discovery=True`` means no network request for the discovery document (and no drift
between runs); ``client_options.api_endpoint`` sends every call to the local stand-in in tests
and the demo, while the request paths stay exactly what Google's servers receive.
"""

from __future__ import annotations

from typing import Any

import google_auth_httplib2
import httplib2
from googleapiclient.discovery import build

from linkwarehouse.google.credentials import GoogleAccess

GA4_SCOPES = ("https://www.googleapis.com/auth/analytics.readonly",)
GSC_SCOPES = ("https://www.googleapis.com/auth/webmasters.readonly",)
DEFAULT_TIMEOUT = 120.0


def _authorized_http(access: GoogleAccess, scopes: tuple[str, ...], timeout: float) -> Any:
    http = httplib2.Http(timeout=timeout)
    http.redirect_codes = http.redirect_codes - {308}
    return google_auth_httplib2.AuthorizedHttp(access.credentials(scopes), http=http)


def ga4_service(access: GoogleAccess, timeout: float = DEFAULT_TIMEOUT) -> Any:
    """GA4 Data API (``analyticsdata`` v1beta) client: ``.properties().runReport(...)``."""
    return build(
        "analyticsdata",
        "v1beta",
        http=_authorized_http(access, GA4_SCOPES, timeout),
        static_discovery=True,
        cache_discovery=False,
        client_options=access.client_options(),
    )


def gsc_service(access: GoogleAccess, timeout: float = DEFAULT_TIMEOUT) -> Any:
    """Search Console API (``searchconsole`` v1) client: ``.searchanalytics().query(...)``."""
    return build(
        "searchconsole",
        "v1",
        http=_authorized_http(access, GSC_SCOPES, timeout),
        static_discovery=True,
        cache_discovery=False,
        client_options=access.client_options(),
    )

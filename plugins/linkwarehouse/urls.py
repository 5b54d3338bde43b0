"""The one URL normaliser, used by the crawler, the Google extractors and the warehouse.

WHATWG parsing (ada-url) does the heavy lifting: lower-case scheme and host, IDNA, IPv4
spellings (``0x7f.1`` -> ``127.0.0.1``), default ports, dot-segments. On top of that we apply
what WHATWG deliberately leaves alone but crawlers must fold to count links exactly:
fragment dropped, credentials dropped, percent-encoding normalised (RFC 3986 6.2.2: upper-case
hex, unreserved characters decoded), tracking and session parameters removed (the built-in list
plus the site's own, minus what the site keeps), an empty ``?`` dropped and, per site, the
trailing-slash rule.

``index.html`` folding is not done here: whether ``/dir/index.html`` is the same page as
``/dir/`` depends on what the server answers for both, so the crawler decides it when both are
fetched (:meth:`UrlNormalizer.index_directory` names the candidate; linkcrawler.folding).
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from urllib.parse import unquote

import ada_url

__all__ = [
    "BUILTIN_STRIP_PARAMS",
    "SESSION_PARAMS",
    "HrefKind",
    "UrlNormalizer",
    "classify_href",
    "normalize_url",
    "parameter_variant_base",
]

#: Session ids of common servers (Java servlets, PHP, classic ASP, ColdFusion and generic
#: ``sid``/``sessionid``): a new value per visitor turns every page into endless URL variants.
SESSION_PARAMS: tuple[str, ...] = (
    "sid", "sessionid", "jsessionid", "phpsessid", "aspsessionid*", "cfid", "cftoken",
)  # fmt: skip
#: Stripped from every site's URLs (query keys and path parameter names, shell patterns matched
#: case-insensitively): click ids of ad platforms, campaign and e-mail tracking, Google
#: Analytics linker values, session ids. A site adds its own with ``urls.strip_params`` and
#: keeps any of these with ``urls.keep_params``.
BUILTIN_STRIP_PARAMS: tuple[str, ...] = (
    "utm_*", "gclid", "dclid", "gbraid", "wbraid", "fbclid", "msclkid", "yclid", "twclid",
    "ttclid", "li_fat_id", "igshid", "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi",
    "mkt_tok", *SESSION_PARAMS,
)  # fmt: skip

_PCT_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_HTTP_SCHEMES = frozenset({"http:", "https:"})


def _normalize_percent_encoding(component: str) -> str:
    if "%" not in component:
        return component

    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    return _PCT_ESCAPE.sub(fix, component)


class HrefKind(StrEnum):
    """What an ``href`` points at, decided before any URL is built from it."""

    HTTP = "http"
    FRAGMENT = "fragment"
    JAVASCRIPT = "javascript"
    MAILTO = "mailto"
    TEL = "tel"
    OTHER_SCHEME = "other_scheme"
    EMPTY = "empty"
    #: An http(s) href that still yields no URL (``http://``, ``http://[bad``): recorded, never followed.
    INVALID = "invalid"


_SCHEME_PREFIX = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_WHATWG_STRIP = "".join(chr(code) for code in range(0x21))  # C0 controls and space


def classify_href(raw: str) -> HrefKind:
    """Classify a raw ``href`` the way a browser would resolve it (relative = http)."""
    value = raw.strip(_WHATWG_STRIP).replace("\t", "").replace("\n", "").replace("\r", "")
    if not value:
        return HrefKind.EMPTY
    if value.startswith("#"):
        return HrefKind.FRAGMENT
    match = _SCHEME_PREFIX.match(value)
    if not match:
        return HrefKind.HTTP
    scheme = match.group(1).lower()
    if scheme in ("http", "https"):
        return HrefKind.HTTP
    if scheme == "javascript":
        return HrefKind.JAVASCRIPT
    if scheme == "mailto":
        return HrefKind.MAILTO
    if scheme == "tel":
        return HrefKind.TEL
    return HrefKind.OTHER_SCHEME


_PATH_PARAM = re.compile(r";([^;/=]*)(?:=[^;/]*)?")
_PATH_PARAMS = re.compile(r";[^/]*")


def _patterns(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(fnmatch.translate(p.lower()) for p in patterns))


def parameter_variant_base(url: str) -> str:
    """``url`` without its query string and path parameters (``;jsessionid=...``).

    Two URLs with the same base are parameter variants of one resource: what a session id, a
    tracking key or a sort order makes of one page.
    """
    path, _, _ = url.partition("?")
    return _PATH_PARAMS.sub("", path) if ";" in path else path


@dataclass(frozen=True)
class UrlNormalizer:
    """Normalise URLs with one site's rules.

    ``strip_params`` are shell-style patterns matched case-insensitively against decoded query
    keys (``utm_*``, ``gclid``) and path parameter names (``/cart;jsessionid=1A2B``: servlet
    containers put session ids there); a key that also matches one of ``keep_params`` stays.
    ``trailing_slash`` is ``keep`` (default), ``strip`` or ``add`` (applied to non-root paths
    whose last segment has no dot). ``index_files`` are the file names (``index.html``) whose
    URLs :meth:`index_directory` maps to their directory; URLs are never folded here.
    """

    strip_params: tuple[str, ...] = ()
    keep_params: tuple[str, ...] = ()
    trailing_slash: str = "keep"
    index_files: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.trailing_slash not in ("keep", "strip", "add"):
            raise ValueError(f"trailing_slash must be keep, strip or add, not {self.trailing_slash!r}")
        for name in self.index_files:
            if not name or "/" in name or name in (".", ".."):
                raise ValueError(f"index file names must be plain file names, not {name!r}")

    @cached_property
    def _strip_regex(self) -> re.Pattern[str] | None:
        return _patterns(self.strip_params)

    @cached_property
    def _keep_regex(self) -> re.Pattern[str] | None:
        return _patterns(self.keep_params)

    def _stripped(self, key: str) -> bool:
        """Whether a (raw, still percent-encoded) query key or path parameter name is removed."""
        strip = self._strip_regex
        if strip is None:
            return False
        name = unquote(key).lower()
        if not strip.fullmatch(name):
            return False
        keep = self._keep_regex
        return keep is None or not keep.fullmatch(name)

    def __call__(self, raw: str, base: str | None = None) -> str | None:
        """Return the normalised absolute http(s) URL, or ``None`` when there is none.

        Never raises: unparseable input and non-http schemes give ``None``.
        """
        try:
            url = ada_url.URL(raw, base) if base else ada_url.URL(raw)
        except (ValueError, TypeError, UnicodeError):
            return None
        if url.protocol not in _HTTP_SCHEMES or not url.hostname:
            return None
        path = self._strip_path_params(_normalize_percent_encoding(url.pathname))
        path = self._slash_rule(path)
        query = self._clean_query(url.search)
        href = f"{url.protocol}//{url.host}{path}{query}"
        if href != url.href:
            try:
                href = ada_url.URL(href).href
            except ValueError:
                return None
        return href

    def index_directory(self, url: str) -> str | None:
        """The directory URL of a normalised ``url`` naming one of ``index_files``, else ``None``.

        ``http://h/dir/index.html?x=1`` gives ``http://h/dir/?x=1`` (``http://h/dir?x=1`` with
        ``trailing_slash: strip``). Whether the two are one page is for the crawl to decide.
        """
        if not self.index_files:
            return None
        head, mark, query = url.partition("?")
        slash = head.rfind("/")
        if slash < 0 or head[slash + 1 :] not in self.index_files:
            return None
        return self(head[: slash + 1] + mark + query)

    def _strip_path_params(self, path: str) -> str:
        if self._strip_regex is None or ";" not in path:
            return path

        def keep(match: re.Match[str]) -> str:
            return "" if self._stripped(match.group(1)) else match.group(0)

        return _PATH_PARAM.sub(keep, path)

    def _slash_rule(self, path: str) -> str:
        if self.trailing_slash == "strip" and len(path) > 1 and path.endswith("/"):
            path = path.rstrip("/") or "/"
        elif self.trailing_slash == "add" and not path.endswith("/"):
            last = path.rsplit("/", 1)[-1]
            if "." not in last:
                path += "/"
        return path

    def _clean_query(self, search: str) -> str:
        if not search or search == "?":
            return ""
        pairs = search[1:].split("&")
        stripping = self._strip_regex is not None
        kept = [
            _normalize_percent_encoding(pair)
            for pair in pairs
            if pair and not (stripping and self._stripped(pair.split("=", 1)[0]))
        ]
        return "?" + "&".join(kept) if kept else ""


_DEFAULT = UrlNormalizer()


def normalize_url(raw: str, base: str | None = None) -> str | None:
    """Normalise with no site-specific rules (see :class:`UrlNormalizer`)."""
    return _DEFAULT(raw, base)

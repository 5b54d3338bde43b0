"""The one URL normaliser, used by the crawler, the Google extractors and the warehouse.

WHATWG parsing (ada-url) does the heavy lifting: lower-case scheme and host, IDNA, IPv4
spellings (``0x7f.1`` -> ``127.0.0.1``), default ports, dot-segments. On top of that we apply
what WHATWG deliberately leaves alone but crawlers must fold to count links exactly:
fragment dropped, credentials dropped, percent-encoding normalised (RFC 3986 6.2.2: upper-case
hex, unreserved characters decoded), configured tracking parameters removed, an empty ``?``
dropped and, per site, trailing-slash and ``index.html`` folding.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from urllib.parse import unquote

import ada_url

__all__ = ["HrefKind", "UrlNormalizer", "classify_href", "normalize_url"]

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


@dataclass(frozen=True)
class UrlNormalizer:
    """Normalise URLs with one site's rules.

    ``strip_params`` are shell-style patterns matched case-insensitively against decoded query
    keys (``utm_*``, ``gclid``) and path parameter names (``/cart;jsessionid=1A2B``: servlet
    containers put session ids there). ``trailing_slash`` is ``keep`` (default), ``strip`` or ``add``
    (applied to non-root paths whose last segment has no dot). ``fold_index`` maps
    ``/dir/index.html`` (and ``index.htm``/``index.php``) to ``/dir/``.
    """

    strip_params: tuple[str, ...] = ()
    trailing_slash: str = "keep"
    fold_index: bool = False
    _index_names: tuple[str, ...] = field(default=("index.html", "index.htm", "index.php"), repr=False)

    def __post_init__(self) -> None:
        if self.trailing_slash not in ("keep", "strip", "add"):
            raise ValueError(f"trailing_slash must be keep, strip or add, not {self.trailing_slash!r}")

    @cached_property
    def _strip_regex(self) -> re.Pattern[str] | None:
        if not self.strip_params:
            return None
        return re.compile("|".join(fnmatch.translate(p.lower()) for p in self.strip_params))

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
        path = self._fold_path(path)
        query = self._clean_query(url.search)
        href = f"{url.protocol}//{url.host}{path}{query}"
        if href != url.href:
            try:
                href = ada_url.URL(href).href
            except ValueError:
                return None
        return href

    def _strip_path_params(self, path: str) -> str:
        regex = self._strip_regex
        if regex is None or ";" not in path:
            return path

        def keep(match: re.Match[str]) -> str:
            return "" if regex.fullmatch(unquote(match.group(1)).lower()) else match.group(0)

        return _PATH_PARAM.sub(keep, path)

    def _fold_path(self, path: str) -> str:
        """Apply index folding and the trailing-slash rule until nothing changes.

        One pass is not idempotent: with ``strip``, ``/a/index.html/`` becomes
        ``/a/index.html``, which the next pass would fold to ``/a``.
        """
        while (folded := self._fold_once(path)) != path:
            path = folded
        return path

    def _fold_once(self, path: str) -> str:
        if self.fold_index:
            for name in self._index_names:
                if path.endswith("/" + name):
                    path = path[: -len(name)]
                    break
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
        regex = self._strip_regex
        kept = [
            _normalize_percent_encoding(pair)
            for pair in pairs
            if pair and not (regex and regex.fullmatch(unquote(pair.split("=", 1)[0]).lower()))
        ]
        return "?" + "&".join(kept) if kept else ""


_DEFAULT = UrlNormalizer()


def normalize_url(raw: str, base: str | None = None) -> str | None:
    """Normalise with no site-specific rules (see :class:`UrlNormalizer`)."""
    return _DEFAULT(raw, base)

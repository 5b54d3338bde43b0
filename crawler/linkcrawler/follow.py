"""Google's follow semantics: why a link passes no ranking signal (``nofollow_reason``).

A link is *unfollowed* when its own ``rel`` says ``nofollow``, ``sponsored`` or ``ugc``, or when
its page says ``nofollow`` (or ``none``) to Google: in ``<meta name="robots">``, in
``<meta name="googlebot">``, or in an ``X-Robots-Tag`` header that is unscoped or scoped to
``googlebot``. Every reason found is kept, in the fixed order of :data:`REASONS`, so a site can
change its mind about ``sponsored``/``ugc`` (``links.sponsored_ugc_as_nofollow``) without a
re-crawl; the warehouse applies that switch again (stg_crawl__links).

Only Google's tokens count: a directive scoped to another bot (``otherbot: nofollow``), to
``googlebot-news`` or to this crawler's own user agent says nothing about how Google passes
equity, which is what the link metrics model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: Every reason code, in the order a link's ``nofollow_reason`` lists them.
REASONS = ("rel_nofollow", "rel_sponsored", "rel_ugc", "meta_robots", "x_robots_tag")
#: Reasons the per-site switch ``links.sponsored_ugc_as_nofollow: false`` stops counting.
SPONSORED_UGC = frozenset({"rel_sponsored", "rel_ugc"})
#: ``<meta name=...>`` values Google's web crawler obeys.
GOOGLE_META_NAMES = frozenset({"robots", "googlebot"})
#: ``X-Robots-Tag`` user-agent scopes that apply to Google's web crawler.
GOOGLE_AGENTS = frozenset({"googlebot"})

_REL_REASONS = (("nofollow", "rel_nofollow"), ("sponsored", "rel_sponsored"), ("ugc", "rel_ugc"))
_PAGE_NOFOLLOW = frozenset({"nofollow", "none"})
#: Rules whose own value follows a colon; anything else before a colon names a user agent.
_VALUED_RULES = frozenset({"unavailable_after", "max-snippet", "max-image-preview", "max-video-preview"})
_AGENT = re.compile(r"[a-z][a-z0-9_.-]*")


def rel_reasons(rel: Iterable[str]) -> list[str]:
    """Reasons a link's own lower-cased ``rel`` tokens give, in :data:`REASONS` order."""
    tokens = set(rel)
    return [reason for token, reason in _REL_REASONS if token in tokens]


def _split(chunk: str) -> list[str]:
    """One comma-separated chunk as rules: itself when it holds a value (``max-snippet: 20``),
    else its space-separated words (``noindex nofollow`` is a common misspelling of a list)."""
    return [chunk] if ":" in chunk else chunk.split()


def meta_says_nofollow(content: str) -> bool:
    """A ``robots``/``googlebot`` meta ``content`` holds ``nofollow`` or ``none``."""
    return any(
        rule in _PAGE_NOFOLLOW for chunk in content.lower().split(",") for rule in _split(chunk.strip())
    )


def header_says_nofollow(values: Iterable[str], agents: frozenset[str] = GOOGLE_AGENTS) -> bool:
    """Any ``X-Robots-Tag`` header line gives ``nofollow``/``none`` to all bots or to one of ``agents``.

    Per line, rules before a ``<bot>:`` prefix apply to every bot, rules after it to that bot
    only until the next prefix (``noarchive, otherbot: noindex, nofollow`` keeps ``nofollow``
    for otherbot). Valued rules (``max-snippet: 20``, ``unavailable_after: <date>``) are not
    prefixes, nor is text that cannot be a user-agent token (a date's ``15:00:00``).
    """
    for value in values:
        scope: str | None = None
        for chunk in value.lower().split(","):
            chunk = chunk.strip()
            name, colon, rest = chunk.partition(":")
            name = name.strip()
            if colon and name not in _VALUED_RULES and _AGENT.fullmatch(name):
                scope, chunk = name, rest.strip()
            if (scope is None or scope in agents) and not _PAGE_NOFOLLOW.isdisjoint(_split(chunk)):
                return True
    return False


def page_reasons(meta: Iterable[tuple[str, str]], x_robots_tag: Iterable[str]) -> list[str]:
    """Page-level reasons: ``meta`` is ``(name, content)`` of each named meta, lower-case names."""
    reasons = []
    if any(name in GOOGLE_META_NAMES and meta_says_nofollow(content) for name, content in meta):
        reasons.append("meta_robots")
    if header_says_nofollow(x_robots_tag):
        reasons.append("x_robots_tag")
    return reasons


def is_unfollowed(reasons: Iterable[str], sponsored_ugc_as_nofollow: bool = True) -> bool:
    """Whether a link with these reasons passes no equity under the site's switch."""
    if sponsored_ugc_as_nofollow:
        return any(True for _ in reasons)
    return any(reason not in SPONSORED_UGC for reason in reasons)

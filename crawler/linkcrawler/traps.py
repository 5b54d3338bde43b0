"""Spider-trap heuristics: URLs that look machine-generated without end.

A suspected URL is still fetched once (it may be a real page and it is linked) but its links
are not followed, so a trap stops one step after it is recognised. The reasons, in the order
they are checked:

- ``url_too_long``: longer than ``crawl.max_url_length`` characters;
- ``repeating_segments``: one path segment occurs more than ``crawl.trap_max_segment_repeats``
  times (``/a/b/a/b/a/``, relative links that keep appending themselves);
- ``too_many_params``: more distinct query parameters than ``crawl.trap_max_query_params``
  (faceted navigation combining every filter);
- ``future_date``: a calendar date (``/2031/05/``, ``2031-05-01``, ``?year=2031``) more than a
  year after the crawl (calendars link "next month" forever);
- ``pattern_overflow``: a URL with a query string or a date is one of a pattern (its path with
  dates masked, plus its parameter NAMES) that already has ``crawl.trap_max_pattern_urls``
  URLs (facet values and calendar pages without end). Plain paths (``/product/123``) never
  count against a pattern: real sites have any number of those.

After the crawl, :func:`volatile_params` reports the query keys whose value changes on every
page (session ids and per-page tracking the strip list does not know yet): each URL variant
they create is fetched once, so they are reported for ``urls.strip_params`` rather than
stopping anything.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.compute as pc

_DATE = re.compile(
    r"(?<![0-9])((?:19|20)[0-9]{2})([/-])(0?[1-9]|1[0-2])(?:\2(0?[1-9]|[12][0-9]|3[01]))?(?![0-9])"
)
_YEAR_PARAM = re.compile(r"(?:^|&)(?:year|yr|y|jahr)=((?:19|20)[0-9]{2})(?:&|$)", re.IGNORECASE)


class TrapDetector:
    """Classifies normalised URLs; remembers pattern counts of the URLs it was told were admitted."""

    def __init__(
        self,
        max_url_length: int = 2048,
        max_segment_repeats: int = 2,
        max_query_params: int = 5,
        max_pattern_urls: int = 1000,
        today: datetime | None = None,
    ) -> None:
        self.max_url_length = max_url_length
        self.max_segment_repeats = max_segment_repeats
        self.max_query_params = max_query_params
        self.max_pattern_urls = max_pattern_urls
        self.latest_year = (today or datetime.now(UTC)).year + 1
        self.patterns: Counter[str] = Counter()

    @staticmethod
    def _split(url: str) -> tuple[str, str]:
        rest = url.partition("://")[2]
        slash = rest.find("/")
        path_query = rest[slash:] if slash >= 0 else "/"
        path, _, query = path_query.partition("?")
        return path, query

    def _pattern(self, path: str, query: str) -> str | None:
        masked, dates = _DATE.subn("{date}", path)
        if not query and not dates:
            return None
        names = sorted({unquote(pair.split("=", 1)[0]) for pair in query.split("&") if pair})
        return masked + "?" + "&".join(names)

    def _future(self, path: str, query: str) -> bool:
        years = [int(match.group(1)) for match in _DATE.finditer(path)]
        years += [int(match.group(1)) for match in _DATE.finditer(unquote(query))]
        years += [int(match.group(1)) for match in _YEAR_PARAM.finditer(query)]
        return any(year > self.latest_year for year in years)

    def check(self, url: str) -> str | None:
        """The trap reason for ``url``, or ``None``; pure (admission is :meth:`admitted`)."""
        if len(url) > self.max_url_length:
            return "url_too_long"
        path, query = self._split(url)
        segments = [segment for segment in path.split("/") if segment]
        if segments and max(Counter(segments).values()) > self.max_segment_repeats:
            return "repeating_segments"
        if (
            query
            and len({pair.split("=", 1)[0] for pair in query.split("&") if pair}) > self.max_query_params
        ):
            return "too_many_params"
        if self._future(path, query):
            return "future_date"
        pattern = self._pattern(path, query)
        if pattern is not None and self.patterns[pattern] >= self.max_pattern_urls:
            return "pattern_overflow"
        return None

    def admitted(self, url: str) -> None:
        """Count ``url`` against its pattern (call once per admitted URL)."""
        path, query = self._split(url)
        pattern = self._pattern(path, query)
        if pattern is not None:
            self.patterns[pattern] += 1


VOLATILE_EXAMPLES = 3
_SPLIT = r"^(?P<path>[^?]*)\?(?P<query>.*)$"
_PAIR = r"^(?P<key>[^=]*)(?:=(?P<value>.*))?$"


def volatile_params(links: pa.Table, min_pages: int) -> dict[str, dict[str, Any]]:
    """Query keys whose value changes on every page: ``{key: {"pages": n, "examples": [...]}}``.

    From the crawl's internal link rows (``source_url``, ``target_url``, ``is_internal``), a key
    (lower-cased) is reported when links on at least ``min_pages`` source pages carry it, every
    such page uses one value of it for all its links, no two pages share a value, and on some
    page that one value rides on links to different paths. The last rule tells a session id
    (the value belongs to the page it was served on) from a ``page=``/``next=`` parameter, whose
    value names its one target. ``examples`` are the first target URLs carrying the key.
    """
    if links.num_rows == 0:
        return {}
    target = links.column("target_url")
    keep = pc.and_(
        pc.fill_null(links.column("is_internal"), False),
        pc.fill_null(pc.match_substring(target, "?"), False),
    )
    chosen = links.filter(keep)
    if chosen.num_rows == 0:
        return {}
    targets = chosen.column("target_url").combine_chunks()
    split = pc.extract_regex(targets, _SPLIT)
    query, path = pc.struct_field(split, "query"), pc.struct_field(split, "path")
    pairs = pc.split_pattern(query, "&")
    parent = pc.list_parent_indices(pairs)
    parsed = pc.extract_regex(pc.list_flatten(pairs), _PAIR)
    flat = pa.table(
        {
            "key": pc.utf8_lower(pc.struct_field(parsed, "key")),
            "value": pc.struct_field(parsed, "value"),
            "source": pc.take(chosen.column("source_url").combine_chunks(), parent),
            "path": pc.take(path, parent),
        }
    ).filter(pc.not_equal(pc.struct_field(parsed, "key"), ""))
    per_page = flat.group_by(["key", "source"]).aggregate(
        [("value", "count_distinct"), ("value", "min"), ("path", "count_distinct")]
    )
    per_key = per_page.group_by("key").aggregate(
        [
            ("source", "count"),
            ("value_count_distinct", "max"),
            ("value_min", "count_distinct"),
            ("path_count_distinct", "max"),
        ]
    )
    found: dict[str, dict[str, Any]] = {}
    for row in per_key.to_pylist():
        pages = row["source_count"]
        if (
            pages >= min_pages
            and row["value_count_distinct_max"] == 1
            and row["value_min_count_distinct"] == pages
            and row["path_count_distinct_max"] >= 2
        ):
            found[row["key"]] = {"pages": pages}
    for key in found:  # rare: a crawl reports a handful of keys at most
        carrying = pc.match_substring_regex(query, rf"(^|&){re.escape(key)}(=|&|$)", ignore_case=True)
        found[key]["examples"] = sorted(set(pc.filter(targets, carrying).to_pylist()))[:VOLATILE_EXAMPLES]
    return dict(sorted(found.items()))

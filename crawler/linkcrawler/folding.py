"""Index folding, decided once a crawl has fetched both ``/dir/index.html`` and ``/dir/``.

With ``urls.fold_index`` a site says its ``index_files`` may be the same page as their
directory. Whether they are is the server's answer, not the URL's spelling: an index file is
folded into its directory only when both were fetched in this crawl, both answered the same 2xx
status and the same ``content_hash`` (the visible text), and neither failed. A ``/more/index.htm``
that answers 404 therefore stays a URL of its own (a broken link target), and so does an index
file whose directory nobody linked.

A fold rewrites the crawl's rows at publish time: links, redirects, sitemap entries and page
facts that named the index file name its directory (``raw_href``, ``raw_location`` and
``raw_url`` keep what the site wrote); the index file's own links, alternates, text and meta
refresh hop are dropped (its directory's page already has them), and its crawl/pages row is
kept with ``folded_into`` set, so the lake still shows that it was fetched and why it went.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from linkwarehouse.urls import UrlNormalizer

#: URL columns of each crawl table that may name a folded URL, and the column whose folded rows
#: are dropped (rows the index file's own page produced).
FOLDED_COLUMNS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "crawl/pages": (
        ("final_url", "redirect_location", "canonical", "canonical_header", "meta_refresh", "rel_next",
         "rel_prev", "variant_of"),
        None,
    ),
    "crawl/links": (("target_url",), "source_url"),
    "crawl/redirects": (("location",), "url"),
    "crawl/sitemap_urls": (("url",), None),
    "crawl/hreflang": (("alternate_url",), "url"),
    "crawl/page_text": ((), "url"),
    "crawl/sitemaps": ((), None),
}  # fmt: skip


def index_folds(pages: pa.Table | None, normalize: UrlNormalizer) -> dict[str, str]:
    """``{index file URL: directory URL}`` for every fold this crawl's responses justify."""
    if pages is None or pages.num_rows == 0 or not normalize.index_files:
        return {}
    names = "|".join(re.escape(name) for name in normalize.index_files)
    url_column = pages.column("url")
    named = pc.filter(url_column, pc.match_substring_regex(url_column, rf"/(?:{names})(?:\?|$)"))
    directories = {url: normalize.index_directory(url) for url in named.to_pylist()}
    candidates = {url: directory for url, directory in directories.items() if directory is not None}
    if not candidates:
        return {}
    wanted = pa.array([*candidates, *candidates.values()], pa.string())
    rows = pages.filter(pc.is_in(url_column, value_set=wanted))
    facts = {
        row["url"]: (row["status"], row["content_hash"], row["error"])
        for row in rows.select(["url", "status", "content_hash", "error"]).to_pylist()
    }
    folds = {}
    for url, directory in candidates.items():
        if directory == url or directory not in facts:
            continue
        status, content_hash, error = facts[url]
        if (
            status is not None
            and 200 <= status < 300
            and content_hash is not None
            and error is None
            and facts[directory] == (status, content_hash, None)
        ):
            folds[url] = directory
    return folds


def fold_table(table_name: str, rows: pa.Table, folds: dict[str, str]) -> pa.Table:
    """``rows`` of one crawl table with ``folds`` applied (see the module docstring)."""
    columns, drop_by = FOLDED_COLUMNS[table_name]
    if not folds or rows.num_rows == 0:
        return rows
    keys = pa.array(list(folds), pa.string())
    values = pa.array(list(folds.values()), pa.string())
    if drop_by is not None:
        rows = rows.filter(pc.invert(pc.is_in(rows.column(drop_by), value_set=keys)))
    for name in columns:
        if name not in rows.column_names:
            continue
        column = rows.column(name)
        mapped = pc.take(values, pc.index_in(column, value_set=keys))
        rows = rows.set_column(rows.column_names.index(name), name, pc.coalesce(mapped, column))
    if table_name == "crawl/pages":
        folded = pc.take(values, pc.index_in(rows.column("url"), value_set=keys))
        rows = rows.set_column(rows.column_names.index("folded_into"), "folded_into", folded)
    return rows


__all__ = ["FOLDED_COLUMNS", "fold_table", "index_folds"]

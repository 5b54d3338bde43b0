"""Index folding: which index-file URLs fold into their directory, and how rows are rewritten."""

from __future__ import annotations

import pyarrow as pa

from linkcrawler.folding import fold_table, index_folds
from linkwarehouse.lake.schemas import CRAWL_LINKS, CRAWL_PAGES, CRAWL_REDIRECTS
from linkwarehouse.urls import UrlNormalizer

H = "http://h.com"
FOLD = UrlNormalizer(index_files=("index.html", "index.php"))


def pages(*rows: tuple[str, int | None, str | None, str | None]) -> pa.Table:
    return pa.table(
        {
            "url": [H + url for url, *_ in rows],
            "status": pa.array([status for _, status, _, _ in rows], pa.int32()),
            "content_hash": [digest for _, _, digest, _ in rows],
            "error": [error for *_, error in rows],
        }
    )


def test_folds_only_when_both_were_fetched_and_answered_the_same() -> None:
    crawl = pages(
        ("/docs/", 200, "aaa", None),
        ("/docs/index.html", 200, "aaa", None),  # same page: folded
        ("/shop/", 200, "bbb", None),
        ("/shop/index.php?x=1", 200, "bbb", None),  # its directory is /shop/?x=1, never fetched
        ("/more/", 200, "ccc", None),
        ("/more/index.htm", 404, "ddd", None),  # not a listed name, and a 404
        ("/news/", 200, "eee", None),
        ("/news/index.html", 200, "fff", None),  # different text: two pages
        ("/gone/", 404, "err", None),
        ("/gone/index.html", 404, "err", None),  # both 404: never merged
        ("/lone/index.html", 200, "ggg", None),  # directory not fetched
        ("/x/", None, None, "robots_disallowed"),
        ("/x/index.html", None, None, "robots_disallowed"),
        ("/r/", 301, None, None),
        ("/r/index.html", 301, None, None),
    )
    assert index_folds(crawl, FOLD) == {f"{H}/docs/index.html": f"{H}/docs/"}
    assert index_folds(crawl, UrlNormalizer()) == {}
    strip = UrlNormalizer(trailing_slash="strip", index_files=("index.html",))
    assert index_folds(pages(("/a", 200, "h", None), ("/a/index.html", 200, "h", None)), strip) == {
        f"{H}/a/index.html": f"{H}/a"
    }


FOLDS = {f"{H}/d/index.html": f"{H}/d/"}


def test_fold_rewrites_targets_keeps_raw_values_and_drops_the_index_pages_own_rows() -> None:
    links = pa.table(
        {
            "source_url": [f"{H}/", f"{H}/d/index.html", f"{H}/d/"],
            "target_url": [f"{H}/d/index.html", f"{H}/x", f"{H}/x"],
            "raw_href": ["/d/index.html", "/x", "/x"],
        }
    )
    assert fold_table(CRAWL_LINKS.name, links, FOLDS).to_pylist() == [
        {"source_url": f"{H}/", "target_url": f"{H}/d/", "raw_href": "/d/index.html"},
        {"source_url": f"{H}/d/", "target_url": f"{H}/x", "raw_href": "/x"},
    ]
    redirects = pa.table(
        {"url": [f"{H}/old"], "location": [f"{H}/d/index.html"], "raw_location": ["index.html"]}
    )
    assert fold_table(CRAWL_REDIRECTS.name, redirects, FOLDS).to_pylist() == [
        {"url": f"{H}/old", "location": f"{H}/d/", "raw_location": "index.html"}
    ]
    page_rows = [
        {"url": f"{H}/d/index.html", "canonical": f"{H}/d/index.html", "status": 200},
        {"url": f"{H}/d/", "canonical": f"{H}/d/index.html", "status": 200},
        {"url": f"{H}/old", "redirect_location": f"{H}/d/index.html", "status": 301},
    ]
    folded = fold_table(CRAWL_PAGES.name, pa.Table.from_pylist(page_rows, CRAWL_PAGES.schema), FOLDS)
    assert [
        (row["url"], row["canonical"], row["redirect_location"], row["folded_into"])
        for row in folded.to_pylist()
    ] == [
        (f"{H}/d/index.html", f"{H}/d/", None, f"{H}/d/"),
        (f"{H}/d/", f"{H}/d/", None, None),
        (f"{H}/old", None, f"{H}/d/", None),
    ]
    assert fold_table(CRAWL_LINKS.name, links, {}) is links

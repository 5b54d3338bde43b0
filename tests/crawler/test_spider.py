"""The site spider's callbacks on canned responses: rows, dedupe before Requests, redirects, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy import Request
from scrapy.exceptions import DontCloseSpider
from scrapy.http import HtmlResponse, Response, TextResponse
from twisted.python.failure import Failure

from linkcrawler.errors import RobotsDisallowed
from linkcrawler.items import PageItem, RedirectItem, SitemapItem
from linkcrawler.spiders.site import PageMeta, link_header

from .conftest import BASE, make_spider


def page_response(
    url: str, body: str, status: int = 200, depth: int = 0, hop: int = 0, **headers: str
) -> Response:
    request = Request(url, meta={"lw_page": PageMeta(url, depth, "link", hop), "download_latency": 0.0125})
    content_type = headers.pop("content_type", "text/html; charset=utf-8")
    all_headers = {"Content-Type": content_type, **{k.replace("_", "-"): v for k, v in headers.items()}}
    cls = HtmlResponse if "html" in content_type else TextResponse
    return cls(url, status=status, body=body.encode(), headers=all_headers, request=request)


def split(outputs: list) -> tuple[list[Request], list[PageItem], list[RedirectItem]]:
    return (
        [o for o in outputs if isinstance(o, Request)],
        [o for o in outputs if isinstance(o, PageItem)],
        [o for o in outputs if isinstance(o, RedirectItem)],
    )


LINKS = """
<a href="/a">a</a> <a href="/a#x">a again</a> <a href="/a?utm_source=mail">a tracked</a>
<a href="HTTP://EXAMPLE.COM/a">a shouting</a> <a href="/b" rel="nofollow">b</a> <a href="/">home</a>
<a href="https://other.org/">external</a> <a href="mailto:x@example.com">mail</a>
"""


def test_only_unseen_normalised_targets_become_requests(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    assert spider.frontier.admit(f"{BASE}/", 0, seed=True)
    requests, items, _ = split(list(spider.parse_page(page_response(f"{BASE}/", LINKS))))
    assert [r.url for r in requests] == [f"{BASE}/a", f"{BASE}/b"]
    assert [(r.meta["lw_page"], r.dont_filter) for r in requests] == [
        (PageMeta(f"{BASE}/a", 1, "link", 0), True),
        (PageMeta(f"{BASE}/b", 1, "link", 0), True),
    ]
    (item,) = items
    assert len(item.links) == 8
    assert {
        k: item.page[k] for k in ("url", "final_url", "status", "content_type", "response_ms", "depth_seen")
    } == {
        "url": f"{BASE}/",
        "final_url": f"{BASE}/",
        "status": 200,
        "content_type": "text/html; charset=utf-8",
        "response_ms": 12.5,
        "depth_seen": 0,
    }
    again, _, _ = split(
        list(spider.parse_page(page_response(f"{BASE}/c", LINKS + '<a href="/c2">c2</a>', depth=1)))
    )
    assert [r.url for r in again] == [f"{BASE}/c2"]


def test_nofollow_is_not_followed_when_configured(tmp_path: Path) -> None:
    spider = make_spider(tmp_path, follow_nofollow=False)
    requests, items, _ = split(list(spider.parse_page(page_response(f"{BASE}/", LINKS))))
    assert [r.url for r in requests] == [f"{BASE}/a", f"{BASE}/"]
    assert sum(link["nofollow"] for link in items[0].links) == 1


FOLLOW_LINKS = (
    '<a href="/plain">plain</a> <a href="/ad" rel="sponsored">ad</a> <a href="/nf" rel="nofollow">nf</a>'
)


@pytest.mark.parametrize(
    ("x_robots_tag", "links", "follow_nofollow", "nofollow", "requested"),
    [
        # Discovery follows unfollowed links by default; the rows still say they are unfollowed.
        ([], {}, True, [False, True, True], ["/plain", "/ad", "/nf"]),
        ([], {}, False, [False, True, True], ["/plain"]),
        ([], {"sponsored_ugc_as_nofollow": False}, False, [False, False, True], ["/plain", "/ad"]),
        # One header line scoped to another bot, the next unscoped: the page says nofollow.
        (["otherbot: noindex", "nofollow"], {}, False, [True, True, True], []),
        (["otherbot: noindex, nofollow"], {}, False, [False, True, True], ["/plain"]),
        (
            ["googlebot: nofollow"],
            {"sponsored_ugc_as_nofollow": False},
            True,
            [True, True, True],
            ["/plain", "/ad", "/nf"],
        ),
    ],
)
def test_x_robots_tag_lines_and_the_switch_reach_link_rows_and_discovery(
    tmp_path: Path,
    x_robots_tag: list[str],
    links: dict[str, object],
    follow_nofollow: bool,
    nofollow: list[bool],
    requested: list[str],
) -> None:
    spider = make_spider(tmp_path, links=links, follow_nofollow=follow_nofollow)
    spider.crawler.stats.open_spider()
    response = page_response(f"{BASE}/", FOLLOW_LINKS, X_Robots_Tag=x_robots_tag) if x_robots_tag else None
    requests, (item,), _ = split(list(spider.parse_page(response or page_response(f"{BASE}/", FOLLOW_LINKS))))
    assert [link["nofollow"] for link in item.links] == nofollow
    assert [r.url for r in requests] == [f"{BASE}{path}" for path in requested]
    header = "x_robots_tag" if all(nofollow) else None
    assert [link["nofollow_reason"] for link in item.links] == [
        [header] if header else [],
        ["rel_sponsored", header] if header else ["rel_sponsored"],
        ["rel_nofollow", header] if header else ["rel_nofollow"],
    ]
    assert spider.crawler.stats.get_value("linkwarehouse/pages/nofollow/x_robots_tag") == (
        1 if header else None
    )
    assert item.page["x_robots_tag"] == (", ".join(x_robots_tag).lower() or None)


@pytest.mark.parametrize(
    ("status", "content_type"),
    [(200, "application/json"), (404, "text/html"), (500, "text/html"), (204, "text/plain")],
)
def test_links_only_from_2xx_html(tmp_path: Path, status: int, content_type: str) -> None:
    spider = make_spider(tmp_path)
    outputs = list(
        spider.parse_page(page_response(f"{BASE}/x", LINKS, status=status, content_type=content_type))
    )
    requests, (item,), _ = split(outputs)
    assert requests == []
    assert item.links == []
    assert (item.page["status"], item.page["content_type"], item.page.get("title")) == (
        status,
        content_type,
        None,
    )


@pytest.mark.parametrize(
    ("header", "values"),
    [
        ("<https://e.com/c>; rel=canonical", [("https://e.com/c", {"rel": "canonical"})]),
        ('<https://e.com/c>; REL="Canonical"', [("https://e.com/c", {"rel": "Canonical"})]),
        (
            '</a>; rel="alternate"; hreflang=de-AT, </b>; rel=alternate;hreflang="x-default"',
            [
                ("/a", {"rel": "alternate", "hreflang": "de-AT"}),
                ("/b", {"rel": "alternate", "hreflang": "x-default"}),
            ],
        ),
        (
            '<https://e.com/p>; rel="preload next"; title="a, b"',
            [("https://e.com/p", {"rel": "preload next", "title": "a, b"})],
        ),
        ("no link here", []),
    ],
)
def test_link_header_values(header: str, values: list) -> None:
    assert link_header(Response("http://e.com/", headers={"Link": header})) == values


def test_http_link_header_canonical_and_hreflang(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    link = f'<{BASE}/doc?utm_source=x>; rel="canonical", </de/doc.pdf>; rel=alternate; hreflang=DE'
    pdf = page_response(f"{BASE}/doc.pdf", "%PDF-1.4", content_type="application/pdf", Link=link)
    (item,) = list(spider.parse_page(pdf))
    assert (item.page["canonical_header"], item.page["canonical"]) == (f"{BASE}/doc", f"{BASE}/doc")
    alternate = {"url": f"{BASE}/doc.pdf", "hreflang": "de", "alternate_url": f"{BASE}/de/doc.pdf"}
    assert item.hreflang == [alternate]
    tagged = '<link rel="canonical" href="/from-tag">'
    html = page_response(f"{BASE}/page", f"<html><head>{tagged}</head></html>", Link=link)
    (item,) = [o for o in spider.parse_page(html) if isinstance(o, PageItem)]
    assert (item.page["canonical_header"], item.page["canonical"]) == (f"{BASE}/doc", f"{BASE}/from-tag")


def test_redirect_is_a_row_a_hop_and_a_new_request(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    response = page_response(
        f"{BASE}/old/page", "", status=301, depth=2, hop=1, Location="../new?utm_source=r"
    )
    requests, (item,), (hop,) = split(list(spider.parse_page(response)))
    assert item.page["redirect_location"] == f"{BASE}/new"
    assert item.links == []
    assert hop.row == {
        "url": f"{BASE}/old/page",
        "hop": 2,
        "status": 301,
        "location": f"{BASE}/new",
        "raw_location": "../new?utm_source=r",
        "redirect_type": "http",
    }
    assert [r.meta["lw_page"] for r in requests] == [PageMeta(f"{BASE}/new", 3, "redirect", 2)]


def test_redirect_to_a_seen_url_ends_the_chain(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    spider.frontier.admit(f"{BASE}/loop", 1)
    response = page_response(f"{BASE}/loop", "", status=302, Location=f"{BASE}/loop")
    requests, _, (hop,) = split(list(spider.parse_page(response)))
    assert requests == []
    assert hop.row["location"] == f"{BASE}/loop"


def test_failed_request_is_a_page_row_with_the_error(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    request = Request(f"{BASE}/private/x", meta={"lw_page": PageMeta(f"{BASE}/private/x", 1, "link", 0)})
    failure = Failure(RobotsDisallowed(request.url))
    failure.request = request
    (item,) = list(spider.page_failed(failure))
    page = item.page
    assert (page["url"], page["final_url"], page.get("status"), page["error"], page["found_via"]) == (
        f"{BASE}/private/x",
        f"{BASE}/private/x",
        None,
        "robots_disallowed",
        "link",
    )


def test_depth_and_page_limits(tmp_path: Path) -> None:
    spider = make_spider(tmp_path, max_depth=1)
    requests, _, _ = split(list(spider.parse_page(page_response(f"{BASE}/deep", LINKS, depth=1))))
    assert requests == []
    assert spider.stop_reason == "max_depth"
    spider = make_spider(tmp_path, max_pages=2)
    spider.frontier.admit(f"{BASE}/", 0, seed=True)
    requests, _, _ = split(list(spider.parse_page(page_response(f"{BASE}/", LINKS))))
    assert [r.url for r in requests] == [f"{BASE}/a"]
    assert spider.stop_reason == "max_pages"


class FakeEngine:
    def __init__(self) -> None:
        self.crawled: list[Request] = []

    def crawl(self, request: Request) -> None:
        self.crawled.append(request)


def test_sitemap_urls_wait_for_idle(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    spider.crawler.engine = FakeEngine()
    spider.frontier.admit(f"{BASE}/linked", 1)
    body = f"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>{BASE}/linked</loc></url><url><loc>{BASE}/orphan?utm_campaign=x</loc><lastmod>2024-03-01</lastmod></url>
<url><loc>https://other.org/x</loc></url><url><loc>not a url</loc></url></urlset>"""
    url = f"{BASE}/sitemap.xml"
    response = TextResponse(
        url, body=body.encode(), request=Request(url, meta={"lw_sitemap": (url, 0, "robots", None, None)})
    )
    (item,) = list(spider.parse_sitemap(response))
    assert isinstance(item, SitemapItem)
    assert item.file == {
        "sitemap": url,
        "source": "robots",
        "parent": None,
        "lastmod": None,
        "status": 200,
        "bytes": len(body.encode()),
        "kind": "urlset",
        "entries": 4,
    }
    assert [(r["url"], r["raw_url"], r["lastmod"]) for r in item.rows] == [
        (f"{BASE}/linked", f"{BASE}/linked", None),
        (f"{BASE}/orphan", f"{BASE}/orphan?utm_campaign=x", "2024-03-01"),
        ("https://other.org/x", "https://other.org/x", None),
        (None, "not a url", None),
    ]
    assert spider.crawler.engine.crawled == []
    with pytest.raises(DontCloseSpider):
        spider.on_idle()
    assert [r.meta["lw_page"] for r in spider.crawler.engine.crawled] == [
        PageMeta(f"{BASE}/orphan", 0, "sitemap", 0),
    ]
    spider.on_idle()  # nothing pending any more: the spider may close


class CountingRemote:
    def __init__(self) -> None:
        self.done = 0

    def page_done(self, error: bool = False) -> None:
        self.done += 1


def test_a_failing_callback_still_reports_its_order_done(tmp_path: Path) -> None:
    """A worker whose callback raised must not leave the coordinator waiting for that page."""
    spider = make_spider(tmp_path)
    spider.remote = CountingRemote()

    def broken(response: Response):
        yield from ()
        raise RuntimeError("bug")

    spider._page_outputs = broken
    with pytest.raises(RuntimeError, match="bug"):
        list(spider.parse_page(page_response(f"{BASE}/", LINKS)))
    assert spider.remote.done == 1


def _variant_page(canonical: str, extra_head: str = "") -> str:
    return (
        f'<html><head><link rel="canonical" href="{canonical}">{extra_head}'
        '<link rel="alternate" hreflang="de" href="/de/p/"></head>'
        '<body><main><p>Shoe</p><a href="/q/?zenid=a1">q</a> <a href="/r/">r</a></main></body></html>'
    )


def test_page_naming_a_parameter_variant_as_canonical_is_recorded_not_expanded(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    url = f"{BASE}/p/?zenid=a1"
    assert spider.frontier.admit(url, 2)
    requests, (item,), _ = split(list(spider.parse_page(page_response(url, _variant_page("/p/"), depth=2))))
    # Only the canonical is offered (one level down, found via 'canonical'); no link is followed.
    assert [(r.url, r.meta["lw_page"]) for r in requests] == [
        (f"{BASE}/p/", PageMeta(f"{BASE}/p/", 3, "canonical", 0))
    ]
    assert (item.page["url"], item.page["canonical"], item.page["variant_of"]) == (
        url,
        f"{BASE}/p/",
        f"{BASE}/p/",
    )
    assert (item.page["title"], item.page["status"]) == (None, 200)
    assert (item.links, item.hreflang, item.text) == ([], [], None)
    assert spider.crawler.stats.get_value("linkwarehouse/variants/not_expanded") == 1
    # The canonical already known: nothing to request, still recorded as a variant.
    other = f"{BASE}/p/;jsessionid=ZZ"
    requests, (item,), _ = split(list(spider.parse_page(page_response(other, _variant_page(f"{BASE}/p/")))))
    assert (requests, item.page["variant_of"], item.links) == ([], f"{BASE}/p/", [])


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        (f"{BASE}/p/", "/p/"),  # self-canonical
        (f"{BASE}/p-blue/", "/p/"),  # another page: canonicalised, not a parameter variant
        (f"{BASE}/p/?zenid=a1", "/other/"),
        (f"{BASE}/p/?zenid=a1", "https://elsewhere.example/p/"),
    ],
)
def test_other_canonicals_are_expanded_as_before(tmp_path: Path, url: str, canonical: str) -> None:
    spider = make_spider(tmp_path)
    requests, (item,), _ = split(list(spider.parse_page(page_response(url, _variant_page(canonical)))))
    assert item.page.get("variant_of") is None
    assert len(item.links) == 2
    assert {r.meta["lw_page"].found_via for r in requests} == {"link"}


def test_link_header_canonical_makes_a_variant_too(tmp_path: Path) -> None:
    spider = make_spider(tmp_path)
    url = f"{BASE}/p/?sid=1&zenid=2"
    body = "<html><body><a href='/q/'>q</a></body></html>"
    response = page_response(url, body, link=f"<{BASE}/p/>; rel=canonical")
    requests, (item,), _ = split(list(spider.parse_page(response)))
    assert (item.page["variant_of"], item.links, [r.url for r in requests]) == (
        f"{BASE}/p/",
        [],
        [f"{BASE}/p/"],
    )


def test_expand_variants_switch_follows_their_links(tmp_path: Path) -> None:
    spider = make_spider(tmp_path, urls={"expand_variants": True})
    url = f"{BASE}/p/?zenid=a1"
    requests, (item,), _ = split(list(spider.parse_page(page_response(url, _variant_page("/p/")))))
    assert item.page.get("variant_of") is None
    assert [r.url for r in requests] == [f"{BASE}/q/?zenid=a1", f"{BASE}/r/"]

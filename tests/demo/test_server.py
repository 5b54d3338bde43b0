"""DemoSiteServer over real HTTP: statuses, headers, templating, robots, sitemaps, concurrency."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from lxml import etree

from linkwarehouse.demo import DemoSiteError, DemoSiteServer, Truth, WrittenSite


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, method=method)
    try:
        with _opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_pages_are_served_with_the_base_url_filled_in(server: DemoSiteServer) -> None:
    status, headers, body = fetch(server.base_url + "/")
    text = body.decode()
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert "{{BASE_URL}}" not in text
    assert f'<link rel="canonical" href="{server.base_url}/">' in text
    assert f'href="{server.base_url}/guides/"' in text
    assert int(headers["Content-Length"]) == len(body)


def test_redirects_and_errors(server: DemoSiteServer) -> None:
    status, headers, body = fetch(server.base_url + "/trail-running-guide/")
    assert (status, headers["Location"], body) == (301, server.base_url + "/guides/trail-running-2021/", b"")
    status, headers, _ = fetch(server.base_url + "/guides/trail-running-2021/")
    assert (status, headers["Location"]) == (302, "../trail-running/")
    assert (
        fetch(server.base_url + "/go/spring-offer-2/")[1]["Location"] == server.base_url + "/go/spring-offer/"
    )
    assert fetch(server.base_url + "/contact")[:2][0] == 301
    for path, expected in (
        ("/products/retired-gps-watch/", 410),
        ("/blog/old-shoe-review-2019/", 404),
        ("/nope/", 404),
    ):
        status, headers, body = fetch(server.base_url + path)
        assert status == expected and headers["Content-Type"].startswith("text/html")
        assert b"<a" not in body and str(expected).encode() in body


def test_robots_and_sitemaps(server: DemoSiteServer, truth_v1: Truth) -> None:
    status, headers, body = fetch(server.base_url + "/robots.txt")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert f"Sitemap: {server.base_url}/sitemap_index.xml" in body.decode()
    assert "Disallow: /cart/" in body.decode()
    ns = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    index = etree.fromstring(fetch(server.base_url + "/sitemap_index.xml")[2])
    children = index.xpath("//sm:loc/text()", namespaces=ns)
    assert len(children) == 4 and all(child.startswith(server.base_url + "/sitemaps/") for child in children)
    listed = set()
    for child in children:
        status, headers, body = fetch(child)
        assert status == 200 and headers["Content-Type"] == "application/xml"
        listed |= {
            loc.removeprefix(server.base_url)
            for loc in etree.fromstring(body).xpath("//sm:loc/text()", namespaces=ns)
        }
    assert listed == {path for path, row in truth_v1.urls.items() if row.in_sitemap}


def test_head_query_strings_and_path_normalisation(server: DemoSiteServer) -> None:
    status, headers, body = fetch(server.base_url + "/about/", method="HEAD")
    full = fetch(server.base_url + "/about/")[2]
    assert status == 200 and body == b"" and int(headers["Content-Length"]) == len(full)
    assert fetch(server.base_url + "/about/?utm_source=x")[2] == full
    assert fetch(server.base_url + "/blog/caf%c3%a9-ride-etiquette/")[0] == 200
    assert fetch(server.base_url + "/blog/caf%C3%A9-ride-etiquette/")[0] == 200
    assert fetch(server.base_url + "/cart/")[0] == 200  # robots.txt only asks crawlers to stay away
    pdf = fetch(server.base_url + "/downloads/marathon-plan.pdf")
    assert pdf[1]["Content-Type"] == "application/pdf" and pdf[2].startswith(b"%PDF")


def test_keep_alive_connection(server: DemoSiteServer) -> None:
    host, port = server.base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        for path in ("/", "/blog/", "/nope/", "/trail-running-guide/", "/robots.txt"):
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            assert response.version == 11 and not response.will_close
    finally:
        connection.close()


def test_fifty_parallel_requests(server: DemoSiteServer, truth_v1: Truth) -> None:
    paths = [path for path, row in truth_v1.urls.items() if row.status == 200][:50]
    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(lambda path: fetch(server.base_url + path), paths))
    assert [status for status, _, _ in results] == [200] * 50
    assert all(b"{{BASE_URL}}" not in body for _, _, body in results)
    assert server.errors == []


def test_sixteen_keep_alive_clients(server: DemoSiteServer, truth_v1: Truth) -> None:
    host, port = server.base_url.removeprefix("http://").split(":")
    paths = [path for path, row in truth_v1.urls.items() if row.status == 200][:320]

    def crawl(chunk: list[str]) -> list[int]:
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        statuses = []
        try:
            for path in chunk:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                statuses.append(response.status)
        finally:
            connection.close()
        return statuses

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(crawl, [paths[i::16] for i in range(16)]))
    assert [status for statuses in results for status in statuses] == [200] * 320


def test_hits_are_counted(written_v1: WrittenSite) -> None:
    with DemoSiteServer(written_v1.path) as fresh:
        fetch(fresh.base_url + "/about/")
        fetch(fresh.base_url + "/about/")
        fetch(fresh.base_url + "/nope/")
        assert fresh.hits() == {"/about/": 2, "/nope/": 1}
        fresh.reset_hits()
        assert fresh.hits() == {}


def test_restart_on_the_same_port_from_a_written_site(written_v1: WrittenSite) -> None:
    first = DemoSiteServer(written_v1)  # a WrittenSite is path-like
    with first:
        port = first.port
        assert port != 0 and first.base_url == f"http://127.0.0.1:{port}"
    with DemoSiteServer(written_v1, port=port) as second:
        assert second.base_url == f"http://127.0.0.1:{port}"
        assert fetch(second.base_url + "/robots.txt")[0] == 200


def test_lifecycle(written_v1: WrittenSite) -> None:
    server = DemoSiteServer(written_v1.path)
    with pytest.raises(RuntimeError, match="not started"):
        _ = server.base_url
    server.stop()  # before start: harmless
    server.start()
    url = server.base_url
    assert fetch(url + "/")[0] == 200
    host, port = url.removeprefix("http://").split(":")
    kept_alive = http.client.HTTPConnection(host, int(port), timeout=5)
    kept_alive.request("GET", "/about/")
    kept_alive.getresponse().read()
    server.stop()
    server.stop()
    with pytest.raises((http.client.HTTPException, OSError)):  # the open connection was closed too
        kept_alive.request("GET", "/about/")
        kept_alive.getresponse()
    kept_alive.close()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + "/", timeout=2)
    assert server._thread is None


def test_missing_site_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(DemoSiteError, match=r"nowhere/routes\.json: not found"):
        DemoSiteServer(tmp_path / "nowhere")

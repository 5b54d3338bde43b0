"""write_site: layout, routes, manifest, idempotence and safety."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linkwarehouse.demo import DemoSiteError, Site, Truth, WrittenSite, load_truth, read_manifest, write_site
from linkwarehouse.demo.writer import body_file


def test_layout_and_routes(written_v1: WrittenSite, site_v1: Site) -> None:
    root = written_v1.path
    assert {path.name for path in root.iterdir()} == {"manifest.json", "routes.json", "truth.json", "pages"}
    routes = json.loads((root / "routes.json").read_text())
    assert set(site_v1.pages) < set(routes)
    extra = set(routes) - set(site_v1.pages)
    assert extra == {
        "/robots.txt",
        "/sitemap_index.xml",
        "/sitemaps/de.xml",
        "/sitemaps/pages.xml",
        "/sitemaps/posts.xml",
        "/sitemaps/products.xml",
        "/static/site.css",
        "/static/placeholder.svg",
        "/static/routes-map.svg",
    }
    for path, route in routes.items():
        if route["body"] is not None:
            assert (root / route["body"]).is_file(), path
    assert routes["/"] == {
        "status": 200,
        "headers": {"Content-Type": "text/html; charset=utf-8"},
        "body": "pages/index.html",
    }
    assert routes["/trail-running-guide/"] == {
        "status": 301,
        "headers": {"Location": "{{BASE_URL}}/guides/trail-running-2021/"},
        "body": None,
    }
    assert routes["/products/retired-gps-watch/"]["body"] == "pages/_errors/410.html"
    assert routes["/guides/marathon-training/printable/"]["headers"]["X-Robots-Tag"] == "noindex"
    assert routes["/downloads/marathon-plan.pdf"]["headers"] == {"Content-Type": "application/pdf"}


def test_body_file_mapping() -> None:
    assert body_file("/") == "pages/index.html"
    assert body_file("/blog/x/") == "pages/blog/x/index.html"
    assert body_file("/robots.txt") == "pages/robots.txt"


def test_manifest_and_truth_file(written_v1: WrittenSite, truth_v1: Truth) -> None:
    manifest = read_manifest(written_v1.path)
    assert manifest == written_v1.manifest
    assert manifest is not None
    assert (manifest["version"], manifest["seed"], manifest["truth_urls"]) == (
        1,
        truth_v1.seed,
        len(truth_v1.urls),
    )
    assert manifest["orphans"] == 20 and manifest["sitemap_urls"] == sum(
        r.in_sitemap for r in truth_v1.urls.values()
    )
    loaded = load_truth(written_v1.truth_path)
    assert loaded.urls == truth_v1.urls and loaded.followed_edges == truth_v1.followed_edges


def test_rewrite_is_skipped_when_up_to_date(tmp_path: Path) -> None:
    first = write_site(tmp_path / "site")
    stamp = (first.path / "routes.json").stat().st_mtime_ns
    again = write_site(tmp_path / "site")
    assert first.written and not again.written and again.manifest == first.manifest
    assert (again.path / "routes.json").stat().st_mtime_ns == stamp
    other_version = write_site(tmp_path / "site", version=2)
    assert other_version.written and read_manifest(tmp_path / "site")["version"] == 2  # type: ignore[index]
    assert load_truth(other_version.truth_path).version == 2
    assert [p.name for p in tmp_path.iterdir()] == ["site"]  # no staging or retired folders left


def test_refuses_to_replace_a_foreign_folder(tmp_path: Path) -> None:
    foreign = tmp_path / "important"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(DemoSiteError, match="important: exists and is not a demo site folder"):
        write_site(foreign)
    assert (foreign / "notes.txt").read_text() == "keep me"

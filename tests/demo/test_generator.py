"""The generator: deterministic, the right size and shape, realistic variety."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from linkwarehouse.demo import DEFAULT_SEED, Site, WrittenSite, build_site, write_site
from linkwarehouse.demo.render import render_page
from linkwarehouse.urls import HrefKind


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()
    }


def test_same_seed_writes_identical_bytes(written_v1: WrittenSite, tmp_path: Path) -> None:
    again = write_site(tmp_path / "again", version=1, seed=DEFAULT_SEED)
    first, second = _tree(written_v1.path), _tree(again.path)
    assert len(first) > 1900
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []


def test_another_seed_gives_another_site(site_v1: Site) -> None:
    other = build_site(seed=7)
    assert set(other.pages) != set(site_v1.pages)
    assert other.planted.sitemap_only_orphans != site_v1.planted.sitemap_only_orphans


def test_unknown_version_is_refused() -> None:
    with pytest.raises(ValueError, match="version must be one of"):
        build_site(version=3)


def test_build_and_render_are_fast() -> None:
    started = time.process_time()
    site = build_site(seed=11)
    for page in site.pages.values():
        if page.is_html_ok:
            render_page(page)
    # About 1 s of CPU on the 2-core dev box; the bound only catches accidental quadratic work.
    assert time.process_time() - started < 5


def test_size_and_sections(site_v1: Site) -> None:
    kinds = Counter(page.kind for page in site_v1.pages.values())
    html_pages = sum(1 for page in site_v1.pages.values() if page.is_html_ok)
    assert 1800 <= html_pages <= 2200
    assert kinds["post"] >= 1200
    assert kinds["listing"] == 110  # /blog/ + /blog/page/2/ .. /blog/page/110/
    assert kinds["category"] == 8
    assert kinds["pillar"] == 12
    assert kinds["spoke"] == 84
    assert kinds["product"] == 305  # 304 products + 1 canonicalised colour variant
    assert {"/", "/about/", "/contact/", "/privacy/", "/blog/", "/guides/", "/products/"} <= set(
        site_v1.pages
    )
    assert "/blog/page/110/" in site_v1.pages and "/blog/page/111/" not in site_v1.pages


def test_every_english_page_has_the_template_positions(site_v1: Site) -> None:
    for page in site_v1.pages.values():
        if page.is_html_ok and page.lang == "en":
            positions = {occ.position for occ in page.occurrences()}
            assert positions == {"nav", "header", "footer", "aside", "content"}, page.path


def test_links_vary_like_a_real_site(site_v1: Site) -> None:
    occurrences = list(site_v1.occurrences())
    content = [occ for occ in occurrences if occ.position == "content" and occ.link.is_internal]
    hrefs = [occ.link.href for occ in content]
    assert len({occ.link.anchor_text for occ in content}) > 1500
    assert any(href.startswith("{{BASE_URL}}/") for href in hrefs)
    assert any(href.startswith("../") for href in hrefs)
    assert any("utm_source=" in href for href in hrefs)
    assert any("#" in href for href in hrefs)
    assert any("sessionid=" in href for href in hrefs)
    kinds = Counter(occ.link.kind for occ in occurrences)
    assert kinds["img"] > 1000 and kinds["area"] == 3
    image_links = [occ.link for occ in occurrences if occ.link.img]
    assert any(link.img_alt is None for link in image_links)
    assert any(link.img_alt for link in image_links)
    assert any(link.img and link.text.strip() for link in image_links)  # image plus text: kind "a"
    href_kinds = Counter(occ.link.href_kind for occ in occurrences)
    for kind in (HrefKind.JAVASCRIPT, HrefKind.MAILTO, HrefKind.TEL, HrefKind.FRAGMENT, HrefKind.EMPTY):
        assert href_kinds[kind] > 0, kind
    external = [
        occ for occ in occurrences if occ.link.href_kind == HrefKind.HTTP and not occ.link.is_internal
    ]
    assert external and all("example." in occ.link.href for occ in external)
    assert any(occ.link.markup == "spaced" for occ in content) and any(
        occ.link.markup == "nested" for occ in content
    )


def test_pagination_links(site_v1: Site) -> None:
    page = site_v1.pages["/blog/page/5/"]
    pagination = [(occ.link.target, occ.link.anchor_text, occ.link.rel) for occ in page.occurrences()]
    pagination = [
        item for item in pagination if item[0] and item[0].startswith("/blog/") and "page" in item[0]
    ]
    assert pagination == [
        ("/blog/page/4/", "« Previous", ("prev",)),
        ("/blog/page/3/", "3", ()),
        ("/blog/page/4/", "4", ()),
        ("/blog/page/6/", "6", ()),
        ("/blog/page/7/", "7", ()),
        ("/blog/page/110/", "110", ()),
        ("/blog/page/6/", "Next »", ("next",)),
    ]
    first_page_links = [occ.link for occ in page.occurrences() if occ.link.anchor_text == "1"]
    assert [link.target for link in first_page_links] == ["/blog/"]
    assert page.head_links == [("prev", "/blog/page/4/"), ("next", "/blog/page/6/")]
    assert site_v1.pages["/blog/page/5/"].sitemap is None and site_v1.pages["/blog/"].sitemap == "pages"

"""Each planted problem exists and is visible in the truth exactly as designed."""

from __future__ import annotations

import re
from collections import Counter

from linkwarehouse.demo import Site, Truth, compute_truth
from linkwarehouse.demo.render import render_robots, render_sitemap_index
from linkwarehouse.demo.truth import site_nofollow_reasons


def test_sitemap_only_orphans(site_v1: Site, truth_v1: Truth) -> None:
    orphans = site_v1.planted.sitemap_only_orphans
    assert len(orphans) == 12
    for path in orphans:
        row = truth_v1.urls[path]
        assert (row.status, row.indexable, row.in_sitemap) == (200, True, True), path
        assert (row.unique_inlinks, row.total_inlinks, row.click_depth) == (0, 0, None), path
        assert row.is_orphan and row.orphan_evidence == ["sitemap"], path


def test_the_orphan_set_is_exactly_the_planted_one(site_v1: Site, truth_v1: Truth) -> None:
    planted = site_v1.planted
    expected = {*planted.sitemap_only_orphans, planted.nofollow_only, planted.linked_only_from_orphan}
    expected |= {
        target for case, (_, target) in planted.follow_cases.items() if case != "x_robots_tag_otherbot"
    }
    assert truth_v1.orphans() == expected
    assert len(expected) == 20


def test_page_reached_only_through_nofollow(site_v1: Site, truth_v1: Truth) -> None:
    row = truth_v1.urls[site_v1.planted.nofollow_only]
    assert row.path == "/newsletter/"
    assert row.status == 200 and row.indexable and not row.in_sitemap
    assert row.total_inlinks == row.nofollow_inlinks == row.inlinks_footer > 1800
    assert row.click_depth is None and row.is_orphan and row.orphan_evidence == ["unfollowed_link"]


def test_page_linked_only_from_an_orphan(site_v1: Site, truth_v1: Truth) -> None:
    row = truth_v1.urls[site_v1.planted.linked_only_from_orphan]
    assert (row.unique_inlinks, row.nofollow_inlinks, row.click_depth) == (1, 0, None)
    assert row.is_orphan and row.orphan_evidence == ["unfollowed_link"]


def test_unreachable_noindex_page_is_not_an_orphan(site_v1: Site, truth_v1: Truth) -> None:
    row = truth_v1.urls[site_v1.planted.unreachable_noindex]
    assert row.in_sitemap and row.click_depth is None and row.meta_robots == "noindex"
    assert not row.indexable and not row.is_orphan


def test_broken_internal_links(site_v1: Site, truth_v1: Truth) -> None:
    broken = site_v1.planted.broken
    assert sorted(broken.values()) == [404, 404, 404, 410]
    for path, status in broken.items():
        row = truth_v1.urls[path]
        assert row.status == status and not row.indexable and not row.in_sitemap and not row.is_orphan
        assert row.total_inlinks == 2 and row.inlinks_content == 2
        assert row.click_depth is not None and row.title is None


def test_redirect_chain(site_v1: Site, truth_v1: Truth) -> None:
    first, second, final = site_v1.planted.redirect_chain
    rows = [truth_v1.urls[path] for path in (first, second, final)]
    assert [row.status for row in rows] == [301, 302, 200]
    assert [row.redirect_location for row in rows] == [second, final, None]
    assert rows[0].total_inlinks == 3 and rows[1].total_inlinks == 0
    assert rows[1].click_depth == rows[0].click_depth + 1
    assert (first, second) in truth_v1.followed_edges and (second, final) in truth_v1.followed_edges
    assert site_v1.pages[second].location == "../trail-running/"  # relative Location
    assert site_v1.pages[first].location == "{{BASE_URL}}" + second
    assert not any(row.in_sitemap or row.indexable for row in rows[:2])


def test_redirect_loop_and_slash_redirect(site_v1: Site, truth_v1: Truth) -> None:
    a, b = site_v1.planted.redirect_loop
    assert (truth_v1.urls[a].status, truth_v1.urls[a].redirect_location) == (302, b)
    assert (truth_v1.urls[b].status, truth_v1.urls[b].redirect_location) == (302, a)
    assert truth_v1.urls[b].click_depth == truth_v1.urls[a].click_depth + 1 == 2
    assert truth_v1.urls[b].unique_inlinks == 0 and truth_v1.urls[a].unique_inlinks == 2
    source, target = site_v1.planted.slash_redirect
    assert (source, target) == ("/contact", "/contact/")
    assert (truth_v1.urls[source].status, truth_v1.urls[source].redirect_location) == (301, target)


def test_nofollow_sponsored_and_ugc_links(site_v1: Site, truth_v1: Truth) -> None:
    internal = [occ for occ in site_v1.occurrences() if occ.link.is_internal]
    rels = Counter(token for occ in internal for token in occ.link.rel)
    assert rels["nofollow"] > 1800 and rels["ugc"] > 50 and rels["sponsored"] == 5
    assert any(occ.link.rel_raw == "UGC NoFollow" for occ in internal)
    assert any(occ.link.rel_raw == "NOFOLLOW" and occ.position == "content" for occ in internal)
    edges = set(truth_v1.followed_edges)
    for source, target in site_v1.planted.internal_sponsored:
        assert (source, target) not in edges  # rel=sponsored alone is not followed (Google)
    nofollow_content = [occ for occ in internal if "nofollow" in occ.link.rel and occ.position == "content"]
    assert len(nofollow_content) > 100


def test_deep_linear_series(site_v1: Site, truth_v1: Truth) -> None:
    weeks = site_v1.planted.deep_series
    depths = [truth_v1.urls[path].click_depth for path in weeks]
    assert depths == list(range(2, 14))  # marathon pillar is at depth 1 (home "Featured guides")
    assert truth_v1.urls["/guides/marathon-training/"].click_depth == 1
    assert sum(1 for row in truth_v1.urls.values() if (row.click_depth or 0) >= 7) > 100
    pdf = truth_v1.urls[site_v1.planted.non_html]
    assert (pdf.status, pdf.content_type, pdf.indexable, pdf.click_depth) == (
        200,
        "application/pdf",
        False,
        14,
    )


def test_exact_match_anchor_dominates_one_target(site_v1: Site, truth_v1: Truth) -> None:
    target = site_v1.planted.exact_match_target
    anchors = Counter(
        occ.link.anchor_text
        for occ in site_v1.occurrences()
        if occ.link.target == target and occ.source != target
    )
    total = sum(anchors.values())
    assert (anchors[site_v1.planted.exact_match_anchor], total) == (34, 38)
    assert anchors[site_v1.planted.exact_match_anchor] / total >= 0.8
    assert truth_v1.urls[target].total_inlinks == 38 and truth_v1.urls[target].unique_inlinks == 38


def test_page_with_hundreds_of_links(site_v1: Site, truth_v1: Truth) -> None:
    page = site_v1.pages[site_v1.planted.link_heavy_page]
    content = [occ for occ in page.occurrences() if occ.position == "content"]
    assert len(content) == 1 + 8 + 12 + 84 + 304  # skip link + categories, guides, products
    assert len(page.occurrences()) > 400
    assert truth_v1.urls[page.path].click_depth == 1


def test_german_section_with_reciprocal_hreflang(site_v1: Site, truth_v1: Truth) -> None:
    german = site_v1.planted.german_section
    assert 30 <= len(german) <= 60
    assert all(path.startswith("/de/") and truth_v1.urls[path].lang == "de" for path in german)
    with_alternates = [path for path in german if truth_v1.urls[path].hreflang]
    assert len(with_alternates) == 43
    for path in with_alternates:
        alternates = truth_v1.urls[path].hreflang
        assert alternates is not None and alternates["de"] == path
        english = truth_v1.urls[alternates["en"]]
        assert english.lang == "en" and english.hreflang == alternates
    occurrences = {(occ.source, occ.link.target, occ.position) for occ in site_v1.occurrences()}
    pairs = site_v1.planted.cross_language_links
    assert len(pairs) == 5
    for source, target in pairs:
        assert (source, target, "content") in occurrences
        assert site_v1.pages[source].lang != site_v1.pages[target].lang


def test_canonicalised_duplicate(site_v1: Site, truth_v1: Truth) -> None:
    ((duplicate, canonical),) = site_v1.planted.canonicalised.items()
    row = truth_v1.urls[duplicate]
    assert (row.status, row.canonical, row.indexable, row.in_sitemap) == (200, canonical, False, False)
    assert row.click_depth is not None and not row.is_orphan
    assert truth_v1.urls[canonical].indexable and truth_v1.urls[canonical].canonical == canonical


def test_noindex_pages(site_v1: Site, truth_v1: Truth) -> None:
    meta = truth_v1.urls[site_v1.planted.noindex_meta]
    assert (meta.meta_robots, meta.indexable, meta.status) == ("noindex, follow", False, 200)
    header = truth_v1.urls[site_v1.planted.noindex_header]
    assert (header.x_robots_tag, header.meta_robots, header.indexable) == ("noindex", None, False)
    assert meta.click_depth is not None and header.click_depth is not None
    assert not meta.is_orphan and not header.is_orphan


def test_robots_disallowed_path_is_linked_but_not_fetched(site_v1: Site, truth_v1: Truth) -> None:
    row = truth_v1.urls[site_v1.planted.robots_disallowed]
    assert (row.status, row.error, row.content_type, row.title) == (None, "robots_disallowed", None, None)
    assert row.total_inlinks == row.nofollow_inlinks == row.inlinks_header > 1800
    assert row.click_depth is None and not row.is_orphan and not row.indexable
    robots = render_robots(site_v1).decode()
    assert "User-agent: *\nDisallow: /cart/\n" in robots
    assert "Sitemap: {{BASE_URL}}/sitemap_index.xml" in robots


def test_sitemap_index_and_membership(site_v1: Site, truth_v1: Truth) -> None:
    index = render_sitemap_index(site_v1).decode()
    assert index.count("<sitemap>") == 4
    assert sorted(site_v1.sitemaps()) == ["de", "pages", "posts", "products"]
    rows = truth_v1.urls.values()
    assert not any(row.in_sitemap for row in rows if row.path.startswith("/blog/page/"))
    assert not any(row.in_sitemap for row in rows if row.status != 200)
    ok = [row for row in rows if row.status == 200 and row.indexable]
    assert sum(row.in_sitemap for row in ok) / len(ok) > 0.9


def test_percent_encoded_slug_spelled_three_ways(site_v1: Site, truth_v1: Truth) -> None:
    path = site_v1.planted.percent_encoded
    hrefs = sorted(
        occ.link.href for occ in site_v1.occurrences() if occ.link.target == path and occ.source != path
    )
    assert hrefs == [
        "/blog/caf%c3%a9-ride-etiquette/",
        "/blog/café-ride-etiquette/",
        "{{BASE_URL}}/blog/caf%C3%A9-ride-etiquette/",
    ]
    assert (truth_v1.urls[path].unique_inlinks, truth_v1.urls[path].total_inlinks) == (3, 3)


# case: (nofollow_reason of the planted link, target's click depth, is_orphan, orphan_evidence,
#        target's unique_inlinks, nofollow_inlinks) - written out from the case's design.
FOLLOW_CASES = {
    "meta_robots": (["meta_robots"], None, True, ["unfollowed_link"], 1, 1),
    "meta_googlebot": (["meta_robots"], None, True, ["unfollowed_link"], 1, 1),
    "x_robots_tag": (["x_robots_tag"], None, True, ["unfollowed_link"], 1, 1),
    "x_robots_tag_googlebot": (["x_robots_tag"], None, True, ["unfollowed_link"], 1, 1),
    "x_robots_tag_otherbot": ([], 3, False, [], 1, 0),
    "rel_sponsored": (["rel_sponsored"], None, True, ["unfollowed_link"], 1, 1),
    "rel_ugc": (["rel_ugc"], None, True, ["unfollowed_link"], 1, 1),
}


def test_follow_semantics_cases(site_v1: Site, truth_v1: Truth) -> None:
    """Each page-level and rel case: the link's reasons, and what they do to its only target."""
    cases = site_v1.planted.follow_cases
    reasons = site_nofollow_reasons(site_v1)
    got = {}
    for case, (source, target) in cases.items():
        (ordinal,) = [occ.ordinal for occ in site_v1.pages[source].occurrences() if occ.link.target == target]
        row = truth_v1.urls[target]
        got[case] = (
            reasons[source, ordinal],
            row.click_depth,
            row.is_orphan,
            row.orphan_evidence,
            row.unique_inlinks,
            row.nofollow_inlinks,
        )
    assert got == FOLLOW_CASES
    hubs = {
        case: site_v1.pages[source] for case, (source, _) in cases.items() if case.startswith(("meta", "x_"))
    }
    assert (hubs["meta_robots"].meta_robots, hubs["meta_googlebot"].meta_googlebot) == (
        "nofollow",
        "nofollow",
    )
    assert [
        hubs[case].x_robots_tag
        for case in ("x_robots_tag", "x_robots_tag_googlebot", "x_robots_tag_otherbot")
    ] == [
        "nofollow",
        "googlebot: nofollow",
        "otherbot: nofollow",
    ]
    # A page-level nofollow covers every link of the page, template links included.
    page_reason = {"meta_robots": "meta_robots", "meta_googlebot": "meta_robots"}
    for case, hub in hubs.items():
        expected = page_reason.get(case, "x_robots_tag" if case != "x_robots_tag_otherbot" else None)
        page_level = {
            tuple(r for r in reasons[hub.path, occ.ordinal] if r in ("meta_robots", "x_robots_tag"))
            for occ in hub.occurrences()
        }
        assert page_level == {(expected,) if expected else ()}, case
        assert (truth_v1.urls[hub.path].click_depth, truth_v1.urls[hub.path].indexable) == (2, True)


def test_sponsored_and_ugc_switch(site_v1: Site, truth_v1: Truth) -> None:
    """With links.sponsored_ugc_as_nofollow off, only the rel=sponsored / rel=ugc cases change."""
    relaxed = compute_truth(site_v1, sponsored_ugc_as_nofollow=False)
    cases = site_v1.planted.follow_cases
    for case in ("rel_sponsored", "rel_ugc"):
        source, target = cases[case]
        row = relaxed.urls[target]
        assert (row.click_depth, row.is_orphan, row.nofollow_inlinks) == (
            relaxed.urls[source].click_depth + 1,
            False,
            0,
        )
    assert truth_v1.orphans() - relaxed.orphans() == {cases["rel_sponsored"][1], cases["rel_ugc"][1]}
    assert relaxed.orphans() <= truth_v1.orphans()
    # Links with rel="ugc nofollow" stay unfollowed: nofollow counts whatever the switch says.
    assert sum(row.nofollow_inlinks for row in relaxed.urls.values()) == sum(
        row.nofollow_inlinks for row in truth_v1.urls.values()
    ) - 2 - len(site_v1.planted.internal_sponsored)


def test_session_id_variants(site_v1: Site, truth_v1: Truth) -> None:
    """One product reached through session ids: the stripped ones are its own URL, the unknown
    osCsid ones six variants recorded once each, never expanded, never orphans."""
    planted = site_v1.planted
    product = planted.session_product
    suffixes = [href.removeprefix(product) for href in planted.session_hrefs]
    assert suffixes == [
        ";jsessionid=8A3F0C1D2E4B5A69C7D8E9F0A1B2C3D4",
        "?PHPSESSID=5e1c0b9a7d2f4e6b8a3c1d0e9f7b5a2c",
        "?sid=b7c41e09",
        "?ASPSESSIONIDQACSTBSA=KHNPLMEAFJGDKBFLAOPDECMN",
        "?CFID=1207&CFTOKEN=74a3b1c9",
    ]
    by_href = {occ.link.href: occ for occ in site_v1.occurrences() if occ.link.href in planted.session_hrefs}
    assert {occ.link.target for occ in by_href.values()} == {product}
    assert {occ.source for occ in by_href.values()} <= {
        source for source, row in truth_v1.urls.items() if row.variant_of is None and row.status == 200
    }
    stripped = re.compile(r"[?&;](jsessionid|phpsessid|sid|aspsessionid[a-z]*|cfid|cftoken)=", re.IGNORECASE)
    assert not [path for path in truth_v1.urls if stripped.search(path)]
    # The unknown key: two variants (product, shop) per linking post, one value per post.
    values = ("3f9a0c2e71b4d85a", "c04d1e7b92a6f358", "81e5b7a3d0c94f26")
    expected = sorted(f"{page}?osCsid={value}" for page in (product, "/products/") for value in values)
    assert list(planted.session_variants) == expected
    assert sorted(path for path, row in truth_v1.urls.items() if "?" in path) == expected
    sources_of = {occ.link.target: occ.source for occ in site_v1.occurrences() if occ.link.target in expected}
    assert len(set(sources_of.values())) == 3
    for path in expected:
        row = truth_v1.urls[path]
        page = path.split("?")[0]
        assert (row.status, row.canonical, row.variant_of, row.indexable) == (200, page, page, False), path
        assert (row.title, row.h1) == (truth_v1.urls[page].title, truth_v1.urls[page].h1), path
        assert (row.unique_inlinks, row.total_inlinks, row.inlinks_content, row.in_sitemap) == (
            1,
            1,
            1,
            False,
        )
        assert row.click_depth == truth_v1.urls[sources_of[path]].click_depth + 1, path
        assert not row.is_orphan and row.hreflang is None, path
        # Not expanded: its one edge leads to its canonical (a level, like a redirect).
        assert [edge for edge in truth_v1.followed_edges if edge[0] == path] == [(path, page)], path
    assert planted.volatile_params == ("oscsid",)
    assert truth_v1.urls[product].indexable and truth_v1.urls[product].variant_of is None

"""Version 2: exactly the chosen pages become orphans, exactly one orphan is resolved."""

from __future__ import annotations

from linkwarehouse.demo import Site, Truth, build_site, compute_truth, orphan_delta


def test_orphan_delta_is_exactly_the_planted_change(
    site_v1: Site, truth_v1: Truth, site_truth_v2: tuple[Site, Truth]
) -> None:
    site_v2, truth_v2 = site_truth_v2
    delta = orphan_delta(truth_v1, truth_v2)
    assert delta.new_orphans == set(site_v1.planted.v2_lost_inlinks)
    assert delta.resolved == set(site_v1.planted.v2_resolved)
    assert 3 <= len(delta.new_orphans) <= 6
    assert site_v2.planted == site_v1.planted and site_v2.version == 2 and truth_v2.version == 2


def test_new_orphans_lost_every_inlink_but_stay_in_the_sitemap(
    truth_v1: Truth, site_truth_v2: tuple[Site, Truth]
) -> None:
    site_v2, truth_v2 = site_truth_v2
    kinds = set()
    for path in site_v2.planted.v2_lost_inlinks:
        before, after = truth_v1.urls[path], truth_v2.urls[path]
        assert before.total_inlinks > 0 and before.click_depth is not None and not before.is_orphan
        assert (after.total_inlinks, after.click_depth, after.in_sitemap) == (0, None, True)
        assert after.orphan_evidence == ["previous_crawl", "sitemap"]
        kinds.add(site_v2.pages[path].kind)
    assert kinds == {"post", "product", "spoke", "de_post"}


def test_resolved_orphan_is_linked_from_home(site_truth_v2: tuple[Site, Truth]) -> None:
    site_v2, truth_v2 = site_truth_v2
    (path,) = site_v2.planted.v2_resolved
    row = truth_v2.urls[path]
    assert (row.unique_inlinks, row.click_depth, row.is_orphan) == (1, 1, False)
    assert any(occ.link.target == path for occ in site_v2.pages["/"].occurrences())


def test_nothing_else_changes_orphan_status(truth_v1: Truth, site_truth_v2: tuple[Site, Truth]) -> None:
    site_v2, truth_v2 = site_truth_v2
    assert set(truth_v1.urls) == set(truth_v2.urls)
    changed = {
        path for path in truth_v1.urls if truth_v1.urls[path].is_orphan != truth_v2.urls[path].is_orphan
    }
    assert changed == {*site_v2.planted.v2_lost_inlinks, *site_v2.planted.v2_resolved}
    # Inlink counts change only for the edited pages; depths of others may shift (the resolved
    # orphan now links onwards from depth 1, and paths through unlinked pages are gone).
    inlinks_changed = {
        path
        for path in truth_v1.urls
        if (truth_v1.urls[path].unique_inlinks, truth_v1.urls[path].total_inlinks)
        != (truth_v2.urls[path].unique_inlinks, truth_v2.urls[path].total_inlinks)
    }
    assert inlinks_changed == changed


def test_the_unlinked_text_stays_in_paragraphs(site_v1: Site, site_truth_v2: tuple[Site, Truth]) -> None:
    site_v2, _ = site_truth_v2
    lost = set(site_v2.planted.v2_lost_inlinks)
    assert not any(occ.link.target in lost for occ in site_v2.occurrences())
    v1_links = sum(1 for _ in site_v1.occurrences())
    v2_links = sum(1 for _ in site_v2.occurrences())
    removed = sum(1 for occ in site_v1.occurrences() if occ.link.target in lost)
    assert v2_links == v1_links - removed + 1  # plus the link that resolves the orphan


def test_version_2_is_deterministic(site_truth_v2: tuple[Site, Truth]) -> None:
    _, truth_v2 = site_truth_v2
    again = compute_truth(build_site(version=2), previous=compute_truth(build_site(version=1)))
    assert again.to_json() == truth_v2.to_json()

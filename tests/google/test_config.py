"""The ga4:/gsc: blocks of sites.yaml: backward-compatible defaults and errors naming file, site, key."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from linkwarehouse.config import ConfigError, load_sites


def test_defaults_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "sites.yaml"
    path.write_text(
        "sites:\n"
        "  - name: shop\n    start_urls: ['https://shop.example/']\n"
        "    ga4: {property_id: '42'}\n    gsc: {site_url: 'sc-domain:shop.example'}\n"
        "  - name: blog\n    start_urls: ['https://blog.example/']\n"
        "    ga4: {property_id: '7', lookback_days: 2, catchup: true, start_date: 2026-10-01,\n"
        "          page_size: 500}\n"
        "    gsc: {site_url: 'https://blog.example/', data_state: all, row_limit: 1000, conn_id: gsc_blog}\n"
    )
    shop, blog = load_sites(path).sites
    assert shop.ga4 is not None and shop.gsc is not None
    assert (shop.ga4.conn_id, shop.ga4.lookback_days, shop.ga4.catchup, shop.ga4.start_date) == (
        "google_cloud_default", 4, False, None,
    )  # fmt: skip
    assert (shop.ga4.page_size, shop.gsc.data_state, shop.gsc.row_limit) == (100_000, "final", 25_000)
    assert blog.ga4 is not None and blog.gsc is not None
    assert (blog.ga4.lookback_days, blog.ga4.catchup, blog.ga4.start_date) == (2, True, date(2026, 10, 1))
    assert (blog.gsc.data_state, blog.gsc.row_limit, blog.gsc.conn_id) == ("all", 1000, "gsc_blog")
    # Newest Search Console day of a scheduled run: 4 days back when only final data count, 2 with all.
    assert (shop.gsc.newest_day_age, blog.gsc.newest_day_age) == (4, 2)
    assert (shop.ga4.max_sleep_seconds, shop.gsc.max_sleep_seconds) == (180.0, 180.0)


def test_minimum_age_and_sleep_overrides(tmp_path: Path) -> None:
    path = tmp_path / "sites.yaml"
    path.write_text(
        "sites:\n  - name: shop\n    start_urls: ['https://shop.example/']\n"
        "    gsc: {site_url: 'sc-domain:shop.example', min_age_days: 6, max_sleep_seconds: 0}\n"
    )
    gsc = load_sites(path).sites[0].gsc
    assert gsc is not None and (gsc.newest_day_age, gsc.max_sleep_seconds) == (6, 0.0)


GSC = "gsc: {site_url: 'sc-domain:x.example', "


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (GSC + "data_state: fresh}", "gsc.data_state: Input should be 'final' or 'all'"),
        (GSC + "row_limit: 25001}", "gsc.row_limit: Input should be less than or equal to 25000"),
        (
            "ga4: {property_id: '1', lookback_days: 0}",
            "ga4.lookback_days: Input should be greater than or equal to 1",
        ),
        (
            "ga4: {property_id: '1', page_size: 300000}",
            "ga4.page_size: Input should be less than or equal to 250000",
        ),
        ("ga4: {property_id: 'properties/1'}", "ga4.property_id: String should match pattern '^[0-9]+$'"),
        (GSC + "min_age_days: 0}", "gsc.min_age_days: Input should be greater than or equal to 1"),
        (
            GSC + "max_sleep_seconds: .inf}",
            "gsc.max_sleep_seconds: Input should be a finite number",
        ),
        (
            "ga4: {property_id: '1', max_sleep_seconds: -1}",
            "ga4.max_sleep_seconds: Input should be greater than",
        ),
    ],
)
def test_errors_name_file_site_and_key(tmp_path: Path, block: str, message: str) -> None:
    path = tmp_path / "sites.yaml"
    path.write_text(f"sites:\n  - name: shop\n    start_urls: ['https://shop.example/']\n    {block}\n")
    with pytest.raises(ConfigError) as err:
        load_sites(path)
    assert f"{path}: site 'shop': {message}" in str(err.value)

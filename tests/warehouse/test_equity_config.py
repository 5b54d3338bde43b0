"""Equity variant and follow switch in sites.yaml: errors name file, site and key; passed to dbt as vars."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from linkwarehouse.config import ConfigError, load_sites
from linkwarehouse.warehouse import WarehouseError, dbt_vars
from tests.warehouse.conftest import make_settings

SITES = """
sites:
  - name: shop
    start_urls: ["https://shop.example/"]
    warehouse:
      equity:
        eligibility: screaming_frog
        nofollow: dilute
        position_weights: {nav: 0.3, footer: 0.2}
  - name: blog
    start_urls: ["https://blog.example/"]
    links:
      sponsored_ugc_as_nofollow: false
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sites.yaml"
    path.write_text(text)
    return path


def test_equity_and_links_blocks_become_the_site_equity_and_site_links_vars(tmp_path: Path) -> None:
    settings = dataclasses.replace(make_settings(tmp_path), config_path=write(tmp_path, SITES))
    assert dbt_vars(settings) == {
        "site_equity": {
            "shop": {
                "eligibility": "screaming_frog",
                "nofollow": "dilute",
                "position_weights": {"nav": 0.3, "footer": 0.2},
            },
            "blog": {"eligibility": "all", "nofollow": "ignore", "position_weights": None},
        },
        "site_links": {
            "shop": {"sponsored_ugc_as_nofollow": True},
            "blog": {"sponsored_ugc_as_nofollow": False},
        },
    }
    sites = load_sites(settings.config_path)
    assert not sites.site("shop").warehouse.equity.is_plain()
    assert sites.site("blog").warehouse.equity.is_plain()


def test_without_a_sites_file_every_site_gets_the_default(tmp_path: Path) -> None:
    settings = dataclasses.replace(make_settings(tmp_path), config_path=tmp_path / "missing.yaml")
    assert dbt_vars(settings) == {"site_equity": {}, "site_links": {}}


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (
            "eligibility: pagerank",
            "site 'shop': warehouse.equity.eligibility: Input should be 'all' or 'screaming_frog'",
        ),
        ("nofollow: keep", "site 'shop': warehouse.equity.nofollow: Input should be 'ignore' or 'dilute'"),
        ("position_weights: {sidebar: 0.5}", "site 'shop': warehouse.equity.position_weights.sidebar.[key]"),
        (
            "position_weights: {nav: -1}",
            "site 'shop': warehouse.equity.position_weights.nav: Input should be greater",
        ),
        ("damping: 0.9", "site 'shop': warehouse.equity.damping: Extra inputs are not permitted"),
    ],
)
def test_invalid_equity_settings_name_file_site_and_key(tmp_path: Path, block: str, message: str) -> None:
    path = write(
        tmp_path,
        f"""
sites:
  - name: shop
    start_urls: ["https://shop.example/"]
    warehouse:
      equity:
        {block}
""",
    )
    with pytest.raises(ConfigError, match=re.escape(f"{path}: {message}")):
        load_sites(path)
    settings = dataclasses.replace(make_settings(tmp_path), config_path=path)
    with pytest.raises(WarehouseError, match="cannot read the site settings"):
        dbt_vars(settings)

"""Every Airflow Asset of the pipeline, defined once.

Producers list these in ``outlets``, consumers in ``schedule``; URIs name lake and warehouse
locations logically (the physical root is configuration), so moving the lake to object
storage does not change lineage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow.sdk import Asset, AssetAny

if TYPE_CHECKING:
    from linkwarehouse.config import SiteConfig

WAREHOUSE = Asset(name="warehouse_marts", uri="linkwarehouse://warehouse/marts")


def crawl_asset(site: str) -> Asset:
    """Published crawls of one site (``crawl/*`` lake tables)."""
    return Asset(name=f"crawl_{site}", uri=f"linkwarehouse://lake/crawl/{site}")


def warehouse_inputs(sites: list[SiteConfig]) -> AssetAny:
    """What triggers a warehouse build: a new crawl, GA4 or Search Console pull of any site."""
    assets: list[Asset] = []
    for site in sites:
        assets.append(crawl_asset(site.name))
        if site.ga4 is not None:
            assets.append(ga4_asset(site.name))
        if site.gsc is not None:
            assets.append(gsc_asset(site.name))
    return AssetAny(*assets)


def ga4_asset(site: str) -> Asset:
    """Published GA4 day partitions of one site (``ga4_pages``)."""
    return Asset(name=f"ga4_{site}", uri=f"linkwarehouse://lake/ga4/{site}")


def gsc_asset(site: str) -> Asset:
    """Published Search Console day partitions of one site (``gsc_pages``, ``gsc_page_queries``)."""
    return Asset(name=f"gsc_{site}", uri=f"linkwarehouse://lake/gsc/{site}")

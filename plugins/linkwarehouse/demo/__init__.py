"""The demo site: a seeded ~2,000-page content site with planted link problems, its truth,
and local HTTP servers (the site itself and a webhook receiver for alerts).

Every exactness test of the project compares against :func:`compute_truth` of this model.
Typical use::

    written = write_site(".demo/site-v1", version=1)
    with DemoSiteServer(written.path) as server:
        crawl(server.base_url + "/")
    truth = load_truth(written.truth_path)
"""

from linkwarehouse.demo.builder import DEFAULT_SEED, VERSIONS, build_site, validate_site
from linkwarehouse.demo.model import Block, Link, Occurrence, Page, Planted, Raw, Site, SiteModelError
from linkwarehouse.demo.server import DemoSiteServer
from linkwarehouse.demo.truth import (
    OrphanDelta,
    Truth,
    UrlTruth,
    compute_truth,
    crawl_reach,
    load_truth,
    orphan_delta,
    pagerank,
)
from linkwarehouse.demo.webhook import ReceivedRequest, WebhookReceiver
from linkwarehouse.demo.writer import DemoSiteError, WrittenSite, build_truth, read_manifest, write_site

__all__ = [
    "DEFAULT_SEED",
    "VERSIONS",
    "Block",
    "DemoSiteError",
    "DemoSiteServer",
    "Link",
    "Occurrence",
    "OrphanDelta",
    "Page",
    "Planted",
    "Raw",
    "ReceivedRequest",
    "Site",
    "SiteModelError",
    "Truth",
    "UrlTruth",
    "WebhookReceiver",
    "WrittenSite",
    "build_site",
    "build_truth",
    "compute_truth",
    "crawl_reach",
    "load_truth",
    "orphan_delta",
    "pagerank",
    "read_manifest",
    "validate_site",
    "write_site",
]

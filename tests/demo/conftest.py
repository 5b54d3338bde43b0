"""Shared demo-site fixtures: the models and truths of both versions, a written site, a server.

Built once per session: a build takes about a second and every test only reads them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from linkwarehouse.demo import (
    DEFAULT_SEED,
    DemoSiteServer,
    Site,
    Truth,
    WrittenSite,
    build_site,
    build_truth,
    compute_truth,
    write_site,
)


@pytest.fixture(scope="session")
def site_v1() -> Site:
    return build_site(DEFAULT_SEED, 1)


@pytest.fixture(scope="session")
def truth_v1(site_v1: Site) -> Truth:
    return compute_truth(site_v1)


@pytest.fixture(scope="session")
def site_truth_v2() -> tuple[Site, Truth]:
    return build_truth(DEFAULT_SEED, 2)


@pytest.fixture(scope="session")
def written_v1(tmp_path_factory: pytest.TempPathFactory) -> WrittenSite:
    return write_site(tmp_path_factory.mktemp("demo") / "site-v1", version=1)


@pytest.fixture(scope="session")
def server(written_v1: WrittenSite) -> Iterator[DemoSiteServer]:
    with DemoSiteServer(written_v1.path) as running:
        yield running

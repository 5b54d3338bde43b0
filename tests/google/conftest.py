"""Stand-in servers, a run-time service-account key and site configs for the Google tests.

The key is generated once per session (never committed); each stand-in trusts its public
half, and the clients reach the stand-in through the ``api_endpoint`` / ``token_uri``
overrides, so every test runs the real client and the real JWT grant over HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import airflow.sdk  # noqa: F401 - Airflow replaces the root log handlers on import; do it before caplog
import pyarrow.parquet as pq
import pytest

from linkwarehouse.config import SiteConfig, parse_sites
from linkwarehouse.google.credentials import GoogleAccess, access_from_extras
from linkwarehouse.google.errors import RetryPolicy
from linkwarehouse.google.standin import GoogleStandIn, new_service_account_key
from linkwarehouse.google.standin_data import PageModel, SiteModel
from linkwarehouse.lake.writer import partition_dir

TODAY = date(2026, 11, 27)
#: The extractor's clock: noon on TODAY in Pacific time, Search Console's clock.
NOW = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
DAY = "2026-11-20"
BASE = "http://127.0.0.1:8765/"
PROPERTY = "123456"
GSC_SITE = "sc-domain:127.0.0.1"
EMAIL = "extractor@linkwarehouse-test.iam.gserviceaccount.com"


@pytest.fixture(scope="session")
def key_info() -> dict[str, str]:
    info, public_key = new_service_account_key("https://oauth2.googleapis.com/token", EMAIL)
    info["_public"] = public_key  # type: ignore[assignment]
    return info


@pytest.fixture
def model() -> SiteModel:
    """Five pages: a hub, a category, a striking-distance spoke, an article, an orphan."""
    return SiteModel(
        BASE,
        (
            PageModel("/", 60.0, "trail running", 1.5),
            PageModel("/running/", 20.0, "running", 4.0),
            PageModel("/running/tempo-runs/", 6.0, "tempo runs", 14.0, 12.0),
            PageModel("/blog/hill-repeats/", 2.0, "hill repeats", 9.0),
            PageModel("/landing/spring-sale/", 8.0, "spring sale", 8.0, reachable=False),
        ),
    )


@pytest.fixture
def standin_factory(key_info: dict[str, Any]) -> Iterator[Callable[..., GoogleStandIn]]:
    started: list[GoogleStandIn] = []

    def make(**kwargs: Any) -> GoogleStandIn:
        kwargs.setdefault("today", TODAY)
        server = GoogleStandIn(**kwargs).start()
        server.register_public_key(EMAIL, key_info["_public"])  # type: ignore[arg-type]
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def standin(standin_factory: Callable[..., GoogleStandIn], model: SiteModel) -> GoogleStandIn:
    return standin_factory(ga4={PROPERTY: model}, gsc={GSC_SITE: model})


def key_json(key_info: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in key_info.items() if k != "_public"})


@pytest.fixture
def access(standin: GoogleStandIn, key_info: dict[str, Any]) -> GoogleAccess:
    extras = {
        "keyfile_dict": key_json(key_info),
        "api_endpoint": standin.base_url,
        "token_uri": standin.token_uri,
    }
    return access_from_extras(extras, "connection 'google_test'", environ={})


def make_site(**blocks: Any) -> SiteConfig:
    data = {"name": "demo", "start_urls": [BASE], **blocks}
    return parse_sites({"sites": [data]}, Path("sites.yaml")).sites[0]


@pytest.fixture
def site() -> SiteConfig:
    return make_site(ga4={"property_id": PROPERTY}, gsc={"site_url": GSC_SITE})


def clock() -> datetime:
    """The extractor's "now" in tests: never the machine's clock."""
    return NOW


@pytest.fixture
def sleeps() -> list[float]:
    """Waits the retry policy asked for, recorded instead of slept."""
    return []


@pytest.fixture
def policy(sleeps: list[float]) -> RetryPolicy:
    return RetryPolicy(
        server_attempts=4,
        server_initial_wait=0.5,
        server_max_wait=4.0,
        server_jitter=0.25,
        rate_limit_wait=30.0,
        hourly_quota_wait=1800.0,
        load_quota_wait=900.0,
        sleep=sleeps.append,
        clock=clock,
    )


def read_partition(lake: Path, table: str, day: str = DAY, site: str = "demo") -> list[dict[str, Any]]:
    from linkwarehouse.lake.schemas import TABLES

    folder = partition_dir(lake, TABLES[table], {"site": site, "date": day})
    return pq.read_table(folder).to_pylist()


def manifest(lake: Path, table: str, day: str = DAY, site: str = "demo") -> dict[str, Any]:
    from linkwarehouse.lake.schemas import TABLES

    folder = partition_dir(lake, TABLES[table], {"site": site, "date": day})
    return json.loads((folder / "_SUCCESS").read_text())

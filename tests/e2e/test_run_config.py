"""``make run`` with a user's sites file: loopback is crawled only when the config allows it."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkwarehouse.crawl_runner import CrawlFailed, run_crawl
from linkwarehouse.demo import DemoSiteServer, write_site
from linkwarehouse.settings import Settings

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory):
    written = write_site(tmp_path_factory.mktemp("site") / "v1", version=1)
    with DemoSiteServer(written.path) as server:
        yield server.base_url


def settings_for(tmp: Path, config: Path) -> Settings:
    return Settings(ROOT, config, tmp / "lake", tmp / "warehouse", ROOT / "dbt_project", tmp / "state")


def test_loopback_is_refused_unless_the_config_allows_it(tmp_path: Path, site_url: str) -> None:
    config = tmp_path / "sites.yaml"
    config.write_text(f"sites:\n  - name: local\n    start_urls: ['{site_url}/']\n")
    settings = settings_for(tmp_path, config)

    with pytest.raises(CrawlFailed) as failed:
        run_crawl("local", "20260101T000000Z", settings, config_path=config)

    message = str(failed.value)
    assert message.startswith(
        "crawl of site 'local' (crawl 20260101T000000Z) was not published (exit code 1): "
        "site 'local': every start URL was refused, nothing was crawled or published: "
        f"{site_url}/ (ssrf_refused: 127.0.0.1). ssrf_refused: not a public address; list its network "
        "in crawl.allow_private_networks if the site is internal\n"
    )
    assert failed.value.permanent is True
    assert [path for path in settings.lake_root.rglob("*") if path.is_file()] == []


def test_loopback_is_crawled_when_allowed(tmp_path: Path, site_url: str) -> None:
    config = tmp_path / "sites.yaml"
    config.write_text(
        f"sites:\n  - name: local\n    start_urls: ['{site_url}/']\n"
        "    crawl: {max_pages: 25, allow_private_networks: ['127.0.0.1/32']}\n"
    )
    summary = run_crawl("local", "20260101T000000Z", settings_for(tmp_path, config), config_path=config)
    assert (summary["pages"], summary["stop_reason"], summary["published"]) == (25, "max_pages", True)

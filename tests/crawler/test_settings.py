"""The stock Scrapy defaults a link crawl must not keep, and the per-site settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.settings import Settings

from linkcrawler.settings import site_settings
from linkwarehouse.config import ConfigError, parse_sites


@pytest.fixture(scope="module")
def settings() -> Settings:
    project = Settings()
    project.setmodule("linkcrawler.settings", priority="project")
    return project


def test_stock_defaults_are_replaced(settings: Settings) -> None:
    assert {
        name: settings[name]
        for name in (
            "ROBOTSTXT_OBEY",
            "DOWNLOAD_TIMEOUT",
            "DOWNLOAD_MAXSIZE",
            "RETRY_ENABLED",
            "REDIRECT_ENABLED",
            "HTTPERROR_ALLOW_ALL",
            "TELNETCONSOLE_ENABLED",
            "REMOTE_CONTROL_ENABLED",
            "TWISTED_DNS_RESOLVER",
            "HTTPPROXY_ENABLED",
            "COOKIES_ENABLED",
            "DOWNLOAD_DELAY_JITTER",
        )
    } == {
        "ROBOTSTXT_OBEY": True,
        "DOWNLOAD_TIMEOUT": 30,
        "DOWNLOAD_MAXSIZE": 10 * 1024 * 1024,
        "RETRY_ENABLED": False,  # replaced by BackoffRetryMiddleware (Retry-After)
        "REDIRECT_ENABLED": False,  # every hop is its own recorded request
        "HTTPERROR_ALLOW_ALL": True,
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "TWISTED_DNS_RESOLVER": "linkcrawler.ssrf.GuardedResolver",
        "HTTPPROXY_ENABLED": False,
        "COOKIES_ENABLED": False,
        "DOWNLOAD_DELAY_JITTER": 0.0,  # delays are minimum spacings (throttle.py)
    }
    assert settings.getdict("EXTENSIONS")["linkcrawler.throttle.HostThrottle"] == 510
    handlers = {**settings.getdict("DOWNLOAD_HANDLERS_BASE"), **settings.getdict("DOWNLOAD_HANDLERS")}
    assert {scheme for scheme, handler in handlers.items() if handler} == {"http", "https"}
    middlewares = settings.getdict("DOWNLOADER_MIDDLEWARES")
    assert middlewares["linkcrawler.middlewares.BackoffRetryMiddleware"] == 550
    assert middlewares["scrapy.downloadermiddlewares.stats.DownloaderStats"] is None


def test_site_settings() -> None:
    site = parse_sites(
        {
            "sites": [
                {
                    "name": "s",
                    "start_urls": ["https://example.com/"],
                    "crawl": {
                        "autothrottle": True,
                        "timeout": 5,
                        "retries": 4,
                        "retry_after_max": 9,
                        "delay": 0.25,
                        "crawl_delay_max": 3,
                    },
                }
            ]
        },
        Path("sites.yaml"),
    ).sites[0]
    values = site_settings(site, processes=2)
    assert {
        k: values[k]
        for k in (
            "AUTOTHROTTLE_ENABLED",
            "DOWNLOAD_TIMEOUT",
            "DOWNLOAD_DELAY",
            "LINKWAREHOUSE_RETRIES",
            "LINKWAREHOUSE_RETRY_AFTER_MAX",
            "LINKWAREHOUSE_CRAWL_DELAY_MAX",
            "LINKWAREHOUSE_PROCESSES",
        )
    } == {
        "AUTOTHROTTLE_ENABLED": True,
        "DOWNLOAD_TIMEOUT": 5.0,
        "DOWNLOAD_DELAY": 0.5,  # two processes, each half the rate: the host sees one per 0.25 s
        "LINKWAREHOUSE_RETRIES": 4,
        "LINKWAREHOUSE_RETRY_AFTER_MAX": 9.0,
        "LINKWAREHOUSE_CRAWL_DELAY_MAX": 3.0,
        "LINKWAREHOUSE_PROCESSES": 2,
    }


@pytest.mark.parametrize("value", [-1.0, float("inf"), float("nan"), 3601.0])
def test_crawl_delay_max_is_bounded(value: float) -> None:
    crawl = {"crawl_delay_max": value}
    sites = {"sites": [{"name": "s", "start_urls": ["https://example.com/"], "crawl": crawl}]}
    with pytest.raises(ConfigError, match=r"site 's': crawl\.crawl_delay_max"):
        parse_sites(sites, Path("sites.yaml"))

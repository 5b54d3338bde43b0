"""The stock Scrapy defaults a link crawl must not keep, and the per-site settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.settings import Settings

from linkcrawler.settings import site_settings
from linkwarehouse.config import parse_sites


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
    }
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
                    "crawl": {"autothrottle": True, "timeout": 5, "retries": 4, "retry_after_max": 9},
                }
            ]
        },
        Path("sites.yaml"),
    ).sites[0]
    values = site_settings(site)
    assert {
        k: values[k]
        for k in (
            "AUTOTHROTTLE_ENABLED",
            "DOWNLOAD_TIMEOUT",
            "LINKWAREHOUSE_RETRIES",
            "LINKWAREHOUSE_RETRY_AFTER_MAX",
        )
    } == {
        "AUTOTHROTTLE_ENABLED": True,
        "DOWNLOAD_TIMEOUT": 5.0,
        "LINKWAREHOUSE_RETRIES": 4,
        "LINKWAREHOUSE_RETRY_AFTER_MAX": 9.0,
    }

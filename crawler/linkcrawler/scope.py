"""Which URLs belong to a site (internal) and which of those the crawl may fetch.

Every URL reaching these checks is already normalised by ``SiteConfig.normalizer()``, so the
host can be read with string operations instead of a second URL parse: this runs for every link
occurrence of the crawl.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from linkwarehouse.config import SiteConfig


def hostname_of(url: str) -> str:
    """The hostname of a normalised absolute URL (no port, IPv6 literals keep their brackets)."""
    hostport = url.partition("://")[2].split("/", 1)[0]
    if hostport.startswith("["):
        return hostport[: hostport.find("]") + 1]
    return hostport.rsplit(":", 1)[0] if ":" in hostport else hostport


class Scope:
    """Internal = the host equals an allowed domain or is a subdomain of one (port ignored).

    ``include``/``exclude`` are regexes searched in the normalised URL: a URL is crawlable when
    it matches no exclude and, if includes are given, at least one include.
    """

    def __init__(
        self, allowed_domains: Iterable[str], include: Iterable[str] = (), exclude: Iterable[str] = ()
    ) -> None:
        self.domains = tuple(sorted({domain.lower().strip(".") for domain in allowed_domains}))
        self._suffixes = tuple("." + domain for domain in self.domains)
        self._include = [re.compile(pattern) for pattern in include]
        self._exclude = [re.compile(pattern) for pattern in exclude]
        self._internal_hosts: dict[str, bool] = {}

    @classmethod
    def for_site(cls, site: SiteConfig) -> Scope:
        return cls(site.allowed_domains, site.urls.include, site.urls.exclude)

    def is_internal_host(self, host: str) -> bool:
        known = self._internal_hosts.get(host)
        if known is None:
            known = host in self.domains or host.endswith(self._suffixes)
            self._internal_hosts[host] = known
        return known

    def is_internal(self, url: str) -> bool:
        return self.is_internal_host(hostname_of(url))

    def is_crawlable(self, url: str) -> bool:
        if any(pattern.search(url) for pattern in self._exclude):
            return False
        return not self._include or any(pattern.search(url) for pattern in self._include)

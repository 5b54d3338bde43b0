"""SSRF protection: which addresses a crawl may contact, checked where the connection is made.

Two layers share one :class:`AddressPolicy`:

- :class:`GuardedResolver` is the reactor's name resolver (``TWISTED_DNS_RESOLVER``). Twisted's
  ``HostnameEndpoint`` asks it for the addresses of every connection it opens (IP literals
  included) and connects only to what it returns, so the addresses checked are exactly the ones
  connected to: no DNS-rebinding window between a check and the connect, for every redirect
  hop, robots.txt and sitemap alike. A refused host gets no addresses (the connection fails
  before any byte is sent) and the refusal is remembered for the page row.
- ``SsrfGuardMiddleware`` (middlewares.py) checks earlier, before a request is even queued for
  download, so a refused URL never costs a connection attempt and says why at once.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IHostnameResolver, IHostResolution, IResolutionReceiver
from twisted.internet.threads import deferToThreadPool
from zope.interface import implementer

__all__ = [
    "AddressPolicy",
    "GuardedResolver",
    "install_policy",
    "installed_resolver",
    "is_public_address",
    "resolve_host",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address tunnels to (mapped, 6to4, Teredo, NAT64, compatible)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public_address(address: IPAddress) -> bool:
    """True only for globally routable unicast addresses, also behind IPv6 tunnelling prefixes."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None and not is_public_address(embedded):
            return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


class AddressPolicy:
    """Public addresses are allowed; others only inside the site's ``allow_private_networks``."""

    def __init__(self, allowed_networks: Iterable[str] = ()) -> None:
        self.allowed = tuple(ipaddress.ip_network(cidr, strict=False) for cidr in allowed_networks)

    def is_allowed(self, address: IPAddress) -> bool:
        if is_public_address(address):
            return True
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address.version == net.version and address in net for net in self.allowed)

    def refused(self, addresses: Iterable[str]) -> str | None:
        """The first address that may not be contacted, or ``None`` when all may."""
        for raw in addresses:
            address = ipaddress.ip_address(raw.split("%", 1)[0])
            if not self.is_allowed(address):
                return str(address)
        return None


def ip_literal(host: str) -> str | None:
    """The canonical address when ``host`` is an IP literal (brackets allowed), else ``None``."""
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def _getaddrinfo(host: str) -> list[str]:
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


async def resolve_host(host: str) -> list[str]:
    """Every address ``host`` resolves to (an IP literal resolves to itself)."""
    literal = ip_literal(host)
    if literal is not None:
        return [literal]
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return _getaddrinfo(host)
    infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


@implementer(IHostResolution)
class _Resolution:
    def __init__(self, name: str) -> None:
        self.name = name

    def cancel(self) -> None:  # pragma: no cover - Twisted never cancels a resolution here
        pass


_INSTALLED: GuardedResolver | None = None
#: The crawl's policy; every non-public address is refused until a spider installs its site's.
_POLICY = AddressPolicy(())


def installed_resolver() -> GuardedResolver | None:
    """The guarded resolver of this process's reactor, once a crawler process installed it."""
    return _INSTALLED


def install_policy(policy: AddressPolicy) -> None:
    """Make ``policy`` the one every :class:`GuardedResolver` of this process applies.

    Process-wide on purpose: Scrapy builds the resolver from the process settings, before any
    spider (which knows the site's allowed networks) exists, and one process crawls one site.
    """
    global _POLICY
    _POLICY = policy


@implementer(IHostnameResolver)
class GuardedResolver:
    """Resolve with getaddrinfo (IPv4 and IPv6, cached per crawl) and hand out only allowed hosts.

    Until a crawl installs its site's policy (:func:`install_policy`) every non-public address is
    refused (``policy`` fixes one, for tests). A host with ANY refused address gets none: a name
    that answers both a public and a private address is a classic rebinding setup. A lookup
    slower than ``timeout`` seconds (``DNS_TIMEOUT``) gets none either.
    """

    def __init__(
        self,
        reactor: Any,
        lookup: Any = _getaddrinfo,
        policy: AddressPolicy | None = None,
        timeout: float | None = None,
    ) -> None:
        self.reactor = reactor
        self._policy = policy
        self.refusals: dict[str, str] = {}
        self._lookup = lookup
        self._timeout = timeout
        self._cache: dict[str, list[str]] = {}

    @property
    def policy(self) -> AddressPolicy:
        return self._policy if self._policy is not None else _POLICY

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> GuardedResolver:
        return cls(reactor, timeout=crawler.settings.getfloat("DNS_TIMEOUT"))

    def install_on_reactor(self) -> None:
        global _INSTALLED
        self.reactor.installNameResolver(self)
        _INSTALLED = self

    def _addresses(self, host: str) -> Deferred[list[str]]:
        literal = ip_literal(host)
        if literal is not None:
            return succeed([literal])
        if host in self._cache:
            return succeed(self._cache[host])
        pool = self.reactor.getThreadPool()
        deferred: Deferred[list[str]] = deferToThreadPool(self.reactor, pool, self._lookup, host)
        if self._timeout:
            deferred.addTimeout(self._timeout, self.reactor)

        def remember(addresses: list[str]) -> list[str]:
            self._cache[host] = addresses
            return addresses

        return deferred.addCallback(remember)

    def resolveHostName(
        self,
        resolutionReceiver: IResolutionReceiver,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Any = None,
        transportSemantics: str = "TCP",
    ) -> IHostResolution:
        resolution = _Resolution(hostName)
        resolutionReceiver.resolutionBegan(resolution)

        def deliver(addresses: list[str]) -> None:
            refused = self.policy.refused(addresses)
            if refused is not None:
                self.refusals[hostName] = refused
            else:
                for address in addresses:
                    kind = IPv6Address if ":" in address else IPv4Address
                    resolutionReceiver.addressResolved(kind("TCP", address, portNumber))
            resolutionReceiver.resolutionComplete()

        def failed(_failure: Any) -> None:
            resolutionReceiver.resolutionComplete()

        self._addresses(hostName).addCallbacks(deliver, failed)
        return resolution

"""The SSRF guard (non-public addresses refused before sending, unless allowed) and error strings."""

from __future__ import annotations

import asyncio
import ipaddress
from unittest.mock import patch

import pytest
from scrapy import Request
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    ResponseDataLossError,
)
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler
from twisted.internet.endpoints import HostnameEndpoint
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import IReactorPluggableNameResolver
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.testing import MemoryReactorClock
from twisted.python.failure import Failure
from zope.interface import implementer

from linkcrawler.errors import HostUnresolvable, RobotsDisallowed, SsrfRefused
from linkcrawler.failures import error_of
from linkcrawler.middlewares import SsrfGuardMiddleware
from linkcrawler.ssrf import AddressPolicy, GuardedResolver, is_public_address


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("0.0.0.0", False),
        ("255.255.255.255", False),
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("ff02::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:169.254.169.254", False),
        ("::127.0.0.1", False),
        ("2002:7f00:1::1", False),
        ("64:ff9b::a9fe:a9fe", False),
    ],
)
def test_public_addresses(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public


def guard(allowed: list[str], resolver=None) -> tuple[SsrfGuardMiddleware, MemoryStatsCollector]:
    stats = MemoryStatsCollector(get_crawler())
    if resolver is None:
        return SsrfGuardMiddleware(AddressPolicy(allowed), stats), stats
    return SsrfGuardMiddleware(AddressPolicy(allowed), stats, resolver), stats


def check(middleware: SsrfGuardMiddleware, url: str) -> None:
    asyncio.run(middleware.process_request(Request(url)))


@pytest.mark.parametrize(
    ("url", "allowed", "refused_ip"),
    [
        ("http://127.0.0.1:8080/", [], "127.0.0.1"),
        ("http://127.0.0.1:8080/", ["127.0.0.1/32"], None),
        ("http://127.0.0.2/", ["127.0.0.1/32"], "127.0.0.2"),
        ("http://10.0.0.5/admin", [], "10.0.0.5"),
        ("http://10.0.0.5/admin", ["10.0.0.0/8"], None),
        ("http://169.254.169.254/latest/meta-data/", [], "169.254.169.254"),
        ("http://169.254.169.254/latest/meta-data/", ["127.0.0.1/32"], "169.254.169.254"),
        ("http://100.64.1.1/", [], "100.64.1.1"),
        ("http://[::1]:8080/", [], "::1"),
        ("http://[::ffff:7f00:1]/", [], "::ffff:7f00:1"),
        ("http://[::ffff:7f00:1]/", ["127.0.0.1/32"], None),
        ("http://8.8.8.8/", [], None),
    ],
)
def test_ip_literals(url: str, allowed: list[str], refused_ip: str | None) -> None:
    middleware, stats = guard(allowed)
    if refused_ip is None:
        check(middleware, url)
        assert stats.get_value("linkwarehouse/refused/ssrf") is None
    else:
        with pytest.raises(SsrfRefused) as refused:
            check(middleware, url)
        assert refused.value.address == refused_ip
        assert str(refused.value).startswith(f"ssrf_refused: {refused_ip} (")
        assert stats.get_value("linkwarehouse/refused/ssrf") == 1


def test_localhost_name_resolves_to_loopback_and_is_refused() -> None:
    middleware, _ = guard([])
    with pytest.raises(SsrfRefused) as refused:
        check(middleware, "http://localhost:8080/")
    assert not is_public_address(ipaddress.ip_address(refused.value.address))


def test_any_private_answer_refuses_the_name() -> None:
    async def resolver(host: str) -> list[str]:
        return {"mixed.example": ["93.184.215.14", "10.0.0.1"], "public.example": ["93.184.215.14"]}[host]

    middleware, _ = guard([], resolver)
    with pytest.raises(SsrfRefused, match=r"^ssrf_refused: 10\.0\.0\.1 \(mixed\.example in "):
        check(middleware, "https://mixed.example/page")
    check(middleware, "https://public.example/page")


def test_unresolvable_host_is_refused_not_trusted() -> None:
    async def resolver(host: str) -> list[str]:
        raise OSError("Name or service not known")

    middleware, stats = guard([], resolver)
    with pytest.raises(HostUnresolvable, match=r"dns_error: nowhere\.invalid did not resolve"):
        check(middleware, "http://nowhere.invalid/")
    assert stats.get_value("linkwarehouse/refused/dns") == 1


def test_slow_lookup_is_refused_after_the_dns_timeout() -> None:
    async def resolver(host: str) -> list[str]:
        await asyncio.sleep(10)
        return ["93.184.215.14"]

    stats = MemoryStatsCollector(get_crawler())
    middleware = SsrfGuardMiddleware(AddressPolicy([]), stats, resolver, timeout=0.05)
    with pytest.raises(HostUnresolvable, match=r"slow\.example did not resolve \(no answer within 0\.05 s\)"):
        check(middleware, "http://slow.example/")
    assert stats.get_value("linkwarehouse/refused/dns") == 1


def test_resolution_is_cached_per_host() -> None:
    calls: list[str] = []

    async def resolver(host: str) -> list[str]:
        calls.append(host)
        return ["93.184.215.14"]

    middleware, _ = guard([], resolver)
    for path in ("/a", "/b", "/c"):
        check(middleware, f"https://public.example{path}")
    assert calls == ["public.example"]


def test_settings_feed_the_allow_list() -> None:
    crawler = get_crawler(settings_dict={"LINKWAREHOUSE_ALLOW_PRIVATE_NETWORKS": ["127.0.0.1/32"]})
    middleware = SsrfGuardMiddleware.from_crawler(crawler)
    check(middleware, "http://127.0.0.1:1/")
    with pytest.raises(SsrfRefused):
        check(middleware, "http://10.0.0.1/")


def test_refusal_becomes_the_page_error_string() -> None:
    failure = Failure(SsrfRefused("http://10.0.0.1/", "10.0.0.1", "10.0.0.1"))
    assert error_of(failure) == "ssrf_refused: 10.0.0.1"


TOO_BIG = "larger than download max size (10) in request <GET http://x/>"


@pytest.mark.parametrize(
    ("exc", "error"),
    [
        (DownloadTimeoutError("took longer than 30 seconds"), "timeout: took longer than 30 seconds"),
        (CannotResolveHostError("no such host"), "dns_error: no such host"),
        (DownloadConnectionRefusedError("refused"), "connection_refused: refused"),
        (
            DownloadCancelledError(f"Received 20 bytes which is {TOO_BIG}."),
            f"max_size_exceeded: Received 20 bytes which is {TOO_BIG}.",
        ),
        (ResponseDataLossError("lost"), "data_loss: lost"),
        (RobotsDisallowed("http://x/"), "robots_disallowed"),
        (ValueError("odd"), "ValueError: odd"),
    ],
)
def test_failures_become_error_strings(exc: Exception, error: str) -> None:
    assert error_of(Failure(exc)) == error


# -- the connection-time guard (GuardedResolver) ---------------------------------------------


@implementer(IReactorPluggableNameResolver)
class ResolvingMemoryReactor(MemoryReactorClock):
    """A memory reactor whose HostnameEndpoint connections go through a given name resolver."""

    def __init__(self, resolver_factory) -> None:
        super().__init__()
        self.nameResolver = resolver_factory(self)


def connect(host: str, answers: dict[str, list[str]], allowed: list[str]):
    """Connect a HostnameEndpoint to ``host``: the TCP connections attempted and the result."""
    reactor = ResolvingMemoryReactor(
        lambda r: GuardedResolver(r, lookup=answers.__getitem__, policy=AddressPolicy(allowed))
    )
    resolver = reactor.nameResolver
    resolver._cache.update(answers)  # the memory reactor has no thread pool for getaddrinfo
    outcome: list = []
    HostnameEndpoint(reactor, host.encode(), 80).connect(Factory.forProtocol(Protocol)).addBoth(
        outcome.append
    )
    reactor.advance(1)
    return [(client[0], client[1]) for client in reactor.tcpClients], outcome, resolver.refusals


@pytest.mark.parametrize(
    ("host", "answers", "connections", "refused"),
    [
        # A name that passed the early check but now answers a private address (DNS rebinding).
        ("rebind.example", {"rebind.example": ["10.0.0.7"]}, [], {"rebind.example": "10.0.0.7"}),
        (
            "mixed.example",
            {"mixed.example": ["93.184.215.14", "127.0.0.2"]},
            [],
            {"mixed.example": "127.0.0.2"},
        ),
        ("169.254.169.254", {}, [], {"169.254.169.254": "169.254.169.254"}),
        ("::ffff:127.0.0.2", {}, [], {"::ffff:127.0.0.2": "::ffff:7f00:2"}),
        ("127.0.0.1", {}, [("127.0.0.1", 80)], {}),
        ("public.example", {"public.example": ["93.184.215.14"]}, [("93.184.215.14", 80)], {}),
    ],
)
def test_resolver_connects_only_to_vetted_addresses(host, answers, connections, refused) -> None:
    attempted, outcome, refusals = connect(host, answers, ["127.0.0.1/32"])
    assert attempted == connections
    assert refusals == refused
    if not connections:
        (failure,) = outcome
        assert failure.check(DNSLookupError)


def test_connect_time_refusal_becomes_the_page_error() -> None:
    resolver = GuardedResolver(None)
    resolver.refusals["rebind.example"] = "10.0.0.7"
    failure = Failure(CannotResolveHostError("no results"))
    failure.request = Request("http://rebind.example/page")
    with patch("linkcrawler.failures.installed_resolver", return_value=resolver):
        assert error_of(failure) == "ssrf_refused: 10.0.0.7"


class StalledPool:
    """A thread pool whose jobs never finish (a getaddrinfo that hangs)."""

    def callInThreadWithCallback(self, onResult, func, *args, **kwargs) -> None:
        pass


def test_resolver_gives_up_after_the_dns_timeout() -> None:
    reactor = ResolvingMemoryReactor(lambda r: GuardedResolver(r, policy=AddressPolicy([]), timeout=15))
    reactor.getThreadPool = StalledPool
    outcome: list = []
    HostnameEndpoint(reactor, b"stalled.example", 80).connect(Factory.forProtocol(Protocol)).addBoth(
        outcome.append
    )
    reactor.advance(14)
    assert outcome == []
    reactor.advance(2)
    (failure,) = outcome
    assert failure.check(DNSLookupError)
    assert reactor.tcpClients == []

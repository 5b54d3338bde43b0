import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkwarehouse.urls import (
    BUILTIN_STRIP_PARAMS,
    SESSION_PARAMS,
    HrefKind,
    UrlNormalizer,
    classify_href,
    normalize_url,
    parameter_variant_base,
)

SITE = UrlNormalizer(strip_params=("utm_*", "gclid", "sessionid"))


@pytest.mark.parametrize(
    ("raw", "base", "expected"),
    [
        ("HTTP://Example.COM:80/a/./b/../c", None, "http://example.com/a/c"),
        ("https://example.com:443/", None, "https://example.com/"),
        ("http://example.com:8080/x", None, "http://example.com:8080/x"),
        ("/p#section", "http://h.com/dir/page", "http://h.com/p"),
        ("../up/", "http://h.com/a/b/c", "http://h.com/a/up/"),
        ("?q=1", "http://h.com/a/b", "http://h.com/a/b?q=1"),
        ("//cdn.h.com/x", "https://h.com/", "https://cdn.h.com/x"),
        ("/x/%7efoo/%e2%82%ac", "http://h.com/", "http://h.com/x/~foo/%E2%82%AC"),
        ("/a%2fb", "http://h.com/", "http://h.com/a%2Fb"),
        ("/caf\u00e9", "http://h.com/", "http://h.com/caf%C3%A9"),
        ("/s?utm_source=x&b=1&UTM_Medium=y&gclid=z", "http://h.com/", "http://h.com/s?b=1"),
        ("/s?utm_source=x", "http://h.com/", "http://h.com/s"),
        ("/s?", "http://h.com/", "http://h.com/s"),
        ("/s?a=1&&b=2", "http://h.com/", "http://h.com/s?a=1&b=2"),
        ("http://user:secret@h.com/p", None, "http://h.com/p"),
        ("http://0x7f.1/", None, "http://127.0.0.1/"),
        ("http://2130706433/", None, "http://127.0.0.1/"),
        ("http://[::1]:8080/x", None, "http://[::1]:8080/x"),
        ("http://B\u00fccher.example/", None, "http://xn--bcher-kva.example/"),
        ("  /trim \n", "http://h.com/", "http://h.com/trim"),
    ],
)
def test_normalises(raw: str, base: str | None, expected: str) -> None:
    assert SITE(raw, base) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "javascript:void(0)",
        "mailto:a@b.c",
        "tel:+1",
        "ftp://h.com/f",
        "file:///etc/passwd",
        "http://",
        "http://:80/",
    ],
)
def test_non_http_gives_none(raw: str) -> None:
    assert SITE(raw, "http://h.com/") is None


def test_relative_without_base_gives_none() -> None:
    assert normalize_url("/relative") is None


def test_idempotent_on_examples() -> None:
    for raw in [
        "HTTP://Example.COM:80/a/./b/%7e?utm_x=1&a=%2f#f",
        "http://h.com/%41%42",
        "http://h.com/a b?c d",
    ]:
        once = SITE(raw)
        assert once is not None
        assert SITE(once) == once


@pytest.mark.parametrize(
    ("rules", "raw", "expected"),
    [
        ({"trailing_slash": "strip"}, "http://h.com/a/", "http://h.com/a"),
        ({"trailing_slash": "strip"}, "http://h.com/", "http://h.com/"),
        ({"trailing_slash": "add"}, "http://h.com/a", "http://h.com/a/"),
        ({"trailing_slash": "add"}, "http://h.com/a.html", "http://h.com/a.html"),
        ({"index_files": ("index.html",)}, "http://h.com/dir/index.html", "http://h.com/dir/index.html"),
        ({"strip_params": ("jsessionid",)}, "http://h.com/cart;JSESSIONID=1A2B?x=1", "http://h.com/cart?x=1"),
        ({"strip_params": ("jsessionid",)}, "http://h.com/a;v=2;jsessionid=9/b", "http://h.com/a;v=2/b"),
        ({"strip_params": ("jsessionid",)}, "http://h.com/a;jsessionid", "http://h.com/a"),
        ({}, "http://h.com/a;jsessionid=9", "http://h.com/a;jsessionid=9"),
    ],
)
def test_site_rules(rules: dict, raw: str, expected: str) -> None:
    assert UrlNormalizer(**rules)(raw) == expected


@pytest.mark.parametrize(
    ("rules", "raw", "expected"),
    [
        ({}, "http://h.com/dir/index.html", "http://h.com/dir/"),
        ({}, "http://h.com/index.html", "http://h.com/"),
        ({}, "http://h.com/index.html?x=1", "http://h.com/?x=1"),
        ({}, "http://h.com/dir/index.htm", None),  # only the names a site lists
        ({}, "http://h.com/dir/INDEX.HTML", None),
        ({}, "http://h.com/dir/index.html/", None),
        ({}, "http://h.com/dir/?index.html", None),
        ({}, "http://h.com/dir/my-index.html", None),
        ({"trailing_slash": "strip"}, "http://h.com/a/index.html", "http://h.com/a"),
        ({"index_files": ()}, "http://h.com/dir/index.html", None),
        ({"index_files": ("index.html", "default.aspx")}, "http://h.com/d/default.aspx", "http://h.com/d/"),
    ],
)
def test_index_directory_names_the_candidate_only(rules: dict, raw: str, expected: str | None) -> None:
    normalize = UrlNormalizer(**({"index_files": ("index.html",)} | rules))
    assert normalize.index_directory(raw) == expected
    assert normalize(raw) == raw  # the normaliser itself never folds


def test_builtin_list_holds_the_session_ids() -> None:
    assert set(SESSION_PARAMS) <= set(BUILTIN_STRIP_PARAMS)
    expected = ("sid", "sessionid", "jsessionid", "phpsessid", "aspsessionid*", "cfid", "cftoken")
    assert expected == SESSION_PARAMS


def test_keep_params_win_over_strip_patterns() -> None:
    normalize = UrlNormalizer(strip_params=("utm_*", "sid", "jsessionid"), keep_params=("utm_id", "SID"))
    assert normalize("http://h.com/p;jsessionid=1;sid=2?utm_id=3&utm_source=4&Sid=5") == (
        "http://h.com/p;sid=2?utm_id=3&Sid=5"
    )


@pytest.mark.parametrize(
    ("raw", "base"),
    [
        ("http://h.com/p/;jsessionid=0A1B?x=1", "http://h.com/p/"),
        ("http://h.com/p/?PHPSESSID=9&sid=1", "http://h.com/p/"),
        ("http://h.com/a;v=2/b;x=1", "http://h.com/a/b"),
        ("http://h.com/p/", "http://h.com/p/"),
    ],
)
def test_parameter_variant_base(raw: str, base: str) -> None:
    assert parameter_variant_base(raw) == base


def test_invalid_index_file_name() -> None:
    with pytest.raises(ValueError, match="plain file names"):
        UrlNormalizer(index_files=("dir/index.html",))


def test_invalid_trailing_slash_rule() -> None:
    with pytest.raises(ValueError, match="trailing_slash"):
        UrlNormalizer(trailing_slash="sometimes")


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("/p", HrefKind.HTTP),
        ("HTTPS://x", HrefKind.HTTP),
        ("#top", HrefKind.FRAGMENT),
        ("  JavaScript:alert(1)", HrefKind.JAVASCRIPT),
        ("java\nscript:alert(1)", HrefKind.JAVASCRIPT),
        ("mailto:x@y", HrefKind.MAILTO),
        ("tel:123", HrefKind.TEL),
        ("ftp://x", HrefKind.OTHER_SCHEME),
        ("   ", HrefKind.EMPTY),
    ],
)
def test_classify_href(raw: str, kind: HrefKind) -> None:
    assert classify_href(raw) == kind


def test_invalid_http_href_kind() -> None:
    assert HrefKind.INVALID == "invalid"
    assert classify_href("http://[bad") == HrefKind.HTTP  # classified first, then found unusable
    assert SITE("http://[bad", "http://h.com/") is None


# -- properties (hypothesis) ------------------------------------------------------------------

URL_PIECES = st.sampled_from(
    [
        *"abcAZ019-._~:/?#[]@!$&'()*+,;=% \t\n\\\u00e9\u00fc\u20ac\u0000\ud800\ufeff",
        "%2f",
        "%7E",
        "%zz",
        "%",
        "utm_a=1",
        "../",
        "index.html",
        "index.html/",
        ";jsessionid=",
    ]
)
URLISH = st.builds(
    lambda scheme, host, port, rest: f"{scheme}{host}{port}{rest}",
    st.sampled_from(["http://", "HTTPS://", "http:", "//", "", "ftp://", "javascript:", "h\ttp://"]),
    st.sampled_from(
        ["h.com", "H.COM", "0x7f.1", "2130706433", "[::1]", "xn--bcher-kva.example", "b\u00fccher.de", ""]
    ),
    st.sampled_from(["", ":80", ":443", ":8080", ":0", ":99999", ":"]),
    st.lists(URL_PIECES, max_size=20).map("".join),
)
RULES = st.builds(
    UrlNormalizer,
    strip_params=st.sampled_from([(), ("utm_*",), ("utm_*", "gclid", "jsessionid")]),
    trailing_slash=st.sampled_from(["keep", "strip", "add"]),
    keep_params=st.sampled_from([(), ("utm_id",)]),
    index_files=st.sampled_from([(), ("index.html", "index.php")]),
)


@settings(max_examples=400, deadline=None)
@given(
    raw=st.one_of(st.text(max_size=60), URLISH),
    base=st.sampled_from([None, "http://h.com/a/b", "https://x.org/"]),
)
def test_never_raises_on_any_string(raw: str, base: str | None) -> None:
    result = SITE(raw, base)
    assert result is None or result.startswith(("http://", "https://"))
    classify_href(raw)


@settings(max_examples=400, deadline=None)
@given(raw=URLISH, base=st.sampled_from([None, "http://h.com/a/b"]), normalize=RULES)
def test_idempotent(raw: str, base: str | None, normalize: UrlNormalizer) -> None:
    once = normalize(raw, base)
    if once is not None:
        assert normalize(once) == once
        assert normalize(once, "http://elsewhere.example/") == once

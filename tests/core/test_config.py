from pathlib import Path

import pytest

from linkwarehouse.config import ConfigError, expand_env, load_sites

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sites.yaml"
    path.write_text(text)
    return path


def test_committed_demo_config_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEMO_SITE_URL", raising=False)
    sites = load_sites(ROOT / "config" / "sites.yaml")
    demo = sites.site("demo")
    assert demo.start_urls == ["http://127.0.0.1:8765/"]
    assert demo.allowed_domains == ["127.0.0.1"]
    assert demo.crawl.allow_private_networks == ["127.0.0.1/32"]


def test_env_expansion(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_SITE_URL", "http://127.0.0.1:9999")
    assert load_sites(ROOT / "config" / "sites.yaml").site("demo").start_urls == ["http://127.0.0.1:9999/"]
    assert expand_env({"a": ["${NOPE:-x}"]}, {}) == {"a": ["x"]}
    with pytest.raises(ConfigError, match="NOPE"):
        expand_env("${NOPE}", {})


def test_error_names_file_site_and_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "sites:\n  - name: shop\n    start_urls: ['https://shop.example/']\n"
        "    crawl: {max_pages: 0, maxpages: 3}\n",
    )
    with pytest.raises(ConfigError) as err:
        load_sites(path)
    message = str(err.value)
    assert f"{path}: site 'shop': crawl.max_pages: Input should be greater than 0" in message
    assert f"{path}: site 'shop': crawl.maxpages: Extra inputs are not permitted" in message


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("sites: []", "sites: List should have at least 1 item"),
        ("- just a list", "expected a mapping"),
        ("sites:\n  - name: Bad Name\n    start_urls: ['https://x.example/']", "site 'Bad Name': name:"),
        (
            "sites:\n  - name: s\n    start_urls: ['/relative']",
            "site 's': start_urls: Value error, not an absolute",
        ),
        ("sites:\n  - name: s\n    start_urls: ['https://x/']\n    urls: {exclude: ['(']}", "invalid regex"),
        (
            "sites:\n  - name: s\n    start_urls: ['https://x/']\n"
            "    crawl: {allow_private_networks: [nope]}",
            "not a network",
        ),
        (
            "sites:\n  - name: s\n    start_urls: ['https://x/']\n  - name: s\n    start_urls: ['https://y/']",
            "duplicate",
        ),
        ("sites: [", "not valid YAML"),
        (
            "sites:\n  - name: s\n    start_urls: ['https://x/']\n"
            "    links: {sponsored_ugc_as_nofollow: maybe}",
            "site 's': links.sponsored_ugc_as_nofollow: Input should be a valid boolean",
        ),
        (
            "sites:\n  - name: s\n    start_urls: ['https://x/']\n    links: {ugc_followed: true}",
            "site 's': links.ugc_followed: Extra inputs are not permitted",
        ),
    ],
)
def test_invalid_configs(tmp_path: Path, body: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=None) as err:
        load_sites(write(tmp_path, body))
    assert fragment in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="sites file not found"):
        load_sites(tmp_path / "nope.yaml")


def test_defaults_and_hash(tmp_path: Path) -> None:
    sites = load_sites(
        write(tmp_path, "sites:\n  - name: s\n    start_urls: ['https://www.shop.example/en/']\n")
    )
    site = sites.site("s")
    assert site.allowed_domains == ["www.shop.example"]
    assert site.crawl.respect_robots is True
    assert site.crawl.allow_private_networks == []
    assert len(site.config_hash()) == 16
    assert site.normalizer()("https://www.shop.example/?utm_source=x") == "https://www.shop.example/"


def _site(tmp_path: Path, urls: str):
    body = f"sites:\n  - name: shop\n    start_urls: ['https://shop.example/']\n    urls: {urls}\n"
    return load_sites(write(tmp_path, body)).site("shop")


def test_site_strip_params_extend_the_builtin_list(tmp_path: Path) -> None:
    """The demo's list used to replace the defaults: msclkid, _ga and the session ids survived."""
    site = _site(tmp_path, "{strip_params: ['utm_*', 'gclid', 'fbclid', 'sessionid', 'ref']}")
    normalize = site.normalizer()
    raw = (
        "https://shop.example/p/;jsessionid=0A1B2C?PHPSESSID=5e1c&sid=b7&ASPSESSIONIDQACSTBSA=KHNP"
        "&CFID=1207&CFTOKEN=74a3&msclkid=m1&_ga=2.1&sessionid=s&ref=nav&utm_source=x&color=blue"
    )
    assert normalize(raw) == "https://shop.example/p/?color=blue"
    assert site.urls.stripped_patterns()[-1] == "ref"


def test_keep_params_remove_a_builtin_explicitly(tmp_path: Path) -> None:
    site = _site(tmp_path, "{keep_params: ['sid', 'utm_id']}")
    assert site.normalizer()("https://shop.example/story?sid=42&utm_id=7&utm_source=x&jsessionid=1") == (
        "https://shop.example/story?sid=42&utm_id=7"
    )
    assert _site(tmp_path, "{keep_params: ['*']}").normalizer()("https://shop.example/?gclid=1") == (
        "https://shop.example/?gclid=1"
    )


@pytest.mark.parametrize(
    ("urls", "fragment"),
    [
        ("{keep_params: ['phpsesid']}", "site 'shop': urls: Value error, keep_params: 'phpsesid' matches no"),
        ("{strip_params: ['  ']}", "site 'shop': urls.strip_params: Value error, empty parameter pattern"),
        ("{index_files: ['docs/index.html']}", "site 'shop': urls.index_files: Value error, not a plain"),
        ("{index_files: []}", "site 'shop': urls.index_files: List should have at least 1 item"),
    ],
)
def test_invalid_url_rules_name_site_and_key(tmp_path: Path, urls: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as err:
        _site(tmp_path, urls)
    assert f"{tmp_path / 'sites.yaml'}: {fragment}" in str(err.value)


def test_index_folding_is_off_by_default_and_lists_index_html_only(tmp_path: Path) -> None:
    assert _site(tmp_path, "{}").normalizer().index_files == ()
    site = _site(tmp_path, "{fold_index: true}")
    assert site.normalizer().index_files == ("index.html",)
    assert site.normalizer().index_directory("https://shop.example/more/index.htm") is None
    assert (
        _site(tmp_path, "{fold_index: true, index_files: [index.htm]}")
        .normalizer()
        .index_directory("https://shop.example/more/index.htm")
        == "https://shop.example/more/"
    )

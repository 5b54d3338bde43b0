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

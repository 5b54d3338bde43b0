"""Hostile and careless sites files: each one is refused at load time with file, site and key.

Every case asserts the whole message. The bounds table below is written by hand from
docs/reliability.md (not read from the model), so a bound changed in the code without the
documentation, or a new number added without a bound, fails here.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from linkwarehouse.config import ConfigError, SiteConfig, load_sites
from linkwarehouse.config_yaml import MAX_VALUES

ROOT = Path(__file__).resolve().parents[2]
SITE = "  - name: shop\n    start_urls: ['https://shop.example/']\n"
GOOGLE = {"ga4": "property_id: '1'", "gsc": "site_url: 'sc-domain:shop.example'"}

# key, "gt" (exclusive) or "ge" (inclusive) lower bound, lower, upper (inclusive), is float
BOUNDS: list[tuple[str, str, int, int, bool]] = [
    ("crawl.max_pages", "gt", 0, 10_000_000, False),
    ("crawl.max_depth", "ge", 0, 1_000, False),
    ("crawl.concurrency", "gt", 0, 256, False),
    ("crawl.delay", "ge", 0, 60, True),
    ("crawl.timeout", "gt", 0, 600, True),
    ("crawl.max_page_bytes", "gt", 0, 1_073_741_824, False),
    ("crawl.workers", "ge", 1, 16, False),
    ("crawl.retries", "ge", 0, 10, False),
    ("crawl.retry_backoff", "ge", 0, 600, True),
    ("crawl.retry_after_max", "ge", 0, 3_600, True),
    ("crawl.crawl_delay_max", "ge", 0, 3_600, True),
    ("crawl.max_redirects", "ge", 0, 50, False),
    ("crawl.max_url_length", "ge", 64, 65_536, False),
    ("crawl.trap_max_segment_repeats", "ge", 1, 100, False),
    ("crawl.trap_max_query_params", "ge", 1, 100, False),
    ("crawl.trap_max_pattern_urls", "ge", 1, 10_000_000, False),
    ("crawl.trap_volatile_param_pages", "ge", 2, 1_000_000, False),
    ("ga4.lookback_days", "ge", 1, 90, False),
    ("ga4.page_size", "gt", 0, 250_000, False),
    ("ga4.max_sleep_seconds", "ge", 0, 900, True),
    ("gsc.lookback_days", "ge", 1, 90, False),
    ("gsc.row_limit", "gt", 0, 25_000, False),
    ("gsc.max_sleep_seconds", "ge", 0, 900, True),
    ("alerts.min_new_orphans", "ge", 1, 10_000_000, False),
]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sites.yaml"
    path.write_text(text)
    return path


def with_key(key: str, value: str) -> str:
    """The shop site with ``key`` (``block.name``) set to the YAML text ``value``."""
    block, name = key.split(".")
    extra = f"{GOOGLE[block]}, " if block in GOOGLE else ""
    return f"sites:\n{SITE}    {block}: {{{extra}{name}: {value}}}\n"


def refusal(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as err:
        load_sites(write(tmp_path, text))
    return str(err.value)


def number_cases() -> list[tuple[str, str, str]]:
    """(key, YAML value, expected message tail) for NaN, infinities, booleans and both bounds."""
    cases = []
    for key, kind, low, high, _ in BOUNDS:
        below = low if kind == "gt" else low - 1
        relation = "greater than" if kind == "gt" else "greater than or equal to"
        cases += [
            (key, ".nan", "Input should be a finite number"),
            (key, ".inf", "Input should be a finite number"),
            (key, "-.inf", "Input should be a finite number"),
            (key, "yes", "Value error, expected a number, got a boolean"),
            (key, str(below), f"Input should be {relation} {low}"),
            (key, str(high + 1), f"Input should be less than or equal to {high}"),
            (key, "1" + "0" * 30, f"Input should be less than or equal to {high}"),
        ]
    return cases


@pytest.mark.parametrize(("key", "value", "tail"), number_cases())
def test_numbers_are_finite_and_bounded(tmp_path: Path, key: str, value: str, tail: str) -> None:
    path = tmp_path / "sites.yaml"
    assert refusal(tmp_path, with_key(key, value)) == f"{path}: site 'shop': {key}: {tail}"


@pytest.mark.parametrize(("key", "kind", "low", "high", "is_float"), BOUNDS)
def test_the_bounds_themselves_are_accepted(
    tmp_path: Path, key: str, kind: str, low: int, high: int, is_float: bool
) -> None:
    lowest = (0.001 if is_float else low + 1) if kind == "gt" else low
    block, name = key.split(".")
    for value in (lowest, high):
        site = load_sites(write(tmp_path, with_key(key, str(value)))).site("shop")
        assert getattr(getattr(site, block), name) == value


def numeric_fields(model: type[BaseModel], prefix: str = "") -> dict[str, dict[str, float]]:
    """Every int/float key of the schema with its declared bounds (``gt``/``ge``/``le``/``lt``)."""
    found: dict[str, dict[str, float]] = {}
    for name, field in model.model_fields.items():
        options = [field.annotation, *typing.get_args(field.annotation)]
        nested = [o for o in options if isinstance(o, type) and issubclass(o, BaseModel)]
        if nested:
            found.update(numeric_fields(nested[0], f"{prefix}{name}."))
        elif field.annotation in (int, float):
            found[prefix + name] = {
                kind: getattr(meta, kind)
                for meta in field.metadata
                for kind in ("gt", "ge", "lt", "le")
                if getattr(meta, kind, None) is not None
            }
    return found


def test_every_number_in_the_schema_is_bounded_as_documented() -> None:
    declared = numeric_fields(SiteConfig)
    expected = {key: {kind: low, "le": high} for key, kind, low, high, _ in BOUNDS}
    assert declared == expected


def test_documented_bounds_match_the_table() -> None:
    doc = (ROOT / "docs" / "reliability.md").read_text()
    rows = dict(re.findall(r"^\| `([a-z0-9_.]+)` \| ([^|]+?) \|", doc, re.MULTILINE))
    for key, kind, low, high, _ in BOUNDS:
        opening = ">" if kind == "gt" else "≥"
        assert rows.get(key) == f"{opening} {low:,} and ≤ {high:,}", key


def test_position_weights_are_finite_bounded_numbers(tmp_path: Path) -> None:
    path = tmp_path / "sites.yaml"
    head = f"sites:\n{SITE}    warehouse: {{equity: {{position_weights: "
    for value, tail in [
        ("{nav: .nan}", "warehouse.equity.position_weights.nav: Input should be a finite number"),
        ("{nav: .inf}", "warehouse.equity.position_weights.nav: Input should be a finite number"),
        ("{nav: -0.5}", "warehouse.equity.position_weights.nav: Input should be greater than or equal to 0"),
        ("{nav: 101}", "warehouse.equity.position_weights.nav: Input should be less than or equal to 100"),
        ("{nav: on}", "warehouse.equity.position_weights: Value error, weights are numbers, got a boolean"),
    ]:
        assert refusal(tmp_path, f"{head}{value}}}}}\n") == f"{path}: site 'shop': {tail}"


# Each hostile file once, as found: (id, file text, environment, message after "<file>: ").
BOMB = "\n".join(
    [
        "sites:",
        "  - name: shop",
        "    start_urls: ['https://shop.example/']",
        "    crawl:",
        "      user_agent: &a ['lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol']",
        *(
            f"      {name}: &{name} [{', '.join([f'*{previous}'] * 10)}]"
            for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
        ),
    ]
)
HOSTILE: list[tuple[str, str, dict[str, str], str]] = [
    (
        "alias_bomb",
        BOMB,
        {},
        "site 'shop': crawl.i.0: YAML aliases expand this value to 111,111,111 values;"
        f" a file may hold at most {MAX_VALUES:,}",
    ),
    (
        "recursive_alias",
        "sites:\n  - &site\n    name: shop\n    start_urls: ['https://shop.example/']\n    crawl: *site\n",
        {},
        "site 'shop': crawl: alias refers to a value that contains it (line 2)",
    ),
    (
        "duplicate_key_widens_private_networks",
        f"sites:\n{SITE}    crawl:\n      allow_private_networks: []\n      max_pages: 10\n"
        "      allow_private_networks: ['0.0.0.0/0']\n",
        {},
        "site 'shop': crawl.allow_private_networks: duplicate key (lines 5 and 7; YAML keeps only one)",
    ),
    (
        "duplicate_key_in_flow_mapping",
        f"sites:\n{SITE}    crawl: {{delay: 1, delay: 0}}\n",
        {},
        "site 'shop': crawl.delay: duplicate key (lines 4 and 4; YAML keeps only one)",
    ),
    (
        "duplicate_site_key",
        "sites:\n  - name: shop\n    start_urls: ['https://a.example/']\n    start_urls: ['https://b.example/']\n",
        {},
        "site 'shop': start_urls: duplicate key (lines 3 and 4; YAML keeps only one)",
    ),
    (
        "duplicate_top_level_key",
        f"sites:\n{SITE}sites:\n  - name: blog\n    start_urls: ['https://blog.example/']\n",
        {},
        "sites: duplicate key (lines 1 and 4; YAML keeps only one)",
    ),
    (
        "nested_too_deep",
        f"sites:\n{SITE}    crawl: {{user_agent: {'[' * 70}{']' * 70}}}\n",
        {},
        "site 'shop': crawl.user_agent" + ".0" * 61 + ": nested more than 64 levels deep",
    ),
    (
        "aliases_nest_too_deep",
        f"sites:\n{SITE}    crawl:\n      user_agent: &deep {'[' * 40}{']' * 40}\n"
        f"      x: {'[' * 30}*deep{']' * 30}\n",
        {},
        "site 'shop': crawl.x" + ".0" * 30 + ": nested more than 64 levels deep once aliases are expanded",
    ),
    (
        "stack_overflow_nesting",
        "sites: " + "[" * 5000 + "]" * 5000 + "\n",
        {},
        "nested more than 64 levels deep",
    ),
    (
        "unset_variable",
        f"sites:\n{SITE}  - name: blog\n    start_urls: ['${{BLOG_URL}}/']\n",
        {},
        "site 'blog': start_urls.0: environment variable BLOG_URL is not set and has no default",
    ),
    (
        "unset_variable_in_nested_key",
        f"sites:\n{SITE}    gsc: {{site_url: '${{GSC_PROPERTY}}'}}\n",
        {},
        "site 'shop': gsc.site_url: environment variable GSC_PROPERTY is not set and has no default",
    ),
    (
        "variable_expands_to_infinity",
        f"sites:\n{SITE}    crawl: {{delay: '${{CRAWL_DELAY}}'}}\n",
        {"CRAWL_DELAY": "inf"},
        "site 'shop': crawl.delay: Input should be a finite number",
    ),
    (
        "bad_cron",
        f"sites:\n{SITE}    schedule: {{crawl: 'every monday'}}\n",
        {},
        "site 'shop': schedule.crawl: Value error, not a cron expression or one of @continuous, @daily,"
        " @hourly, @monthly, @once, @quarterly, @weekly, @yearly: 'every monday'",
    ),
    (
        "python_object_tag",
        f"sites:\n{SITE}    crawl: !!python/object/apply:os.system ['true']\n",
        {},
        "site 'shop': crawl: unsupported YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' (line 4)",
    ),
    (
        "syntax_error",
        f"sites:\n{SITE}   crawl: {{delay: 1}}\n",
        {},
        "not valid YAML: line 4, column 4: expected <block end>, but found '<block mapping start>'"
        " (while parsing a block collection)",
    ),
    (
        "site_is_not_a_mapping",
        "sites:\n  - https://shop.example/\n",
        {},
        "site '#1': (site): Input should be a valid dictionary or instance of SiteConfig",
    ),
    (
        "block_is_null",
        f"sites:\n{SITE}    crawl:\n",
        {},
        "site 'shop': crawl: Input should be a valid dictionary or instance of CrawlLimits",
    ),
    ("empty_file", "", {}, "expected a mapping with a 'sites' list at the top level"),
    (
        "two_documents",
        f"sites:\n{SITE}---\nsites: []\n",
        {},
        "not valid YAML: line 4, column 1: but found another document"
        " (expected a single document in the stream)",
    ),
]


@pytest.mark.parametrize(("case", "text", "env", "message"), HOSTILE, ids=[case[0] for case in HOSTILE])
def test_hostile_files_are_refused_naming_file_site_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, text: str, env: dict[str, str], message: str
) -> None:
    for name in ("BLOG_URL", "GSC_PROPERTY", "CRAWL_DELAY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert refusal(tmp_path, text) == f"{tmp_path / 'sites.yaml'}: {message}"


def test_the_alias_bomb_is_refused_without_expanding_it(tmp_path: Path) -> None:
    """Nine levels of ten aliases in under 1 KB: counting them must not expand them (the
    message counts 1.1 billion values, which no walk of the expanded tree would reach)."""
    text = BOMB + "\n      j: &j [" + ", ".join(["*i"] * 10) + "]\n"
    assert len(text) < 1_000
    message = refusal(tmp_path, text)
    assert message.endswith(
        "crawl.j.0: YAML aliases expand this value to 1,111,111,111 values;"
        f" a file may hold at most {MAX_VALUES:,}"
    )


def test_aliases_within_the_bound_are_expanded(tmp_path: Path) -> None:
    text = (
        "sites:\n"
        "  - name: shop\n    start_urls: ['https://shop.example/']\n"
        "    crawl: &polite {delay: 2, max_pages: 50}\n"
        "  - name: blog\n    start_urls: ['https://blog.example/']\n"
        "    crawl: {<<: *polite, max_pages: 70}\n"
    )
    sites = load_sites(write(tmp_path, text))
    assert (sites.site("shop").crawl.delay, sites.site("shop").crawl.max_pages) == (2, 50)
    assert (sites.site("blog").crawl.delay, sites.site("blog").crawl.max_pages) == (2, 70)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfesites: []", "not UTF-8 text (byte 0)"),
        (b"#" * (10 * 1024 * 1024 + 1), "larger than 10 MiB; not a sites file"),
    ],
)
def test_unreadable_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "sites.yaml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as err:
        load_sites(path)
    assert str(err.value) == f"{path}: {message}"


def test_a_directory_is_not_a_sites_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_sites(tmp_path)
    assert str(err.value) == f"{tmp_path}: cannot read the sites file: Is a directory"

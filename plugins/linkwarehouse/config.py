"""``config/sites.yaml``: the sites to crawl and how, validated on load.

Errors name the file, the site and the key (``config/sites.yaml: site 'shop': crawl.max_pages:
Input should be greater than 0``) so a typo never reaches a crawl. ``${VAR}`` and
``${VAR:-default}`` are expanded from the environment so ports and hosts can differ between
machines; credentials never live here (they come from Airflow connections).
"""

from __future__ import annotations

import fnmatch
import hashlib
import ipaddress
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from linkwarehouse.config_yaml import YamlShapeError, describe_yaml_error, load_yaml
from linkwarehouse.urls import BUILTIN_STRIP_PARAMS, UrlNormalizer, normalize_url

SLUG = r"^[a-z][a-z0-9_]{0,62}$"
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ConfigError(ValueError):
    """The sites file cannot be used; the message says where and why."""


class _Strict(BaseModel):
    """Unknown keys are errors; numbers are finite (``.inf``/``.nan`` refused) and never booleans.

    Every number also has an upper bound where it is declared (docs/reliability.md lists them):
    ``delay: .inf`` or ``max_pages: 1e18`` would otherwise hang a crawl instead of failing here.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _numbers_are_not_booleans(cls, value: Any, info: ValidationInfo) -> Any:
        # YAML reads yes/no/on/off as booleans, which pydantic would quietly take as 1 and 0.
        field = cls.model_fields.get(info.field_name or "")
        if isinstance(value, bool) and field is not None and field.annotation in (int, float):
            raise ValueError("expected a number, got a boolean")
        return value


class CrawlLimits(_Strict):
    """How one site is crawled."""

    max_pages: Annotated[int, Field(gt=0, le=10_000_000)] = 100_000
    max_depth: Annotated[int, Field(ge=0, le=1_000)] = 100
    concurrency: Annotated[int, Field(gt=0, le=256)] = 8
    delay: Annotated[float, Field(ge=0, le=60)] = 0.0
    timeout: Annotated[float, Field(gt=0, le=600)] = 30.0
    max_page_bytes: Annotated[int, Field(gt=0, le=1 << 30)] = 10 * 1024 * 1024
    user_agent: str = "LinkWarehouseBot/0.1 (+https://github.com/linkwarehouse)"
    respect_robots: bool = True
    follow_nofollow: bool = Field(
        default=True,
        description=(
            "Also fetch the targets of links Google does not follow (see `links`); discovery only: "
            "depth, equity and orphans never pass through those links."
        ),
    )
    fetch_known_urls: bool = Field(
        default=True,
        description="Also fetch URLs known from the lake (previous crawl, GA4, GSC) once links run dry.",
    )
    workers: Annotated[int, Field(ge=1, le=16)] = Field(
        default=1,
        description="Crawl processes sharing the frontier (URL-hash partitioned); 2 uses two cores.",
    )
    autothrottle: bool = Field(
        default=False, description="Adapt the delay to the server's latency (Scrapy AutoThrottle)."
    )
    retries: Annotated[int, Field(ge=0, le=10)] = 2
    retry_backoff: Annotated[float, Field(ge=0, le=600)] = Field(
        default=1.0, description="Seconds before the first retry of a 5xx/429; doubled per retry."
    )
    retry_after_max: Annotated[float, Field(ge=0, le=3600)] = Field(
        default=60.0,
        description="Longest Retry-After honoured (and longest pause of a host answering 429/503); "
        "a longer one ends the retries.",
    )
    crawl_delay_max: Annotated[float, Field(ge=0, le=3600)] = Field(
        default=10.0,
        description="Longest robots.txt Crawl-delay honoured (seconds); 0 ignores Crawl-delay. "
        "crawl.delay stays the floor.",
    )
    max_redirects: Annotated[int, Field(ge=0, le=50)] = 10
    max_url_length: Annotated[int, Field(ge=64, le=65_536)] = 2048
    trap_max_segment_repeats: Annotated[int, Field(ge=1, le=100)] = Field(
        default=2, description="A path segment repeated more often than this marks a spider trap."
    )
    trap_max_query_params: Annotated[int, Field(ge=1, le=100)] = Field(
        default=5, description="More distinct query parameters than this marks a facet combination trap."
    )
    trap_max_pattern_urls: Annotated[int, Field(ge=1, le=10_000_000)] = Field(
        default=1000,
        description="Most URLs one calendar/facet pattern (path + parameter names, dates masked) may add.",
    )
    trap_volatile_param_pages: Annotated[int, Field(ge=2, le=1_000_000)] = Field(
        default=3,
        description="A query key whose value is different on each of at least this many pages (one value "
        "per page, shared by its links) is reported in crawl/runs.volatile_params.",
    )
    allow_private_networks: list[str] = Field(
        default_factory=list,
        description="CIDRs the crawler may connect to although they are not public (e.g. 127.0.0.1/32).",
    )

    @field_validator("allow_private_networks")
    @classmethod
    def _valid_networks(cls, value: list[str]) -> list[str]:
        for cidr in value:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError as exc:
                raise ValueError(f"not a network: {cidr!r}") from exc
        return value


class UrlRules(_Strict):
    """How URLs of one site are normalised and filtered.

    The URLs stripped are :data:`~linkwarehouse.urls.BUILTIN_STRIP_PARAMS` plus
    ``strip_params``, minus anything matching ``keep_params``: a site's list extends the
    built-in one, and a built-in the site needs (``sid`` as a story id) is kept explicitly.
    """

    strip_params: list[str] = Field(
        default_factory=list,
        description="Query keys and path parameter names (shell patterns) removed from every URL, "
        "in addition to the built-in tracking and session keys.",
    )
    keep_params: list[str] = Field(
        default_factory=list,
        description="Keys (shell patterns) never removed, even when a built-in or strip_params pattern "
        "matches them; each must match a stripped pattern ('*' keeps every parameter).",
    )
    trailing_slash: Literal["keep", "strip", "add"] = "keep"
    fold_index: bool = Field(
        default=False,
        description="Report /dir/<index file> as /dir/ when the crawl fetched both and they answered "
        "the same (status and content hash).",
    )
    index_files: Annotated[list[str], Field(min_length=1)] = Field(
        default_factory=lambda: ["index.html"],
        description="File names fold_index folds into their directory (exact, case-sensitive).",
    )
    expand_variants: bool = Field(
        default=False,
        description="Follow the links of a page whose rel=canonical names a parameter variant of its URL "
        "(default: the page is recorded as a variant of its canonical and not expanded).",
    )
    include: list[str] = Field(default_factory=list, description="Regexes; a URL must match one (if any).")
    exclude: list[str] = Field(default_factory=list, description="Regexes; a matching URL is not crawled.")
    crawl_params: list[str] | None = Field(
        default=None,
        description="Query parameter patterns a fetched URL may carry (null: any; []: no query URL).",
    )

    @field_validator("include", "exclude")
    @classmethod
    def _valid_regexes(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"invalid regex {pattern!r}: {exc}") from exc
        return value

    @field_validator("strip_params", "keep_params")
    @classmethod
    def _non_empty_patterns(cls, value: list[str]) -> list[str]:
        for pattern in value:
            if not pattern.strip():
                raise ValueError("empty parameter pattern")
        return value

    @field_validator("index_files")
    @classmethod
    def _plain_file_names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not name or "/" in name or name in (".", ".."):
                raise ValueError(f"not a plain file name: {name!r}")
        return value

    @model_validator(mode="after")
    def _keeps_something(self) -> UrlRules:
        stripped = self.stripped_patterns()
        for pattern in self.keep_params:
            key = pattern.lower()
            if not any(fnmatch.fnmatchcase(key, p) or fnmatch.fnmatchcase(p, key) for p in stripped):
                own = ", ".join(self.strip_params) or "none"
                raise ValueError(
                    f"keep_params: {pattern!r} matches no stripped pattern "
                    f"(built-in: {', '.join(BUILTIN_STRIP_PARAMS)}; strip_params: {own})"
                )
        return self

    def stripped_patterns(self) -> tuple[str, ...]:
        """Built-in patterns then the site's own, lower-cased, each once."""
        return tuple(dict.fromkeys(p.lower() for p in (*BUILTIN_STRIP_PARAMS, *self.strip_params)))


class _GoogleSource(_Strict):
    """What GA4 and Search Console extraction share: credentials, revision window, history.

    Recent days are revised by Google, so every run re-fetches the last ``lookback_days``.
    ``catchup``/``start_date`` decide whether Airflow backfills missed days from ``start_date``.
    ``max_sleep_seconds``: the longest a task sleeps before retrying a request; a longer wait
    (a quota that refills in 15 minutes, a long Retry-After) frees the worker and reschedules
    the task for that time instead.
    """

    conn_id: str = "google_cloud_default"
    lookback_days: Annotated[int, Field(ge=1, le=90)] = 4
    catchup: bool = False
    start_date: date | None = None
    max_sleep_seconds: Annotated[float, Field(ge=0, le=900)] = 180.0


class LinkRules(_Strict):
    """How this site's links are read (crawler and warehouse alike).

    A link is unfollowed (passes no equity, no click depth, no reachability) when its ``rel``
    has ``nofollow``, ``sponsored`` or ``ugc``, or its page says ``nofollow`` to Google in meta
    robots (``robots``/``googlebot``) or ``X-Robots-Tag`` (unscoped or ``googlebot:``). Every
    reason is kept per link (``nofollow_reason``) whatever this switch says.
    """

    sponsored_ugc_as_nofollow: bool = Field(
        default=True,
        description=(
            "rel=sponsored and rel=ugc count as not followed, as Google treats them (true); "
            "false counts them as followed unless another reason applies."
        ),
    )


class Ga4Source(_GoogleSource):
    property_id: Annotated[str, Field(pattern=r"^[0-9]+$")]
    page_size: Annotated[int, Field(gt=0, le=250_000)] = 100_000


class GscSource(_GoogleSource):
    """Search Console. ``min_age_days``: a scheduled run's newest day is this many days before
    the run's date (default 4 with ``data_state: final``, when Google has normally finalised
    it; 2 with ``all``, the last day already over in Pacific time)."""

    site_url: Annotated[str, Field(pattern=r"^(sc-domain:[^\s/]+|https?://\S+)$")]
    data_state: Literal["final", "all"] = "final"
    row_limit: Annotated[int, Field(gt=0, le=25_000)] = 25_000
    min_age_days: Annotated[int, Field(ge=1, le=30)] | None = None

    @property
    def newest_day_age(self) -> int:
        if self.min_age_days is not None:
            return self.min_age_days
        return 4 if self.data_state == "final" else 2


#: Schedule names Airflow accepts besides cron expressions (airflow.utils.dates.cron_presets).
SCHEDULE_PRESETS = frozenset(
    {"@once", "@continuous", "@hourly", "@daily", "@weekly", "@monthly", "@quarterly", "@yearly"}
)


class Schedules(_Strict):
    """Airflow schedules; checked here with the cron parser Airflow uses, so a typo is a config
    error naming the site and key instead of a DAG import error naming neither."""

    crawl: str | None = "@weekly"
    google: str | None = "@daily"

    @field_validator("crawl", "google")
    @classmethod
    def _valid_schedule(cls, value: str | None) -> str | None:
        from croniter import croniter

        if value is None or value in SCHEDULE_PRESETS or croniter.is_valid(value):
            return value
        raise ValueError(f"not a cron expression or one of {', '.join(sorted(SCHEDULE_PRESETS))}: {value!r}")


class AlertRoute(_Strict):
    """Where new-orphan alerts go: an Airflow HTTP connection id (webhook)."""

    webhook_conn_id: str | None = None
    endpoint: str = ""
    min_new_orphans: Annotated[int, Field(ge=1, le=10_000_000)] = 1


LinkPosition = Literal["content", "aside", "header", "nav", "footer"]


class EquityVariant(_Strict):
    """How the warehouse's equity columns model link equity for this site (dbt docs:
    link_definitions, "Equity variants"); the defaults are the plain internal PageRank.

    ``eligibility: screaming_frog`` passes the equity of redirecting and canonicalised URLs to
    their targets; ``nofollow: dilute`` lets nofollow links take their share and pass nothing
    (OnCrawl); ``position_weights`` splits a page's equity by link region (regions left out
    weigh 1), e.g. ``{content: 1.0, aside: 0.5, header: 0.3, nav: 0.3, footer: 0.2}``.
    """

    eligibility: Literal["all", "screaming_frog"] = "all"
    nofollow: Literal["ignore", "dilute"] = "ignore"
    position_weights: (
        dict[LinkPosition, Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]] | None
    ) = None

    @field_validator("position_weights", mode="before")
    @classmethod
    def _weights_are_numbers(cls, value: Any) -> Any:
        if isinstance(value, dict) and any(isinstance(weight, bool) for weight in value.values()):
            raise ValueError("weights are numbers, got a boolean")
        return value

    def is_plain(self) -> bool:
        return self.eligibility == "all" and self.nofollow == "ignore" and not self.position_weights


class WarehouseOptions(_Strict):
    """Per-site options of the warehouse build (passed to dbt as vars)."""

    equity: EquityVariant = Field(default_factory=EquityVariant)


class SiteConfig(_Strict):
    """One site. ``name`` is the slug used in DAG ids, lake partitions and marts."""

    name: Annotated[str, Field(pattern=SLUG)]
    start_urls: Annotated[list[str], Field(min_length=1)]
    allowed_domains: list[str] = Field(default_factory=list)
    sitemaps: list[str] = Field(default_factory=list)
    discover_sitemaps: bool = True
    crawl: CrawlLimits = Field(default_factory=CrawlLimits)
    urls: UrlRules = Field(default_factory=UrlRules)
    links: LinkRules = Field(default_factory=LinkRules)
    ga4: Ga4Source | None = None
    gsc: GscSource | None = None
    schedule: Schedules = Field(default_factory=Schedules)
    alerts: AlertRoute = Field(default_factory=AlertRoute)
    warehouse: WarehouseOptions = Field(default_factory=WarehouseOptions)

    @field_validator("start_urls", "sitemaps")
    @classmethod
    def _absolute_http(cls, value: list[str]) -> list[str]:
        for raw in value:
            if normalize_url(raw) is None:
                raise ValueError(f"not an absolute http(s) URL: {raw!r}")
        return value

    @model_validator(mode="after")
    def _domains_default_to_start_hosts(self) -> SiteConfig:
        if not self.allowed_domains:
            hosts = sorted({_hostname(url) for url in self.start_urls})
            object.__setattr__(self, "allowed_domains", hosts)
        return self

    def normalizer(self) -> UrlNormalizer:
        rules = self.urls
        return UrlNormalizer(
            strip_params=rules.stripped_patterns(),
            keep_params=tuple(rules.keep_params),
            trailing_slash=rules.trailing_slash,
            index_files=tuple(rules.index_files) if rules.fold_index else (),
        )

    def config_hash(self) -> str:
        """Stable hash of the effective settings, stored with each crawl."""
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def _hostname(url: str) -> str:
    from ada_url import URL

    return URL(url).hostname


class SitesFile(_Strict):
    sites: Annotated[list[SiteConfig], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique_names(self) -> SitesFile:
        names = [site.name for site in self.sites]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"duplicate site names: {', '.join(duplicates)}")
        return self

    def site(self, name: str) -> SiteConfig:
        for site in self.sites:
            if site.name == name:
                return site
        raise KeyError(f"no site named {name!r} (have: {', '.join(s.name for s in self.sites)})")


class UnsetVariableError(ConfigError):
    """A ``${VAR}`` without default names an unset variable; ``loc`` is the key path of the value."""

    def __init__(self, name: str, loc: tuple[str | int, ...]) -> None:
        super().__init__(f"environment variable {name} is not set and has no default")
        self.loc = loc


def expand_env(value: Any, environ: Mapping[str, str] | None = None) -> Any:
    """Expand ``${VAR}`` / ``${VAR:-default}`` in every string of a parsed YAML tree."""
    return _expand(value, os.environ if environ is None else environ, ())


def _expand(value: Any, env: Mapping[str, str], loc: tuple[str | int, ...]) -> Any:
    if isinstance(value, str):

        def sub(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in env and env[name] != "":
                return env[name]
            if default is not None:
                return default
            raise UnsetVariableError(name, loc)

        return _ENV_REF.sub(sub, value)
    if isinstance(value, list):
        return [_expand(item, env, (*loc, index)) for index, item in enumerate(value)]
    if isinstance(value, dict):
        return {key: _expand(item, env, (*loc, key)) for key, item in value.items()}
    return value


def _where(source: Path, loc: Sequence[Any], site_name: Callable[[int], object]) -> str:
    """``<file>: site '<name>': <key.path>`` (``site '#2'`` when the site has no usable name)."""
    parts = list(loc)
    where = ""
    if len(parts) >= 2 and parts[0] == "sites" and isinstance(parts[1], int):
        name = site_name(parts[1])
        where = f"site '{name if name is not None else f'#{parts[1] + 1}'}': "
        parts = parts[2:]
    key = ".".join(str(part) for part in parts)
    if not where:
        return f"{source}: {key}" if key else str(source)
    return f"{source}: {where}{key or '(site)'}"


def _site_name_in(data: Any) -> Callable[[int], object]:
    def name(index: int) -> object:
        try:
            return data["sites"][index].get("name")
        except (KeyError, IndexError, TypeError, AttributeError):
            return None

    return name


def _describe(path: Path, data: Any, error: ValidationError) -> str:
    return "\n".join(
        f"{_where(path, item['loc'], _site_name_in(data))}: {item['msg']}" for item in error.errors()
    )


def parse_sites(data: Any, source: Path) -> SitesFile:
    """Validate an already-parsed YAML tree; ``source`` is only used in messages."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping with a 'sites' list at the top level")
    try:
        expanded = expand_env(data)
    except UnsetVariableError as exc:
        raise ConfigError(f"{_where(source, exc.loc, _site_name_in(data))}: {exc}") from None
    try:
        return SitesFile.model_validate(expanded)
    except ValidationError as exc:
        raise ConfigError(_describe(source, expanded, exc)) from None


#: Largest sites file read; a thousand sites fit in a tenth of it.
MAX_FILE_BYTES = 10 * 1024 * 1024


def _read_text(source: Path) -> str:
    try:
        with source.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"{source}: sites file not found") from None
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read the sites file: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigError(f"{source}: larger than {MAX_FILE_BYTES >> 20} MiB; not a sites file")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{source}: not UTF-8 text (byte {exc.start})") from None


def load_sites(path: str | os.PathLike[str]) -> SitesFile:
    """Load and validate a sites file; raise :class:`ConfigError` naming file, site and key.

    YAML is read by :func:`~linkwarehouse.config_yaml.load_yaml`: duplicate keys, recursive
    aliases and aliases expanding past a size bound are refused before any value is built.
    """
    source = Path(path)
    text = _read_text(source)
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {describe_yaml_error(exc)}") from None
    except YamlShapeError as exc:
        refused = exc
        where = _where(source, refused.loc, lambda index: refused.scalar_at(("sites", index, "name")))
        raise ConfigError(f"{where}: {refused.message}") from None
    return parse_sites(data, source)

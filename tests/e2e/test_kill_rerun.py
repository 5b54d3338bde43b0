"""Kill the real processes at a step of each phase, rerun, and get the clean run's marts.

The pipeline under test is the one Airflow runs: ``python -m linkcrawler`` crawls a small site
into the lake, ``python -m linkwarehouse.warehouse`` builds and publishes the warehouse. A clean
history is built once: crawl ``C0`` of version 1 of the site, build, then crawl ``C1`` of
version 2 (a page lost its only link), build. The second crawl and build run with
``LINKWAREHOUSE_KILL_TRACE``, which lists every kill point (linkwarehouse.faults) they reach.

Each phase then replays the second half from the state after the first build, with
``LINKWAREHOUSE_KILL_AT`` set to one point of that phase, chosen from the clean trace by the
phase's seed, so the process SIGKILLs itself at exactly that step (no sleep races):

- crawl: the crawl dies mid-crawl; Airflow retries the same run (same crawl id);
- crawl publish: the crawl dies while publishing as an earlier run ``K`` that is never retried,
  leaving partitions without a crawl/runs row; the next run crawls ``C1``;
- dbt: the build (and dbt with it) dies during ``dbt build``; the next build runs;
- warehouse publish: the build dies while renaming exports and the warehouse into place.

After the rerun the marts (``warehouse/marts.duckdb``) and their Parquet exports must equal the
clean run's exactly, except ``site_kpis.started_at``/``finished_at`` (when the crawl ran), and
nothing the killed process left may remain: no staging folder, no partition without a runs
row, no build database or temp export. ``LINKWAREHOUSE_KILL_SEEDS="crawl=7,dbt=3"`` replays
other points locally.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from linkwarehouse.faults import KILL_AT_ENV, TRACE_ENV
from tests.crawler.conftest import Route, SiteServer, crawl_command, html, redirect

ROOT = Path(__file__).resolve().parents[2]
SITE = "shop"
C0, C1, K = "20260301T000000Z", "20260308T000000Z", "20260307T000000Z"
RUN_TIME_COLUMNS = {("site_kpis", "started_at"), ("site_kpis", "finished_at")}
# On this site and dbt project the seeds pick crawl.page@8, crawl.publish.partition@3 (three of
# seven tables published, no runs row), warehouse.dbt@118 (of 248 nodes), warehouse.publish.export@5.
SEEDS = {"crawl": 3, "crawl_publish": 7, "dbt": 9, "warehouse_publish": 7}

pytestmark = pytest.mark.integration

NAV = '<nav><a href="/">Home</a> <a href="/guides/">Guides</a> <a href="/products/">Products</a>{about}</nav>'


def page(body: str, head: str = "", about: bool = True) -> Route:
    nav = NAV.format(about=' <a href="/about">About</a>' if about else "")
    return html(f"<header>{nav}</header><main>{body}</main><footer><a href='/'>Home</a></footer>", head)


def routes(version: int) -> dict[str, Route]:
    """A 20-page site: hubs, a redirect, a 404, nofollow, canonical, hreflang, a sitemap-only page.

    Version 2 drops the only link to /about (it stays known from the previous crawl)."""
    about = version == 1
    guides = {
        f"/guides/{k}": page(
            f'<h1>Guide {k}</h1><a href="/guides/{k % 6 + 1}">next guide</a>'
            ' <a href="/guides/">all guides</a>',
            about=about,
        )
        for k in range(1, 7)
    }
    return {
        "/robots.txt": Route("User-agent: *\nSitemap: {BASE}/sitemap.xml\n", content_type="text/plain"),
        "/sitemap.xml": Route(
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(
                f"<url><loc>{{BASE}}{p}</loc></url>" for p in ("/", "/guides/", "/orphan", "/products/a")
            )
            + "</urlset>",
            content_type="application/xml",
        ),
        "/": page(
            '<a href="/guides/1">first guide</a> <a href="/guides/2">second guide</a> <a href="/old">old</a>'
            ' <a href="/missing">gone</a> <a href="/partner" rel="nofollow sponsored">partner</a>',
            '<link rel="alternate" hreflang="de" href="/de/">',
            about=about,
        ),
        "/guides/": page("".join(f'<a href="/guides/{k}">guide {k}</a> ' for k in range(1, 7)), about=about),
        **guides,
        "/products/": page(
            '<a href="/products/a">A</a> <a href="/products/b">B</a>'
            ' <a href="/products/b?color=red">B red</a>',
            about=about,
        ),
        "/products/a": page("<p>A</p>", about=about),
        "/products/b": page("<p>B</p>", about=about),
        "/products/b?color=red": page(
            "<p>B red</p>", '<link rel="canonical" href="/products/b">', about=about
        ),
        "/about": page("<p>about us</p>", about=about),
        "/partner": page("<p>partner</p>", about=about),
        "/de/": page("<p>Hallo</p>", '<link rel="alternate" hreflang="en" href="/">', about=about),
        "/orphan": page('<a href="/guides/1">a guide</a>', about=about),
        "/old": redirect(301, "/guides/3"),
        "/missing": Route("<html><body>not here</body></html>", status=404),
    }


@dataclass
class Paths:
    """One pipeline state: its lake, warehouse and sites file."""

    base: Path
    config: Path

    @property
    def lake(self) -> Path:
        return self.base / "lake"

    @property
    def warehouse(self) -> Path:
        return self.base / "warehouse"

    def copy(self, target: Path) -> Paths:
        shutil.copytree(self.base, target, ignore=shutil.ignore_patterns(".build.lock"))
        return Paths(target, self.config)


def crawl(paths: Paths, crawl_id: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        crawl_command(paths.config, SITE, crawl_id, paths.lake),
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
        check=False,
    )


def build(paths: Paths, **env: str) -> subprocess.CompletedProcess[str]:
    """A warehouse build in its own session, so nothing it started can outlive the test."""
    process = subprocess.Popen(
        [sys.executable, "-m", "linkwarehouse.warehouse"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={
            **os.environ,
            "LINKWAREHOUSE_CONFIG": str(paths.config),
            "LINKWAREHOUSE_LAKE": str(paths.lake),
            "LINKWAREHOUSE_WAREHOUSE": str(paths.warehouse),
            "LINKWAREHOUSE_DBT_PROJECT": str(ROOT / "dbt_project"),
            **env,
        },
    )
    try:
        stdout, stderr = process.communicate(timeout=600)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def killed(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == -signal.SIGKILL, result.stdout[-3000:] + result.stderr[-3000:]


def relation_rows(con: duckdb.DuckDBPyConnection, relation: str, table: str) -> list[tuple]:
    columns = [
        name for name in con.sql(f"select * from {relation}").columns if (table, name) not in RUN_TIME_COLUMNS
    ]
    return con.sql(f"select {', '.join(columns)} from {relation} order by all").fetchall()


def published(paths: Paths) -> dict[str, dict[str, list[tuple]]]:
    """Every mart of marts.duckdb and every Parquet export, rows sorted, run-time columns dropped."""
    marts = paths.warehouse / "marts.duckdb"
    with duckdb.connect(str(marts), read_only=True) as con:
        tables = [
            name
            for (name,) in con.sql(
                "select table_name from duckdb_tables() where schema_name = 'main'"
            ).fetchall()
        ]
        content = {"marts": {table: relation_rows(con, table, table) for table in tables}}
    with duckdb.connect() as con:
        content["exports"] = {
            export.stem: relation_rows(con, f"read_parquet('{export}')", export.stem)
            for export in sorted((paths.warehouse / "exports").glob("*.parquet"))
        }
    return content


def leftovers(paths: Paths) -> list[str]:
    """What a killed process may leave behind and the rerun must have removed."""
    found = []
    staging = paths.lake / "_staging"
    found += [f"lake staging {p.name}" for p in staging.iterdir()] if staging.exists() else []
    committed = {p.stem for p in (paths.lake / f"crawl/runs/site={SITE}").glob("*.parquet")}
    for partition in sorted(paths.lake.glob(f"crawl/*/site={SITE}/crawl_id=*")):
        if partition.name.split("=", 1)[1] not in committed:
            found.append(f"orphan partition {partition.relative_to(paths.lake)}")
    found += [f"build file {p.name}" for p in (paths.warehouse / "build").glob("*.duckdb*")]
    found += [f"export temp {p.name}" for p in (paths.warehouse / "exports").glob(".*")]
    return found


@dataclass
class Clean:
    """The state after the first build (where every scenario starts), the lake after the clean
    second crawl, the clean run's published marts and exports, and its kill-point traces."""

    after_first_build: Paths
    after_second_crawl: Paths
    published: dict[str, dict[str, list[tuple]]]
    crawl_trace: list[str]
    build_trace: list[str]


@pytest.fixture(scope="module")
def server() -> SiteServer:
    with SiteServer(routes(1)) as site:
        yield site


@pytest.fixture(scope="module")
def clean(server: SiteServer, tmp_path_factory: pytest.TempPathFactory) -> Clean:
    root = tmp_path_factory.mktemp("kill-rerun")
    config = root / "sites.yaml"
    config.write_text(
        f"sites:\n  - name: {SITE}\n    start_urls: ['{server.base}/']\n"
        "    crawl: {concurrency: 4, allow_private_networks: ['127.0.0.1/32']}\n"
    )
    paths = Paths(root / "clean", config)
    server.routes = routes(1)
    ok(crawl(paths, C0))
    ok(build(paths))
    first = paths.copy(root / "after-first-build")
    server.routes = routes(2)
    ok(crawl(paths, C1, **{TRACE_ENV: str(root / "crawl.trace")}))
    second = paths.copy(root / "after-second-crawl")
    ok(build(paths, **{TRACE_ENV: str(root / "build.trace")}))
    assert leftovers(paths) == []
    return Clean(
        first,
        second,
        published(paths),
        (root / "crawl.trace").read_text().splitlines(),
        (root / "build.trace").read_text().splitlines(),
    )


def phase_points(clean: Clean, phase: str) -> list[str]:
    """``point@n`` for every step of ``phase`` in the clean run, in order."""
    trace = clean.crawl_trace if phase.startswith("crawl") else clean.build_trace
    marker = "crawl.publish.start" if phase.startswith("crawl") else "warehouse.publish.start"
    split = trace.index(marker)
    if phase == "crawl":
        indexes = range(split)
    elif phase == "crawl_publish":  # up to the crawl/runs row: after it the crawl is published
        indexes = range(split, trace.index("crawl.publish.runs"))
    elif phase == "dbt":
        indexes = range(split)
    else:
        indexes = range(split, len(trace))
    return [f"{trace[i]}@{trace[: i + 1].count(trace[i])}" for i in indexes]


def seeds() -> dict[str, int]:
    chosen = dict(SEEDS)
    for item in filter(None, os.environ.get("LINKWAREHOUSE_KILL_SEEDS", "").split(",")):
        phase, _, seed = item.partition("=")
        chosen[phase.strip()] = int(seed)
    return chosen


def test_each_phase_has_kill_points(clean: Clean) -> None:
    points = {phase: phase_points(clean, phase) for phase in SEEDS}
    pages = [p for p in points["crawl"] if p.startswith("crawl.page@")]
    # A page row per route but robots.txt, the sitemap and /de/ (named only by hreflang).
    assert len(pages) == len(routes(2)) - 3
    assert {p.split("@")[0] for p in points["crawl"]} == {"crawl.page", "lake.part"}  # staged parts
    assert [p for p in points["crawl_publish"] if not p.startswith("lake.part")] == [
        "crawl.publish.start@1",
        *(f"crawl.publish.partition@{n}" for n in range(1, 8)),
    ]
    assert points["dbt"][0] == "warehouse.seeded@1" and points["dbt"][-1] == "warehouse.checked@1"
    assert len([p for p in points["dbt"] if p.startswith("warehouse.dbt@")]) > 100
    assert points["warehouse_publish"] == [
        "warehouse.publish.start@1",
        *(f"warehouse.publish.export@{n}" for n in range(1, len(clean.published["exports"]) + 1)),
        "warehouse.publish.marts@1",
        "warehouse.publish.done@1",
    ]


@pytest.mark.parametrize("phase", list(SEEDS))
def test_a_kill_then_a_rerun_publishes_the_clean_marts(
    phase: str, clean: Clean, server: SiteServer, tmp_path: Path
) -> None:
    points = phase_points(clean, phase)
    point = points[random.Random(seeds()[phase]).randrange(len(points))]
    kill = {KILL_AT_ENV: point}
    server.routes = routes(2)

    if phase in ("crawl", "crawl_publish"):
        paths = clean.after_first_build.copy(tmp_path / "run")
        killed(crawl(paths, C1 if phase == "crawl" else K, **kill))
        assert leftovers(paths), f"the kill at {point} left nothing to clean up"
        ok(crawl(paths, C1))
        ok(build(paths))
        assert not list(paths.lake.glob(f"crawl/*/site={SITE}/crawl_id={K}"))
    else:
        paths = clean.after_second_crawl.copy(tmp_path / "run")
        killed(build(paths, **kill))
        ok(build(paths))

    assert leftovers(paths) == [], f"after a kill at {point}"
    assert published(paths) == clean.published, f"after a kill at {point}"

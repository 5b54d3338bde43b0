"""PageRank and click depth of a generated 1M-page / 20M-link site: the warehouse vs igraph vs scipy.

Generates the site as lake Parquet in the crawler's layout (crawl/pages, crawl/links, crawl/runs,
100,000-row part files and _SUCCESS manifests), then times in the same run, each in its own
process (peak RSS per process):

  (a) ours:   the warehouse's graph step as it runs in the build - `dbt run` of int_graph_crawls,
              int_graph_nodes and int_graph_metrics (with their staging views) from the lake to
              the written table; the figure is dbt's own execution time of those nodes
  (b) igraph: the same id mapping, graph build (simplify), PRPACK PageRank, BFS
  (c) scipy:  a ~20-line reference - DuckDB read + id mapping, CSR power iteration to an L1
              change < 1e-10, csgraph.breadth_first_order

and checks that all three agree: identical depths, max abs PageRank difference and L1 distance
(< 1e-10 against the scipy reference), Spearman correlation of the rankings.

    .venv/bin/python bench/graph_metrics.py [--pages 1000000] [--links 20000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from linkwarehouse.lake import ensure_placeholders
from linkwarehouse.lake.schemas import CRAWL_LINKS, CRAWL_PAGES, CRAWL_RUNS, SCHEMA_VERSION, LakeTable
from linkwarehouse.warehouse import dbt_executable

ROOT = Path(__file__).resolve().parents[1]
SITE, CRAWL_ID = "bench", "c1"
BASE = "https://www.bench.example"
START_URL = f"{BASE}/s0/page-0/"
PART_ROWS = 100_000  # the lake writer's default batch: one part file per 100,000 rows
NAV_LINKS = 10
GRAPH_MODELS = ("stg_crawl__pages", "stg_crawl__links", "stg_crawl__runs", "int_graph_crawls")
GRAPH_MODELS += ("int_graph_nodes", "int_graph_metrics")


# Generation --------------------------------------------------------------------------------------


def _write_partition(lake: Path, table: LakeTable, partition: dict[str, str], arrow: pa.Table) -> None:
    folder = lake / table.name
    for key in table.partition_by:
        folder = folder / f"{key}={partition[key]}"
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for number, offset in enumerate(range(0, max(arrow.num_rows, 1), PART_ROWS)):
        files.append(f"part-{number:05d}.parquet")
        pq.write_table(arrow.slice(offset, PART_ROWS), folder / files[-1], compression="zstd")
    manifest = {
        "table": table.name,
        "partition": partition,
        "rows": arrow.num_rows,
        "files": files,
        "schema_version": SCHEMA_VERSION,
        "run_id": "bench",
        "written_at": datetime.now(UTC).isoformat(),
    }
    (folder / "_SUCCESS").write_text(json.dumps(manifest))


def _full_table(table: LakeTable, columns: dict[str, pa.Array], rows: int) -> pa.Table:
    arrays = [
        columns[field.name] if field.name in columns else pa.nulls(rows, field.type) for field in table.schema
    ]
    return pa.Table.from_arrays(arrays, schema=table.schema)


def generate(lake: Path, pages: int, links: int, seed: int = 1) -> int:
    """Write one crawl of a site graph; returns the number of link rows.

    Shape: a 10-ary tree from the home page (so depth grows like a real site's), 10 navigation
    links on every page to the first hubs, and the remaining links from random pages to targets
    skewed towards low ids (a few strong pages). 1 % of pages redirect, 0.5 % are 404; of the
    links 1 % are nofollow, 2 % external, 0.2 % point at internal URLs the crawl never fetched
    and 0.3 % are self-links.
    """
    rng = np.random.default_rng(seed)
    ids = np.arange(pages)
    urls = pc.binary_join_element_wise(
        BASE + "/s",
        pc.cast(pa.array(ids % 97), pa.string()),
        "/page-",
        pc.cast(pa.array(ids), pa.string()),
        "/",
        "",
    )
    draw = rng.random(pages)
    status = np.where(draw < 0.01, 301, np.where(draw < 0.015, 404, 200)).astype(np.int32)
    status[: NAV_LINKS + 1] = 200
    redirect_to = rng.integers(0, pages, pages)
    is_redirect = pa.array(status == 301)
    ok = np.flatnonzero(status == 200)

    tree_sources, tree_targets = (ids[1:] - 1) // 10, ids[1:]
    fetched = status[tree_sources] == 200
    tree_sources, tree_targets = tree_sources[fetched], tree_targets[fetched]
    nav_sources = np.repeat(ok, NAV_LINKS)
    nav_targets = np.tile(np.arange(1, NAV_LINKS + 1), ok.size)
    rest = max(links - tree_sources.size - nav_sources.size, 0)
    random_sources = ok[rng.integers(0, ok.size, rest)]
    random_targets = np.floor(pages * rng.random(rest) ** 2.5).astype(np.int64)
    sources = np.concatenate([tree_sources, nav_sources, random_sources])
    targets = np.concatenate([tree_targets, nav_targets, random_targets])
    in_nav = np.concatenate(
        [np.zeros(tree_sources.size, bool), np.ones(nav_sources.size, bool), np.zeros(rest, bool)]
    )
    order = np.argsort(sources, kind="stable")  # a crawler writes a page's links together
    sources, targets, in_nav = sources[order], targets[order], in_nav[order]
    n = sources.size

    kind = rng.random(n)
    nofollow = kind < 0.01
    external = (kind >= 0.01) & (kind < 0.03)
    unfetched = (kind >= 0.03) & (kind < 0.032)
    targets = np.where((kind >= 0.032) & (kind < 0.035), sources, targets)
    starts = np.r_[0, np.flatnonzero(np.diff(sources)) + 1]
    ordinal = (np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n])) + 1).astype(np.int32)
    target_ids = pc.cast(pa.array(targets), pa.string())
    target_urls = pc.if_else(
        pa.array(external),
        pc.binary_join_element_wise("https://elsewhere.example/p", target_ids, ""),
        pc.if_else(
            pa.array(unfetched),
            pc.binary_join_element_wise(BASE + "/not-fetched/", target_ids, ""),
            urls.take(pa.array(targets)),
        ),
    )
    positions = pa.DictionaryArray.from_arrays(pa.array(in_nav.astype(np.int8)), pa.array(["content", "nav"]))
    link_table = _full_table(
        CRAWL_LINKS,
        {
            "source_url": urls.take(pa.array(sources)),
            "target_url": target_urls,
            "raw_href": target_urls,
            "href_kind": pa.repeat(pa.scalar("http"), n),
            "anchor_text": pa.repeat(pa.scalar("read more"), n),
            "kind": pa.repeat(pa.scalar("a"), n),
            "rel": pa.array([[], ["nofollow"]], pa.list_(pa.string())).take(
                pa.array(nofollow.astype(np.int8))
            ),
            "nofollow": pa.array(nofollow),
            "nofollow_reason": pa.array([[], ["rel_nofollow"]], pa.list_(pa.string())).take(
                pa.array(nofollow.astype(np.int8))
            ),
            "position": positions.cast(pa.string()),
            "ordinal": pa.array(ordinal),
            "is_internal": pa.array(~external),
        },
        n,
    )
    fetched_at = datetime(2026, 1, 5, tzinfo=UTC)
    locations = urls.take(pa.array(redirect_to))
    page_table = _full_table(
        CRAWL_PAGES,
        {
            "url": urls,
            "final_url": pc.if_else(is_redirect, locations, urls),
            "status": pa.array(status),
            "content_type": pa.repeat(pa.scalar("text/html; charset=utf-8"), pages),
            "redirect_location": pc.if_else(is_redirect, locations, pa.nulls(pages, pa.string())),
            "fetched_at": pa.repeat(pa.scalar(fetched_at, pa.timestamp("us", tz="UTC")), pages),
            "found_via": pa.repeat(pa.scalar("link"), pages),
        },
        pages,
    )
    partition = {"site": SITE, "crawl_id": CRAWL_ID}
    _write_partition(lake, CRAWL_PAGES, partition, page_table)
    _write_partition(lake, CRAWL_LINKS, partition, link_table)
    run = {
        "crawl_id": CRAWL_ID,
        "started_at": fetched_at,
        "finished_at": fetched_at,
        "pages": pages,
        "links": n,
        "errors": 0,
        "stop_reason": "finished",
        "config_hash": "bench",
        "start_urls": [START_URL],
        "user_agent": "bench",
    }
    folder = lake / "crawl/runs" / f"site={SITE}"
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist([run], schema=CRAWL_RUNS.schema), folder / f"{CRAWL_ID}.parquet")
    ensure_placeholders(lake)
    return n


# (a) the warehouse's graph step ---------------------------------------------------------------


def run_ours(lake: Path, workdir: Path) -> dict[str, Any]:
    """Time the graph models the way a build runs them; results are read later (parent stays small)."""
    database, target = workdir / "ours.duckdb", workdir / "dbt-target"
    project = ROOT / "dbt_project"
    command = [dbt_executable(), "run", "--select", "+int_graph_metrics"]
    command += ["--project-dir", str(project), "--profiles-dir", str(project), "--target-path", str(target)]
    command += ["--log-path", str(workdir / "dbt-logs"), "--no-use-colors"]
    env = {**os.environ, "LINKWAREHOUSE_LAKE": str(lake), "LINKWAREHOUSE_DUCKDB_PATH": str(database)}
    wall, rss = _wait_rss(command, env, cwd=project)
    results = json.loads((target / "run_results.json").read_text())["results"]
    per_model = {item["unique_id"].rsplit(".", 1)[-1]: float(item["execution_time"]) for item in results}
    return {
        "seconds": sum(per_model[name] for name in GRAPH_MODELS),
        "per_model": per_model,
        "dbt_wall": wall,
        "rss_mb": rss,
        "database": database,
    }


def read_ours(result: dict[str, Any]) -> None:
    with duckdb.connect(str(result["database"]), read_only=True) as con:
        table = con.sql(
            "select internal_pagerank, coalesce(click_depth, -1) as click_depth, pagerank_iterations "
            "from intermediate.int_graph_metrics order by node_id"
        ).fetchnumpy()
    result["pagerank"] = table["internal_pagerank"]
    result["depth"] = table["click_depth"]
    result["iterations"] = int(table["pagerank_iterations"][0])


def _wait_rss(command: list[str], env: dict[str, str], cwd: Path | None = None) -> tuple[float, float]:
    """Run ``command`` to completion; (wall seconds, its peak RSS in MB) via wait4."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if process.returncode:
        raise SystemExit(f"{command[0]} failed (exit {process.returncode}):\n{output.decode()[-4000:]}")
    return wall, usage.ru_maxrss / 1024


# (b) igraph and (c) the scipy reference, each run in a child process ---------------------------


def read_graph(lake: Path) -> tuple[int, np.ndarray, np.ndarray, int]:
    """Node ids in URL order and the followed edges, mapped by DuckDB as the warehouse maps them.

    The "followed" test is returned as a column, not applied in a WHERE: with it in a WHERE,
    DuckDB underestimates the links and builds the join's hash table on them (see
    int_graph_metrics.sql), which would make this reference slower than it needs to be.
    """
    con = duckdb.connect()
    pages = f"read_parquet('{lake}/crawl/pages/*/*/*.parquet', hive_partitioning = true)"
    links = f"read_parquet('{lake}/crawl/links/*/*/*.parquet', hive_partitioning = true)"
    con.execute(
        "create table nodes as select url, status, redirect_location, "
        f"cast(row_number() over (order by url) - 1 as integer) as id from {pages}"
    )
    edges = con.execute(
        f"""
        select s.id as src, t.id as dst, l.is_internal and not l.nofollow and s.id != t.id as followed
        from {links} as l join nodes as s on l.source_url = s.url join nodes as t on l.target_url = t.url
        union all
        select s.id, t.id, s.id != t.id from nodes as s join nodes as t on s.redirect_location = t.url
        where s.status between 300 and 399
        """
    ).fetchnumpy()
    keep = edges["followed"]
    n = con.execute("select count(*) from nodes").fetchone()[0]
    start = con.execute("select id from nodes where url = ?", [START_URL]).fetchone()[0]
    return n, edges["src"][keep], edges["dst"][keep], start


def scipy_reference(lake: Path) -> tuple[np.ndarray, np.ndarray, int]:
    import scipy.sparse as sp
    from scipy.sparse import csgraph

    n, src, dst, start = read_graph(lake)
    adjacency = sp.csr_array((np.ones(src.size), (src, dst)), shape=(n, n))
    adjacency.sum_duplicates()
    adjacency.data[:] = 1.0
    out_degree = np.diff(adjacency.indptr)
    spread = (sp.diags_array(1.0 / np.maximum(out_degree, 1)) @ adjacency).T.tocsr()
    dangling = out_degree == 0
    scores, change, iterations = np.full(n, 1.0 / n), 1.0, 0
    while change >= 1e-10:
        updated = 0.85 * (spread @ scores) + (0.85 * scores[dangling].sum() + 0.15) / n
        change, scores, iterations = np.abs(updated - scores).sum(), updated, iterations + 1
    order, predecessors = csgraph.breadth_first_order(
        adjacency, start, directed=True, return_predecessors=True
    )
    depth = np.full(n, -1)
    depth[start] = 0
    pending = order[1:]
    while pending.size:  # BFS order is level by level: a node's depth is its predecessor's + 1
        known = depth[predecessors[pending]] >= 0
        depth[pending[known]] = depth[predecessors[pending[known]]] + 1
        pending = pending[~known]
    return scores, depth, iterations


def igraph_reference(lake: Path) -> tuple[np.ndarray, np.ndarray, int]:
    import igraph

    n, src, dst, start = read_graph(lake)
    graph = igraph.Graph(n=n, edges=np.column_stack([src, dst]), directed=True)
    graph.simplify(multiple=True, loops=True)
    scores = np.array(graph.pagerank(damping=0.85, directed=True, implementation="prpack"))
    vertices, layers, _ = graph.bfs(start, mode="out")
    depth = np.full(n, -1)
    for level, (begin, end) in enumerate(itertools.pairwise(layers)):
        depth[vertices[begin:end]] = level
    return scores, depth, 0


def worker(kind: str, lake: Path, out: Path) -> None:
    started = time.perf_counter()
    scores, depth, iterations = (scipy_reference if kind == "scipy" else igraph_reference)(lake)
    seconds = time.perf_counter() - started
    np.savez(out, scores=scores, depth=depth, seconds=seconds, iterations=iterations)


def run_reference(kind: str, lake: Path, workdir: Path) -> dict[str, Any]:
    out = workdir / f"{kind}.npz"
    command = [sys.executable, __file__, "--worker", kind, "--lake", str(lake), "--out", str(out)]
    _, rss = _wait_rss(command, dict(os.environ))
    return {"rss_mb": rss, "out": out}


def read_reference(result: dict[str, Any]) -> None:
    data = np.load(result["out"])
    result.update(
        seconds=float(data["seconds"]),
        pagerank=data["scores"],
        depth=data["depth"],
        iterations=int(data["iterations"]),
    )


# Comparison and report --------------------------------------------------------------------------


def agreement(ours: np.ndarray, other: np.ndarray) -> tuple[float, float, float]:
    from scipy.stats import spearmanr

    return (
        float(np.abs(ours - other).max()),
        float(np.abs(ours - other).sum()),
        float(spearmanr(ours, other)[0]),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1_000_000)
    parser.add_argument("--links", type=int, default=20_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="generate into (or reuse) this folder and keep it")
    parser.add_argument("--worker", choices=["scipy", "igraph", "generate"], help=argparse.SUPPRESS)
    parser.add_argument("--lake", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "generate":
        rows = generate(args.lake, args.pages, args.links, args.seed)
        args.out.write_text(str(rows))
        return
    if args.worker:
        worker(args.worker, args.lake, args.out)
        return

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="graph-metrics-"))
    lake = workdir / "lake"
    try:
        memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        print(f"machine: {os.cpu_count()} CPUs, {memory_gb:.0f} GB")
        if (lake / "crawl/runs").exists():
            print(f"reusing the lake in {lake}")
        else:
            # In a child: a forked process inherits its parent's peak RSS, which would inflate the others'.
            started = time.perf_counter()
            count = workdir / "rows.txt"
            command = [
                sys.executable,
                __file__,
                "--worker",
                "generate",
                "--lake",
                str(lake),
                "--out",
                str(count),
            ]
            command += ["--pages", str(args.pages), "--links", str(args.links), "--seed", str(args.seed)]
            subprocess.run(command, check=True)
            rows = int(count.read_text())
            seconds = time.perf_counter() - started
            print(f"generated {args.pages:,} pages / {rows:,} link rows in {seconds:.1f}s: {lake}")
        for leftover in workdir.glob("ours.duckdb*"):
            leftover.unlink()
        ours = run_ours(lake, workdir)
        ref = run_reference("scipy", lake, workdir)
        graph = run_reference("igraph", lake, workdir)
        read_ours(ours)
        read_reference(ref)
        read_reference(graph)

        print("\n(a) ours, dbt execution time per node of the graph step:")
        for name in GRAPH_MODELS:
            print(f"      {name:<22} {ours['per_model'][name]:7.2f}s")
        print(
            f"    total {ours['seconds']:.2f}s (dbt process with start-up {ours['dbt_wall']:.1f}s), ", end=""
        )
        print(f"{ours['iterations']} iterations to L1 < 1e-12, peak RSS {ours['rss_mb']:,.0f} MB")
        print(f"(b) igraph PRPACK + BFS incl. read and graph build: {graph['seconds']:.2f}s, "
              f"peak RSS {graph['rss_mb']:,.0f} MB")  # fmt: skip
        print(f"(c) scipy reference incl. read: {ref['seconds']:.2f}s, {ref['iterations']} iterations to "
              f"L1 < 1e-10, peak RSS {ref['rss_mb']:,.0f} MB")  # fmt: skip

        depth_ok = np.array_equal(ours["depth"], ref["depth"]) and np.array_equal(
            ref["depth"], graph["depth"]
        )
        max_ref, l1_ref, rho_ref = agreement(ours["pagerank"], ref["pagerank"])
        max_ig, l1_ig, rho_ig = agreement(ours["pagerank"], graph["pagerank"])
        unreachable, deepest = int((ours["depth"] < 0).sum()), int(ours["depth"].max())
        print(f"\nagreement: depths identical in all three: {depth_ok}; ", end="")
        print(f"unreachable {unreachable:,}, deepest {deepest}")
        print(f"  ours vs scipy:  max |diff| {max_ref:.2e}, L1 {l1_ref:.2e}, Spearman {rho_ref:.12f}")
        print(f"  ours vs igraph: max |diff| {max_ig:.2e}, L1 {l1_ig:.2e}, Spearman {rho_ig:.12f}")
        if not depth_ok or l1_ref >= 1e-10 or max_ig >= 1e-9:
            raise SystemExit("the three implementations disagree")
        ratio = ours["seconds"] / ref["seconds"]
        print(
            f"RESULT ratio={ratio:.2f} vs_igraph={ours['seconds'] / graph['seconds']:.2f} "
            f"ours_s={ours['seconds']:.2f} ref_s={ref['seconds']:.2f} igraph_s={graph['seconds']:.2f} "
            f"rss_mb={ours['rss_mb']:.0f} spearman={min(rho_ref, rho_ig):.12f}"
        )
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

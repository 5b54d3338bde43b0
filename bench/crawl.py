"""Crawl a generated 20,000-page site served by nginx with our crawler, wget and advertools.

The site (written to a temporary folder) has ~8 KB pages with ~40 internal links each: header,
nav, footer and body links, every page reachable from ``/`` within a few clicks. nginx (the
Debian package, installed with apt-get when missing) serves it from an unprivileged config on
127.0.0.1 and a free port. Three crawlers fetch the whole site in turn:

- ours: ``python -m linkcrawler`` with full extraction and lake output, from a generated sites
  file that allows 127.0.0.1/32 (``crawl.workers: 2``: two crawl processes share the frontier);
- ``wget --recursive --spider``: fetch and link-follow only, the floor a crawler cannot beat;
- advertools' ``crawl`` (a Scrapy spider): the Python peer.

For each it prints pages, wall seconds, pages/s, CPU seconds (the whole process tree, user +
system) and peak RSS (the process tree's summed RSS, sampled every 50 ms). The last line is
``RESULT ratio=<ours/wget> ours_pps=<x> wget_pps=<y> peer_pps=<z> rss_mb=<ours peak RSS>``.

    .venv/bin/python bench/crawl.py [--pages 20000] [--skip-peer] [--skip-wget] [--workers 2] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
WORDS = [
    "link",
    "graph",
    "anchor",
    "crawl",
    "page",
    "index",
    "depth",
    "orphan",
    "canonical",
    "redirect",
    "sitemap",
    "hreflang",
    "content",
    "navigation",
    "footer",
    "header",
    "article",
    "product",
    "category",
    "guide",
    "review",
    "archive",
    "topic",
    "cluster",
    "spoke",
    "pillar",
    "internal",
    "external",
    "authority",
    "ranking",
    "search",
    "query",
    "click",
    "session",
    "engagement",
    "metric",
]


# -- the site ------------------------------------------------------------------------------


def page_path(index: int) -> str:
    """URL path of page ``index``: 0 is the home page, 1-40 category hubs, the rest articles."""
    if index == 0:
        return "/"
    if index <= 40:
        return f"/c/{index}/"
    return f"/p/{index}.html"


def _file_for(root: Path, path: str) -> Path:
    return root / (path.lstrip("/") + "index.html" if path.endswith("/") else path.lstrip("/"))


def _paragraph(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def generate_site(root: Path, pages: int, seed: int = 4) -> int:
    """Write ``pages`` HTML files under ``root``; return the total bytes written.

    Body links: the page's children in a 25-ary tree (so every page is reachable in ~3 clicks)
    plus random pages; header/nav/footer links repeat on every page, as on real sites.
    """
    rng = random.Random(seed)
    header = '<header><a href="/">Home</a> <a href="/c/1/">Shop</a> <a href="/c/2/">Blog</a></header>'
    nav = (
        "<nav><ul>"
        + "".join(f'<li><a href="/c/{k}/">Category {k}</a></li>' for k in range(1, 11))
        + "</ul></nav>"
    )
    footer = (
        '<footer><a href="/c/3/">About</a> <a href="/c/4/">Contact</a> <a href="/c/5/">Privacy</a> '
        '<a href="/c/6/">Terms</a> <a href="/c/7/">Careers</a></footer>'
    )
    total = 0
    for index in range(pages):
        children = [c for c in range(index * 25 + 1, index * 25 + 26) if c < pages][:12]
        others = [rng.randrange(pages) for _ in range(22 - len(children))]
        body_links = []
        for target in children + others:
            anchor = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4)))
            body_links.append(f'<p>{_paragraph(rng, 18)} <a href="{page_path(target)}">{anchor}</a></p>')
        text = "\n".join(_paragraph(rng, 30) for _ in range(14))
        html = textwrap.dedent(
            f"""\
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Page {index}</title>
            <link rel="canonical" href="{page_path(index)}"></head>
            <body>{header}{nav}
            <main><h1>Page {index}</h1>
            {text}
            {"".join(body_links)}
            </main>
            {footer}</body></html>
            """
        )
        target_file = _file_for(root, page_path(index))
        target_file.parent.mkdir(parents=True, exist_ok=True)
        data = html.encode()
        target_file.write_bytes(data)
        total += len(data)
    (root / "robots.txt").write_text("User-agent: *\nDisallow:\n")
    return total


# -- nginx -----------------------------------------------------------------------------------


def ensure_nginx() -> str:
    """Path of the nginx binary, installing the Debian package first when it is missing."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found:
        return found
    print("nginx not found: installing it with apt-get (Debian package nginx-light)", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "nginx-light"], check=True, env=env)
    return shutil.which("nginx") or "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_nginx(binary: str, site: Path, work: Path, port: int) -> subprocess.Popen:
    """nginx in the foreground, one process, no system service, logs and temp files in ``work``."""
    temp = work / "nginx-temp"
    temp.mkdir(parents=True, exist_ok=True)
    conf = work / "nginx.conf"
    conf.write_text(
        textwrap.dedent(
            f"""\
            daemon off;
            master_process off;
            worker_processes 1;
            pid {work}/nginx.pid;
            error_log {work}/nginx-error.log warn;
            events {{ worker_connections 1024; }}
            http {{
                access_log off;
                client_body_temp_path {temp}/body;
                proxy_temp_path {temp}/proxy;
                fastcgi_temp_path {temp}/fastcgi;
                uwsgi_temp_path {temp}/uwsgi;
                scgi_temp_path {temp}/scgi;
                types {{ text/html html; text/plain txt; }}
                default_type application/octet-stream;
                sendfile on;
                keepalive_requests 1000000;
                server {{
                    listen 127.0.0.1:{port};
                    root {site};
                    index index.html;
                }}
            }}
            """
        )
    )
    proc = subprocess.Popen([binary, "-p", str(work), "-c", str(conf)])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"nginx did not start on 127.0.0.1:{port}; see {work}/nginx-error.log")


# -- measuring -------------------------------------------------------------------------------


@dataclass
class Measured:
    name: str
    pages: int
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    output: str

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.wall_s if self.wall_s > 0 else 0.0


def _tree(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def run_measured(name: str, command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None):
    """Run ``command``; return (stdout+stderr, wall s, CPU s of the tree, peak summed RSS MB)."""
    before = os.times()
    started = time.perf_counter()
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - read back after the process ends
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd, text=True)
    peak = 0
    cpu_seen: dict[int, float] = {}
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        root = psutil.Process(proc.pid)
        while not stop.is_set():
            rss = 0
            for member in _tree(root):
                try:
                    rss += member.memory_info().rss
                    times = member.cpu_times()
                    cpu_seen[member.pid] = times.user + times.system
                except psutil.Error:
                    continue
            peak = max(peak, rss)
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    proc.wait()
    wall = time.perf_counter() - started
    stop.set()
    sampler.join()
    after = os.times()
    # Children's CPU, counted by the kernel once they were waited for (covers grandchildren too).
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    log.seek(0)
    output = log.read()
    log.close()
    if proc.returncode != 0:
        print(output[-4000:])
        raise RuntimeError(f"{name} exited with {proc.returncode}")
    return output, wall, max(cpu, sum(cpu_seen.values())), peak / 2**20


def run_ours(base: str, work: Path, workers: int | None) -> Measured:
    config = work / "sites.yaml"
    extra = f"      workers: {workers}\n" if workers else ""
    config.write_text(
        textwrap.dedent(
            f"""\
            sites:
              - name: bench
                start_urls: ["{base}/"]
                crawl:
                  max_pages: 1000000
                  concurrency: 16
                  allow_private_networks: ["127.0.0.1/32"]
                  fetch_known_urls: false
            """
        )
        + extra
    )
    lake = work / "lake"
    command = [
        sys.executable, "-m", "linkcrawler", "--config", str(config), "--site", "bench",
        "--crawl-id", "bench", "--lake", str(lake), "--log-level", "WARNING",
    ]  # fmt: skip
    output, wall, cpu, rss = run_measured("linkcrawler", command, cwd=ROOT)
    summary = json.loads(output.strip().splitlines()[-1])
    if not summary.get("published"):
        raise RuntimeError(f"our crawl was not published: {summary}")
    return Measured("linkcrawler (ours)", int(summary["pages"]), wall, cpu, rss, output)


def run_wget(base: str, work: Path) -> Measured:
    target = work / "wget"
    command = [
        "wget", "--recursive", "--spider", "--level=inf", "--no-verbose", "--no-host-directories",
        "--directory-prefix", str(target), "-e", "robots=off", f"{base}/",
    ]  # fmt: skip
    output, wall, cpu, rss = run_measured("wget", command)
    match = re.search(r"Downloaded: (\d+) files", output)
    pages = int(match.group(1)) if match else output.count(" 200 OK")
    return Measured("wget --recursive --spider", pages, wall, cpu, rss, output)


def run_peer(base: str, work: Path) -> Measured:
    output_file = work / "advertools.jl"
    # allowed_domains: Scrapy's offsite filter wants the bare host, advertools' LinkExtractor
    # compares the netloc (host:port); with only the default (the netloc) it crawls nothing.
    host_port = base.split("://", 1)[1]
    code = (
        "import advertools as adv, sys; "
        "adv.crawl(sys.argv[1], sys.argv[2], follow_links=True, "
        f"allowed_domains=['127.0.0.1', '{host_port}'], "
        "custom_settings={'LOG_LEVEL': 'WARNING', 'CONCURRENT_REQUESTS': 16, 'ROBOTSTXT_OBEY': True})"
    )
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    output, wall, cpu, rss = run_measured(
        "advertools", [sys.executable, "-c", code, f"{base}/", str(output_file)], env=env, cwd=work
    )
    with output_file.open() as lines:
        pages = sum(1 for _ in lines)
    return Measured("advertools crawl (peer)", pages, wall, cpu, rss, output)


def ensure_advertools() -> None:
    try:
        import advertools  # noqa: F401
    except ImportError:
        print("advertools not importable: installing the [bench] extra", flush=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "-q",
                "-c",
                str(ROOT / "constraints.txt"),
                "-e",
                f"{ROOT}[bench]",
            ],
            check=True,
        )


def machine() -> str:
    model = "?"
    with Path("/proc/cpuinfo").open() as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = psutil.virtual_memory().total / 2**30
    return f"{os.cpu_count()} CPUs ({model}), {memory:.0f} GiB RAM"


def report(result: Measured) -> None:
    print(
        f"{result.name:28s} {result.pages:7d} pages {result.wall_s:8.2f} s {result.pages_per_s:9.1f} pages/s "
        f"{result.cpu_s:8.2f} CPU s {result.peak_rss_mb:8.1f} MB peak RSS",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=20_000)
    parser.add_argument("--skip-peer", action="store_true", help="do not run advertools (faster)")
    parser.add_argument("--skip-wget", action="store_true")
    parser.add_argument("--workers", type=int, default=2, help="our crawl.workers (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    print(f"machine: {machine()}")
    nginx = ensure_nginx()
    if not args.skip_peer:
        ensure_advertools()
    work = Path(tempfile.mkdtemp(prefix="linkwarehouse-bench-crawl-"))
    site = work / "site"
    started = time.perf_counter()
    size = generate_site(site, args.pages)
    print(
        f"site: {args.pages} pages, {size / args.pages / 1024:.1f} KB/page on average, "
        f"generated in {time.perf_counter() - started:.1f} s under {site}"
    )
    port = free_port()
    server = start_nginx(nginx, site, work, port)
    base = f"http://127.0.0.1:{port}"
    try:
        ours = run_ours(base, work, args.workers)
        report(ours)
        wget = run_wget(base, work) if not args.skip_wget else None
        if wget is not None:
            report(wget)
        peer = run_peer(base, work) if not args.skip_peer else None
        if peer is not None:
            report(peer)
    finally:
        server.terminate()
        server.wait(timeout=10)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")
    wget_pps = wget.pages_per_s if wget else float("nan")
    peer_pps = peer.pages_per_s if peer else float("nan")
    ratio = ours.pages_per_s / wget_pps if wget else float("nan")
    if peer and peer_pps > 0:
        print(f"ours / peer: {ours.pages_per_s / peer_pps:.1f}x")
    print(
        f"RESULT ratio={ratio:.3f} ours_pps={ours.pages_per_s:.1f} wget_pps={wget_pps:.1f} "
        f"peer_pps={peer_pps:.1f} rss_mb={ours.peak_rss_mb:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Write a demo site to disk: bodies, ``routes.json``, ``truth.json`` and ``manifest.json``.

The output folder is replaced atomically (written beside it, then renamed), and writing is
skipped when the folder already holds the same version, seed and generator fingerprint, so
``make demo`` can call it every time. The fingerprint hashes the generator's source, so a
changed generator never serves a stale site.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linkwarehouse.demo.builder import DEFAULT_SEED, build_site, validate_site
from linkwarehouse.demo.model import Page, Site
from linkwarehouse.demo.render import (
    SITEMAP_INDEX,
    render_error,
    render_page,
    render_robots,
    render_sitemap,
    render_sitemap_index,
    sitemap_path,
)
from linkwarehouse.demo.truth import Truth, compute_truth
from linkwarehouse.demo.versions import apply_version_2

MANIFEST = "manifest.json"
ROUTES = "routes.json"
TRUTH = "truth.json"
GENERATOR = "linkwarehouse.demo"
_SOURCES = (
    "model.py", "text.py", "context.py", "sections.py", "content.py", "chrome.py", "problems.py",
    "versions.py", "builder.py", "render.py", "truth.py", "writer.py",
)  # fmt: skip

_STATIC: dict[str, tuple[str, bytes]] = {
    "/static/site.css": (
        "text/css; charset=utf-8",
        b"body{font-family:system-ui,sans-serif;max-width:60rem;margin:auto;padding:1rem}"
        b"img{max-width:100%;height:auto;background:#dde}\n",
    ),
    "/static/placeholder.svg": (
        "image/svg+xml",
        b'<svg xmlns="http://www.w3.org/2000/svg" width="320" height="180"><rect width="320" height="180" '
        b'fill="#cde"/></svg>\n',
    ),
    "/static/routes-map.svg": (
        "image/svg+xml",
        b'<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300"><rect width="400" height="300" '
        b'fill="#bdb"/></svg>\n',
    ),
}


class DemoSiteError(RuntimeError):
    """A demo site folder cannot be written or served; the message names the folder or file."""


@dataclass(frozen=True)
class WrittenSite:
    """Where a site was written and what its manifest says; ``written`` is False when the
    folder was already up to date."""

    path: Path
    manifest: dict[str, Any]
    written: bool

    @property
    def truth_path(self) -> Path:
        return self.path / TRUTH

    def __fspath__(self) -> str:
        """Path-like, so ``DemoSiteServer(write_site(...))`` works."""
        return str(self.path)


def generator_fingerprint() -> str:
    """Hash of the generator's source files: output changes only when these change."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for name in _SOURCES:
        digest.update(name.encode() + b"\0" + (here / name).read_bytes())
    return digest.hexdigest()[:16]


def body_file(path: str) -> str:
    """Relative file of a route's body (``/blog/x/`` -> ``pages/blog/x/index.html``)."""
    relative = path.lstrip("/")
    if not relative or relative.endswith("/"):
        relative += "index.html"
    return "pages/" + relative


def site_files(site: Site, truth: Truth) -> tuple[dict[str, bytes], dict[str, dict[str, Any]]]:
    """Every file to write (relative path -> bytes) and the route table."""
    files: dict[str, bytes] = {}
    routes: dict[str, dict[str, Any]] = {}

    def add(
        path: str, status: int, headers: dict[str, str], body: bytes | None, file: str | None = None
    ) -> None:
        name = None
        if body is not None:
            name = file or body_file(path)
            files[name] = body
        routes[path] = {"status": status, "headers": headers, "body": name}

    for page in site.pages.values():
        add(page.path, page.status, _headers(page), _body(page), _shared_body(page))
    add("/robots.txt", 200, {"Content-Type": "text/plain; charset=utf-8"}, render_robots(site))
    add(SITEMAP_INDEX, 200, {"Content-Type": "application/xml"}, render_sitemap_index(site))
    for name in site.sitemaps():
        add(sitemap_path(name), 200, {"Content-Type": "application/xml"}, render_sitemap(site, name))
    for path, (content_type, body) in _STATIC.items():
        add(path, 200, {"Content-Type": content_type}, body)
    files[ROUTES] = _json_bytes(dict(sorted(routes.items())))
    files[TRUTH] = truth.to_json().encode()
    return files, routes


def _headers(page: Page) -> dict[str, str]:
    headers: dict[str, str] = {}
    if page.content_type and page.redirect_target is None:
        headers["Content-Type"] = page.content_type
    if page.location is not None:
        headers["Location"] = page.location
    if page.x_robots_tag:
        headers["X-Robots-Tag"] = page.x_robots_tag
    return headers


def _body(page: Page) -> bytes | None:
    if page.redirect_target is not None:
        return None
    if page.is_html_ok:
        return render_page(page)
    if page.status >= 400:
        return render_error(page.status)
    return page.body


def _shared_body(page: Page) -> str | None:
    return f"pages/_errors/{page.status}.html" if page.status >= 400 else None


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, indent=1, ensure_ascii=False) + "\n").encode()


def _manifest(site: Site, truth: Truth, routes: dict[str, Any]) -> dict[str, Any]:
    occurrences = list(site.occurrences())
    return {
        "generator": GENERATOR,
        "fingerprint": generator_fingerprint(),
        "version": site.version,
        "seed": site.seed,
        "routes": len(routes),
        "html_pages": sum(1 for page in site.pages.values() if page.is_html_ok),
        "truth_urls": len(truth.urls),
        "link_occurrences": len(occurrences),
        "internal_link_occurrences": sum(1 for occ in occurrences if occ.link.is_internal),
        "followed_edges": len(truth.followed_edges),
        "sitemap_urls": len(site.sitemap_paths()),
        "orphans": len(truth.orphans()),
    }


def read_manifest(site_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    path = Path(site_dir) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise DemoSiteError(f"{path}: unreadable demo manifest: {exc}") from None
    return manifest if isinstance(manifest, dict) and manifest.get("generator") == GENERATOR else None


def build_truth(seed: int, version: int) -> tuple[Site, Truth]:
    """Model and truth of one version; version 2's truth knows version 1 as the previous crawl."""
    site = build_site(seed, 1)
    truth = compute_truth(site)
    if version == 2:
        apply_version_2(site)
        validate_site(site)
        truth = compute_truth(site, previous=truth)
    elif version != 1:
        raise ValueError(f"demo site version must be 1 or 2, not {version!r}")
    return site, truth


def write_site(
    out_dir: str | os.PathLike[str], version: int = 1, seed: int = DEFAULT_SEED, *, force: bool = False
) -> WrittenSite:
    """Write the demo site ``version`` for ``seed`` into ``out_dir`` (skipped when up to date)."""
    out = Path(out_dir)
    current = read_manifest(out) if out.is_dir() else None
    if (
        not force
        and current is not None
        and (current.get("version"), current.get("seed"), current.get("fingerprint"))
        == (version, seed, generator_fingerprint())
    ):
        return WrittenSite(out, current, written=False)
    if out.exists() and current is None and (not out.is_dir() or any(out.iterdir())):
        raise DemoSiteError(f"{out}: exists and is not a demo site folder; refusing to replace it")
    site, truth = build_truth(seed, version)
    files, routes = site_files(site, truth)
    manifest = _manifest(site, truth, routes)
    files[MANIFEST] = _json_bytes(manifest)
    _replace_dir(out, files)
    return WrittenSite(out, manifest, written=True)


def _replace_dir(out: Path, files: dict[str, bytes]) -> None:
    """Write ``files`` into a sibling folder, then swap it in with renames."""
    out.parent.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex[:8]
    staging = out.parent / f".{out.name}.staging-{token}"
    try:
        made: set[Path] = set()
        for name, data in files.items():
            target = staging / name
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            target.write_bytes(data)
        retired = out.parent / f".{out.name}.old-{token}"
        if out.exists():
            out.rename(retired)
        staging.rename(out)
        shutil.rmtree(retired, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)

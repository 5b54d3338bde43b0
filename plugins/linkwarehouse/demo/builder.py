"""Build the demo site model: sections, content, planted problems, template, version edits.

``build_site(seed, version)`` is pure and deterministic: one :class:`random.Random` seeded
with ``seed`` is consumed in a fixed order, and version 2 is version 1 plus edits that use
no randomness, so both versions share every page that the edits do not touch.
"""

from __future__ import annotations

import random
from dataclasses import fields

from linkwarehouse.demo.chrome import build_chrome
from linkwarehouse.demo.content import build_content
from linkwarehouse.demo.context import BuildContext
from linkwarehouse.demo.model import Planted, Site, SiteModelError
from linkwarehouse.demo.problems import plant_problems
from linkwarehouse.demo.sections import build_sections
from linkwarehouse.demo.versions import apply_version_2

DEFAULT_SEED = 20240630
VERSIONS = (1, 2)


def build_site(seed: int = DEFAULT_SEED, version: int = 1) -> Site:
    """The demo site model for ``seed`` and ``version`` (1, or 2 with the orphan edits)."""
    if version not in VERSIONS:
        raise ValueError(f"demo site version must be one of {VERSIONS}, not {version!r}")
    ctx = BuildContext(random.Random(seed))
    build_sections(ctx)
    build_content(ctx)
    plant_problems(ctx)
    build_chrome(ctx)
    planted = Planted(**{spec.name: ctx.planted[spec.name] for spec in fields(Planted)})
    site = Site(seed=seed, version=1, pages=ctx.pages, planted=planted)
    if version == 2:
        apply_version_2(site)
    validate_site(site)
    return site


def validate_site(site: Site) -> None:
    """Refuse a model whose links, redirects, canonicals or alternates point at no route."""
    pages = site.pages
    for page in pages.values():
        if not page.path.startswith("/"):
            raise SiteModelError(f"demo page path must start with '/': {page.path!r}")
        references = [("redirect", page.redirect_target), ("canonical", page.canonical)]
        references += [(f"hreflang {lang}", path) for lang, path in page.alternates.items()]
        for what, path in references:
            if path is not None and path not in pages:
                raise SiteModelError(f"{page.path}: {what} {path} has no route")
        if (page.status in (301, 302)) != (page.redirect_target is not None):
            raise SiteModelError(f"{page.path}: status {page.status} and redirect target disagree")
    for occurrence in site.occurrences():
        target = occurrence.link.target
        if target is not None and site.page_for(target) is None:
            raise SiteModelError(
                f"{occurrence.source}: link #{occurrence.ordinal} ({occurrence.link.href!r}) "
                f"targets {target}, which has no route"
            )
    for path in site.start_paths:
        if path not in pages:
            raise SiteModelError(f"start path {path} has no route")

"""Version 2 of the demo site: the edits between two crawls that the orphan alerts must see.

A handful of pages lose every inlink (an editor unlinks them; they stay in the sitemap, as a
CMS keeps published pages there), and one sitemap-only orphan of version 1 gains a link from
the home page. Nothing else changes, so the orphan delta between the versions is exact.
"""

from __future__ import annotations

from linkwarehouse.demo.model import Block, Link, Site

#: Blocks that exist only to hold their link (list items, teasers, cards) are removed whole;
#: paragraphs keep their words and lose the link, as when an editor unlinks text.
DROPPED_WITH_LINK = frozenset({"li", "div", "figure", "span", "h2", "h3"})


def apply_version_2(site: Site) -> None:
    """Turn a freshly built version-1 site into version 2 in place."""
    lost = set(site.planted.v2_lost_inlinks)
    for page in site.pages.values():
        for region, blocks in list(page.regions.items()):
            page.replace_region(region, [_unlink(block, lost) for block in blocks if _keeps(block, lost)])
    source = site.pages[site.planted.v2_resolved_from]
    for path in site.planted.v2_resolved:
        target = site.pages[path]
        source.add(
            "content",
            Block(
                "p",
                [
                    "From the archive: ",
                    Link(path, target.title, path),
                    " is still one of our most-read pieces.",
                ],
            ),
        )
    site.version = 2


def _keeps(block: Block, lost: set[str]) -> bool:
    return block.tag not in DROPPED_WITH_LINK or not any(link.target in lost for link in block.links())


def _unlink(block: Block, lost: set[str]) -> Block:
    if not any(link.target in lost for link in block.links()):
        return block
    parts = [part.text if isinstance(part, Link) and part.target in lost else part for part in block.parts]
    return Block(block.tag, parts, block.label, block.css_class)

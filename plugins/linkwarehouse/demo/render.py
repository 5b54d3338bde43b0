"""Render the model to bytes: HTML pages, error bodies, robots.txt and XML sitemaps.

Absolute URLs are written with the ``{{BASE_URL}}`` placeholder, which the server replaces
with ``http://127.0.0.1:<port>`` when it serves the body. Each region is wrapped in markup
whose nearest landmark yields exactly the position ``model.REGIONS`` assigns to it; the two
templates (English, German) use different markup for the same positions on purpose.
"""

from __future__ import annotations

from html import escape

from linkwarehouse.demo.model import BASE_URL, Block, Link, Page, Raw, Site

SITEMAP_INDEX = "/sitemap_index.xml"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

_ENGLISH = """<body class="page-{kind}">
{skip}
<header class="site-header">
{header}
<nav class="main-menu" aria-label="Main">{nav}</nav>
<div class="header-tools">{tools}</div>
</header>
<main id="main">
<div class="breadcrumbs">{breadcrumb}</div>
<article class="entry">
<h1>{h1}</h1>
{content}
</article>
{pagination}{comments}</main>
{aside}
<footer class="site-info">
<aside class="footer-widgets">{footer_widgets}</aside>
<div class="footer-links">{footer}</div>
<div class="social">{social}</div>
</footer>
<div class="site-footer">{legal}</div>
</body>
</html>
"""

_GERMAN = """<body class="page-{kind}">
{skip}
<div id="masthead">
{header}
<div class="navbar">{nav}</div>
<div class="lang-switch">{tools}</div>
</div>
<main id="main">
<nav class="crumbs" aria-label="Breadcrumb">{breadcrumb}</nav>
<article>
<h1>{h1}</h1>
{content}
</article>
</main>
<div class="sidebar-widgets">{aside}</div>
<div role="contentinfo" class="fusszeile">{footer}</div>
</body>
</html>
"""

#: Sidebar markup varies by page type like real themes do; all resolve to position "aside".
_ASIDE_WRAPPERS = {
    "product": ('<div id="product-sidebar">', "</div>"),
    "pillar": ('<div class="widget-area" role="complementary">', "</div>"),
    "spoke": ('<div class="widget-area" role="complementary">', "</div>"),
    "guides": ('<div class="widget-area" role="complementary">', "</div>"),
}
_DEFAULT_ASIDE = ('<aside class="sidebar">', "</aside>")


def render_text(text: str, markup: str) -> str:
    """Spell anchor text in HTML; every variant normalises back to the same words."""
    if markup == "plain" or not text.strip():
        return escape(text, quote=False)
    words = [escape(word, quote=False) for word in text.split()]
    if markup == "spaced":
        return "\n      " + "  \n   ".join(words) + "\n    "
    if markup == "nested":
        rest = " ".join(words[1:])
        return f"<strong>{words[0]}</strong>" + (f" {rest}" if rest else "")
    raise ValueError(f"unknown link markup {markup!r}")


def render_link(link: Link) -> str:
    attributes = [("href", link.href)]
    if link.rel_raw is not None:
        attributes.append(("rel", link.rel_raw))
    attributes += link.attrs
    attrs = "".join(f' {name}="{escape(value)}"' for name, value in attributes)
    if link.area:
        return f"<area{attrs}>"
    inner = ""
    if link.img:
        alt = "" if link.img_alt is None else f' alt="{escape(link.img_alt)}"'
        inner = f'<img src="/static/placeholder.svg" width="320" height="180"{alt}>'
    return f"<a{attrs}>{inner}{render_text(link.text, link.markup)}</a>"


def _render_parts(block: Block) -> str:
    out = []
    for part in block.parts:
        if isinstance(part, Link):
            out.append(render_link(part))
        elif isinstance(part, Raw):
            out.append(part.html)
        else:
            out.append(escape(part, quote=False))
    return "".join(out)


def render_blocks(blocks: list[Block]) -> str:
    """Blocks to HTML; consecutive ``li`` blocks share one ``<ul>``."""
    out: list[str] = []
    in_list = False
    for block in blocks:
        if block.tag == "li":
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{_render_parts(block)}</li>")
            continue
        if in_list:
            out.append("</ul>")
            in_list = False
        if block.tag == "map":
            out.append(
                f'<img src="/static/routes-map.svg" usemap="#routes" width="400" height="300" '
                f'alt="{escape(block.label)}">\n<map name="routes">{_render_parts(block)}</map>'
            )
            continue
        css = f' class="{block.css_class}"' if block.css_class else ""
        out.append(f"<{block.tag}{css}>{_render_parts(block)}</{block.tag}>")
    if in_list:
        out.append("</ul>")
    return "\n".join(out)


def _head(page: Page) -> str:
    lines = [
        "<!DOCTYPE html>",
        f'<html lang="{page.lang}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(page.full_title or '')}</title>",
        f'<meta name="description" content="{escape(page.title)} \u2013 Stride &amp; Trail">',
    ]
    if page.meta_robots:
        lines.append(f'<meta name="robots" content="{escape(page.meta_robots)}">')
    if page.meta_googlebot:
        lines.append(f'<meta name="googlebot" content="{escape(page.meta_googlebot)}">')
    if page.canonical:
        prefix = BASE_URL if page.canonical_absolute else ""
        lines.append(f'<link rel="canonical" href="{prefix}{page.canonical}">')
    for lang, path in page.alternates.items():
        lines.append(f'<link rel="alternate" hreflang="{lang}" href="{BASE_URL}{path}">')
    for rel, path in page.head_links:
        lines.append(f'<link rel="{rel}" href="{BASE_URL}{path}">')
    lines += ['<link rel="stylesheet" href="/static/site.css">', "</head>"]
    return "\n".join(lines) + "\n"


def render_page(page: Page) -> bytes:
    """The HTML of a 2xx HTML page."""
    regions = {name: render_blocks(blocks) for name, blocks in page.regions.items()}
    if page.lang == "de":
        body = _GERMAN.format(
            kind=page.kind, h1=escape(page.h1, quote=False), **_fill(regions, _GERMAN_REGIONS)
        )
        return (_head(page) + body).encode()
    opening, closing = _ASIDE_WRAPPERS.get(page.kind, _DEFAULT_ASIDE)
    regions["aside"] = opening + regions.get("aside", "") + closing
    if regions.get("pagination"):
        regions["pagination"] = (
            f'<nav class="pagination" aria-label="Pagination">{regions["pagination"]}</nav>\n'
        )
    if regions.get("comments"):
        regions["comments"] = (
            f'<section class="comments">\n<h2>Comments</h2>\n{regions["comments"]}\n</section>\n'
        )
    body = _ENGLISH.format(
        kind=page.kind, h1=escape(page.h1, quote=False), **_fill(regions, _ENGLISH_REGIONS)
    )
    return (_head(page) + body).encode()


_ENGLISH_REGIONS = (
    "skip", "header", "nav", "tools", "breadcrumb", "content", "pagination", "comments", "aside",
    "footer_widgets", "footer", "social", "legal",
)  # fmt: skip
_GERMAN_REGIONS = ("skip", "header", "nav", "tools", "breadcrumb", "content", "aside", "footer")


def _fill(regions: dict[str, str], names: tuple[str, ...]) -> dict[str, str]:
    unknown = set(regions) - set(names)
    if unknown:
        raise ValueError(f"template has no place for regions {sorted(unknown)}")
    return {name: regions.get(name, "") for name in names}


def render_error(status: int) -> bytes:
    """A small error page without links (the crawler must not find links on errors)."""
    reason = {404: "Not Found", 410: "Gone"}.get(status, "Error")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">'
        f"<title>{status} {reason}</title></head>\n"
        f"<body><h1>{status} {reason}</h1><p>The page you asked for is not here.</p></body>\n</html>\n"
    ).encode()


def render_robots(site: Site) -> bytes:
    lines = ["# Stride & Trail", "User-agent: *"]
    lines += [f"Disallow: {prefix}" for prefix in site.disallow]
    lines += ["", f"Sitemap: {BASE_URL}{SITEMAP_INDEX}", ""]
    return "\n".join(lines).encode()


def sitemap_path(name: str) -> str:
    return f"/sitemaps/{name}.xml"


def render_sitemap_index(site: Site) -> bytes:
    entries = "".join(
        f"  <sitemap><loc>{BASE_URL}{sitemap_path(name)}</loc></sitemap>\n" for name in site.sitemaps()
    )
    return f'{_XML_DECLARATION}<sitemapindex xmlns="{SITEMAP_NS}">\n{entries}</sitemapindex>\n'.encode()


def render_sitemap(site: Site, name: str) -> bytes:
    entries = []
    for path in site.sitemaps()[name]:
        page = site.pages[path]
        lastmod = f"<lastmod>{page.date}</lastmod>" if page.date else ""
        entries.append(f"  <url><loc>{BASE_URL}{escape(path)}</loc>{lastmod}</url>\n")
    return f'{_XML_DECLARATION}<urlset xmlns="{SITEMAP_NS}">\n{"".join(entries)}</urlset>\n'.encode()

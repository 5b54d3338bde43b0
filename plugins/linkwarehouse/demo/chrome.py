"""The template around every HTML page: skip link, header, nav, breadcrumbs, sidebar, footer.

These links repeat on every page, as on any CMS, which is what makes navigation inlinks dwarf
contextual ones. English and German pages use different templates (different markup, same
positions); the renderer's wrappers decide which landmark each region sits in.
"""

from __future__ import annotations

from html import escape

from linkwarehouse.demo.context import BuildContext, external, image_link, link, non_http
from linkwarehouse.demo.model import Block, Link, Page, Raw
from linkwarehouse.demo.text import CATEGORY_BY_SLUG

RECENT_POSTS = 5
POPULAR_GUIDES = (0, 2, 4, 6)


def build_chrome(ctx: BuildContext) -> None:
    """Add the template regions to every 2xx HTML page (run after all pages exist)."""
    for page in ctx.pages.values():
        if not page.is_html_ok:
            continue
        if page.lang == "de":
            _german_chrome(ctx, page)
        else:
            _english_chrome(ctx, page)


def _items(page: Page, region: str, links: list[Link], tag: str = "li") -> None:
    for item in links:
        page.add(region, Block(tag, [item]))


def _breadcrumb(page: Page) -> None:
    if not page.crumbs:
        return
    parts: list[str | Link | Raw] = []
    for path, label in page.crumbs:
        parts += [link(path, label), " \u203a "]
    parts.append(Raw(f"<span>{escape(page.title)}</span>"))
    page.add("breadcrumb", Block("p", parts))


def _english_chrome(ctx: BuildContext, page: Page) -> None:
    pools = ctx.pools
    page.add("skip", Block("div", [non_http("#main", "Skip to content")], css_class="skip"))
    page.add("header", Block("div", [image_link("/", "Stride & Trail home")], css_class="logo"))
    nav = [link(category.path, category.title) for category in pools.categories]
    nav += [link("/guides/", "Guides"), link("/blog/", "Blog"), link("/products/", "Shop")]
    _items(page, "nav", nav)
    language = page.alternates.get("de", "/de/")
    tools = [*ctx.header_tools, link(language, "Deutsch", attrs=(("hreflang", "de"), ("lang", "de")))]
    _items(page, "tools", tools, tag="span")
    _breadcrumb(page)
    _english_aside(ctx, page)
    page.add("footer_widgets", Block("h2", ["Popular guides"]))
    _items(
        page, "footer_widgets", [link(pools.pillars[i].path, pools.pillars[i].title) for i in POPULAR_GUIDES]
    )
    footer = [link("/about/", "About us"), link("/contact/", "Contact"), link("/privacy/", "Privacy")]
    footer += [*ctx.footer_links, non_http("mailto:hello@example.com", "Email us")]
    _items(page, "footer", footer)
    social = [
        external("https://example.com/strideandtrail", "Instagram", rel="noopener"),
        external("https://example.net/@strideandtrail", "Mastodon", rel="me noopener"),
        external("https://example.org/strideandtrail/videos", "YouTube", rel="noopener"),
    ]
    _items(page, "social", social)
    page.add(
        "legal",
        Block(
            "p",
            ["© 2024 Stride & Trail · ", link("/terms/", "Terms"), " · ", non_http("#top", "Back to top")],
        ),
    )


def _english_aside(ctx: BuildContext, page: Page) -> None:
    pools = ctx.pools
    recent = [link(post.path, post.title) for post in pools.posts[:RECENT_POSTS]]
    if page.kind == "product" and page.category:
        page.add("aside", Block("h2", ["Customers also viewed"]))
        others = [other for other in pools.products_in(page.category) if other.path != page.path]
        _items(page, "aside", [link(other.path, other.title) for other in ctx.rng.sample(others, 3)])
        page.add("aside", Block("h2", ["From the blog"]))
        _items(page, "aside", recent)
        return
    page.add("aside", Block("h2", ["Recent posts"]))
    _items(page, "aside", recent)
    if page.kind == "post" and page.category:
        page.add("aside", Block("h2", [f"More in {CATEGORY_BY_SLUG[page.category].name}"]))
        others = [other for other in pools.posts_in(page.category) if other.path != page.path]
        _items(page, "aside", [link(other.path, other.title) for other in ctx.rng.sample(others, 3)])


def _german_chrome(ctx: BuildContext, page: Page) -> None:
    page.add("skip", Block("div", [non_http("#main", "Zum Inhalt springen")], css_class="skip"))
    logo = image_link("/de/", "Stride & Trail Startseite", style="absolute")
    page.add("header", Block("div", [logo], css_class="brand"))
    nav = [link("/de/", "Startseite"), link("/de/blog/", "Blog"), link("/de/ueber-uns/", "Über uns")]
    _items(page, "nav", nav)
    english = page.alternates.get("en", "/")
    _items(page, "tools", [link(english, "English", attrs=(("hreflang", "en"), ("lang", "en")))], tag="span")
    _breadcrumb(page)
    page.add("aside", Block("h2", ["Neueste Artikel"]))
    _items(page, "aside", [link(post.path, post.title) for post in ctx.pools.german_posts[:RECENT_POSTS]])
    footer = [
        link("/de/impressum/", "Impressum"),
        link("/de/ueber-uns/", "Über uns"),
        link("/privacy/", "Datenschutz"),
    ]
    _items(page, "footer", footer)

"""The site's ordinary sections: which pages exist, their titles, dates and sitemap membership.

Pages are created here without links; ``content.py`` writes their bodies and ``chrome.py``
the template around them, once every page they may point at exists.
"""

from __future__ import annotations

from datetime import date, timedelta

from linkwarehouse.demo.context import BuildContext
from linkwarehouse.demo.model import Page
from linkwarehouse.demo.text import (
    BRANDS,
    CATEGORIES,
    CATEGORY_BY_SLUG,
    GERMAN_TITLE_TEMPLATES,
    GERMAN_TOPICS,
    PILLARS,
    PRODUCT_MODELS,
    PRODUCT_TYPES,
    TITLE_TEMPLATES,
    capitalise,
    slugify,
)

POST_COUNT = 1320
SPARE_POST_TITLES = 24
PRODUCTS_PER_CATEGORY = 38
SPOKES_PER_PILLAR = 7
POSTS_PER_LISTING_PAGE = 12
NEWEST_POST_DATE = date(2024, 6, 30)
HOME_CRUMB = ("/", "Home")


def build_sections(ctx: BuildContext) -> None:
    """Create every ordinary page (content comes later), filling ``ctx.pools``."""
    _static_pages(ctx)
    _categories(ctx)
    _guides(ctx)
    _posts(ctx)
    _blog_listing_pages(ctx)
    _products(ctx)
    _german_section(ctx)


def post_date(index: int) -> str:
    """Publication date of the ``index``-th newest post: one post a day, newest first."""
    return (NEWEST_POST_DATE - timedelta(days=index)).isoformat()


def listing_path(page_number: int) -> str:
    return "/blog/" if page_number == 1 else f"/blog/page/{page_number}/"


def listing_page_count(posts: int) -> int:
    return -(-posts // POSTS_PER_LISTING_PAGE)


def _static_pages(ctx: BuildContext) -> None:
    ctx.add_page(
        Page(
            "/",
            "home",
            title="Train smarter, go further",
            h1="Stride & Trail",
            sitemap="pages",
            canonical="/",
        )
    )
    for slug, title in (
        ("about", "About Stride & Trail"),
        ("contact", "Contact us"),
        ("privacy", "Privacy policy"),
        ("terms", "Terms of use"),
    ):
        path = f"/{slug}/"
        ctx.add_page(
            Page(
                path,
                "static",
                title=title,
                h1=title,
                sitemap="pages",
                canonical=path,
                canonical_absolute=False,
                crumbs=[HOME_CRUMB],
            )
        )


def _categories(ctx: BuildContext) -> None:
    for category in CATEGORIES:
        path = f"/category/{category.slug}/"
        page = Page(
            path,
            "category",
            title=category.name,
            h1=f"{category.name}: guides, stories and kit",
            topic=category.name.lower(),
            category=category.slug,
            sitemap="pages",
            canonical=path,
            crumbs=[HOME_CRUMB],
        )
        ctx.pools.categories.append(ctx.add_page(page))


def _guides(ctx: BuildContext) -> None:
    ctx.add_page(
        Page(
            "/guides/",
            "guides",
            title="Guides",
            h1="In-depth guides",
            sitemap="pages",
            canonical="/guides/",
            crumbs=[HOME_CRUMB],
        )
    )
    topics_left = {
        category.slug: ctx.rng.sample(category.topics, len(category.topics)) for category in CATEGORIES
    }
    for spec in PILLARS:
        path = f"/guides/{spec.slug}/"
        pillar = Page(
            path,
            "pillar",
            title=f"The complete guide to {spec.subject}",
            topic=spec.subject,
            category=spec.category,
            sitemap="pages",
            canonical=path,
            crumbs=[HOME_CRUMB, ("/guides/", "Guides")],
        )
        pillar.h1 = pillar.title
        ctx.pools.pillars.append(ctx.add_page(pillar))
        available = [topic for topic in topics_left[spec.category] if topic != spec.subject]
        chosen, topics_left[spec.category] = available[:SPOKES_PER_PILLAR], available[SPOKES_PER_PILLAR:]
        spokes = []
        for topic in chosen:
            spoke_path = f"{path}{slugify(topic)}/"
            title = f"{capitalise(spec.subject)} guide: {topic}"
            spokes.append(
                ctx.add_page(
                    Page(
                        spoke_path,
                        "spoke",
                        title=title,
                        h1=title,
                        topic=topic,
                        category=spec.category,
                        sitemap="pages",
                        canonical=spoke_path,
                        crumbs=[HOME_CRUMB, ("/guides/", "Guides"), (path, capitalise(spec.subject))],
                    )
                )
            )
        ctx.pools.spokes[path] = spokes


def _posts(ctx: BuildContext) -> None:
    combos = [
        (template, category.slug, topic)
        for category in CATEGORIES
        for topic in category.topics
        for template in TITLE_TEMPLATES
    ]
    picked = ctx.rng.sample(combos, POST_COUNT + SPARE_POST_TITLES)
    prose = ctx.prose
    for index, (template, category, topic) in enumerate(picked[:POST_COUNT]):
        title = prose.title(template, topic)
        ctx.pools.posts.append(
            ctx.add_page(new_post(f"/blog/{slugify(title)}/", title, topic, category, post_date(index)))
        )
    ctx.planted["spare_titles"] = [
        (prose.title(template, topic), topic, category) for template, category, topic in picked[POST_COUNT:]
    ]


def _blog_listing_pages(ctx: BuildContext) -> None:
    """The paginated blog; only page 1 is in the sitemap, as CMSs do."""
    for number in range(1, listing_page_count(len(ctx.pools.posts)) + 1):
        path = listing_path(number)
        title = "Blog" if number == 1 else f"Blog \u2013 page {number}"
        ctx.add_page(
            Page(
                path,
                "listing",
                title=title,
                h1=title,
                canonical=path,
                sitemap="pages" if number == 1 else None,
                crumbs=[HOME_CRUMB] if number == 1 else [HOME_CRUMB, ("/blog/", "Blog")],
            )
        )


def new_post(path: str, title: str, topic: str, category: str, published: str) -> Page:
    """A blog post page (also used by the problems that plant special posts)."""
    name = CATEGORY_BY_SLUG[category].name
    return Page(
        path,
        "post",
        title=title,
        h1=title,
        topic=topic,
        category=category,
        date=published,
        sitemap="posts",
        canonical=path,
        crumbs=[HOME_CRUMB, ("/blog/", "Blog"), (f"/category/{category}/", name)],
    )


def _products(ctx: BuildContext) -> None:
    ctx.add_page(
        Page(
            "/products/",
            "shop",
            title="Shop",
            h1="Shop our tested kit",
            sitemap="pages",
            canonical="/products/",
            crumbs=[HOME_CRUMB],
        )
    )
    for category in CATEGORIES:
        names = [
            f"{brand} {model} {kind}"
            for brand in BRANDS
            for model in PRODUCT_MODELS
            for kind in PRODUCT_TYPES[category.slug]
        ]
        for name in ctx.rng.sample(names, PRODUCTS_PER_CATEGORY):
            path = f"/products/{slugify(name)}/"
            product = Page(
                path,
                "product",
                title=name,
                h1=name,
                topic=name.rsplit(" ", 1)[-1],
                category=category.slug,
                sitemap="products",
                canonical=path,
                crumbs=[HOME_CRUMB, ("/products/", "Shop"), (f"/category/{category.slug}/", category.name)],
            )
            ctx.pools.products.append(ctx.add_page(product))


def _german_section(ctx: BuildContext) -> None:
    """``/de/``: German pages with hreflang alternates to their English equivalents and back."""
    de_crumb = ("/de/", "Startseite")

    def add(page: Page, english: str | None) -> Page:
        if english is not None:
            alternates = {"en": english, "de": page.path, "x-default": english}
            page.alternates = alternates
            ctx.page(english).alternates = dict(alternates)
        return ctx.add_page(page)

    add(Page("/de/", "de_home", title="Besser trainieren, weiter kommen", lang="de", sitemap="de"), "/")
    add(Page("/de/blog/", "de_listing", title="Blog", lang="de", sitemap="de", crumbs=[de_crumb]), "/blog/")
    add(
        Page("/de/ueber-uns/", "de_static", title="Über uns", lang="de", sitemap="de", crumbs=[de_crumb]),
        "/about/",
    )
    add(
        Page("/de/impressum/", "de_static", title="Impressum", lang="de", sitemap="de", crumbs=[de_crumb]),
        None,
    )
    titles: list[tuple[str, str, Page]] = []
    for topic, english_topic in GERMAN_TOPICS.items():
        candidates = [post for post in ctx.pools.posts[40:] if post.topic == english_topic]
        english = ctx.rng.sample(candidates, len(GERMAN_TITLE_TEMPLATES))
        titles += [
            (t.format(t=topic), topic, post) for t, post in zip(GERMAN_TITLE_TEMPLATES, english, strict=True)
        ]
    for index, (title, topic, english) in enumerate(titles):
        page = Page(
            f"/de/blog/{slugify(title)}/",
            "de_post",
            title=title,
            lang="de",
            topic=topic,
            category=english.category,
            date=post_date(index * 7),
            sitemap="de",
            crumbs=[de_crumb, ("/de/blog/", "Blog")],
        )
        ctx.pools.german_posts.append(add(page, english.path))
    for page in ctx.pages.values():
        if page.lang == "de":
            page.h1 = page.title

"""Body content of the ordinary pages: contextual links with varied anchors and spellings.

Each page type gets a small function. Links point only at pool pages (see ``context.py``),
so planted pages stay exactly as linked as their problem function decides.
"""

from __future__ import annotations

from linkwarehouse.demo.context import BuildContext, external, href_for, image_link, link, non_http
from linkwarehouse.demo.model import Block, Link, Page, Raw
from linkwarehouse.demo.sections import POSTS_PER_LISTING_PAGE, listing_page_count, listing_path
from linkwarehouse.demo.text import CATEGORY_BY_SLUG, capitalise

PAGINATION_WINDOW = 2
CONTEXT_STYLES = ("root", "root", "root", "absolute", "relative", "utm", "fragment", "session")


def build_content(ctx: BuildContext) -> None:
    """Write the bodies of all ordinary pages and create the paginated blog listing."""
    _home(ctx)
    _static(ctx)
    for category in ctx.pools.categories:
        _category(ctx, category)
    _guides_index(ctx)
    for pillar in ctx.pools.pillars:
        _pillar(ctx, pillar)
        for spoke in ctx.pools.spokes[pillar.path]:
            _spoke(ctx, pillar, spoke)
    for post in ctx.pools.posts:
        _post(ctx, post)
    _shop(ctx)
    for product in ctx.pools.products:
        _product(ctx, product)
    _blog_listing(ctx)
    _german(ctx)


def area(target: str, alt: str, coords: str) -> Link:
    attrs = (("shape", "rect"), ("coords", coords), ("alt", alt))
    return Link(href_for(target), "", target, img_alt=alt, area=True, attrs=attrs)


def contextual(ctx: BuildContext, source: Page, target: Page) -> Link:
    """A body link with a realistic anchor and any href spelling a CMS produces."""
    style = ctx.rng.choice(CONTEXT_STYLES)
    markup = ctx.rng.choice(("plain", "plain", "plain", "spaced", "nested"))
    text = ctx.prose.anchor(target.topic, target.title)
    return link(target.path, text, style=style, source=source.path, markup=markup)


def _other_posts(ctx: BuildContext, page: Page, count: int, same_category: bool = False) -> list[Page]:
    pool = ctx.pools.posts_in(page.category) if same_category and page.category else ctx.pools.posts
    chosen: list[Page] = []
    while len(chosen) < count:
        candidate = ctx.rng.choice(pool)
        if candidate.path != page.path and candidate not in chosen:
            chosen.append(candidate)
    return chosen


def _teaser(post: Page, excerpt: str, *, read_more_from: str | None = None, image: bool = False) -> Block:
    parts: list[str | Link | Raw] = []
    if image:
        parts.append(image_link(post.path, post.title))
    parts += [Raw("<h3>"), link(post.path, post.title), Raw("</h3><p>"), excerpt]
    if read_more_from:
        parts += [" ", link(post.path, "Read more", style="relative", source=read_more_from)]
    parts.append(Raw("</p>"))
    return Block("div", parts, css_class="teaser")


def _home(ctx: BuildContext) -> None:
    home = ctx.page("/")
    pools = ctx.pools
    ctx.paragraph(
        home,
        "Welcome to Stride & Trail, the magazine and shop for runners, riders, hikers and swimmers. "
        "Start with our ",
        link("/guides/", "in-depth guides", style="absolute"),
        " or browse ",
        link("/blog/", "the latest stories", markup="spaced"),
        ".",
    )
    home.add("content", Block("h2", ["Featured guides"]))
    for pillar in pools.pillars[:6]:
        home.add("content", Block("li", [link(pillar.path, pillar.title)]))
    home.add("content", Block("h2", ["Latest from the blog"]))
    for index, post in enumerate(pools.posts[:8]):
        home.add("content", _teaser(post, ctx.prose.excerpt(post.topic, "endurance"), image=index % 3 == 0))
    home.add(
        "content",
        Block(
            "map",
            [
                area("/category/running/", "Running routes", "0,0,200,150"),
                area("/category/cycling/", "Cycling routes", "200,0,400,150"),
                area("/category/hiking/", "Hiking routes", "0,150,400,300"),
                Raw('<area shape="default" nohref alt="">'),
            ],
            label="Map of our favourite routes",
        ),
    )
    home.add("content", Block("h2", ["From the shop"]))
    for product in pools.products[::76][:4]:
        home.add(
            "content",
            Block("figure", [image_link(product.path, product.title), " ", link(product.path, "Shop now")]),
        )
    ctx.paragraph(
        home, "New season, new kit: ", link("/products/", "shop the spring collection", style="utm"), "."
    )


def _static(ctx: BuildContext) -> None:
    ctx.paragraph(
        ctx.page("/about/"),
        "We are a small team of coaches, testers and editors. Everything we publish starts in ",
        link("/guides/", "our guides"),
        " and ",
        link("/blog/", "the blog", style="relative", source="/about/"),
        ". Journalists can find our ",
        external("https://example.org/press/stride-and-trail", "press kit"),
        ".",
    )
    contact = ctx.page("/contact/")
    ctx.paragraph(
        contact,
        "Write to ",
        non_http("mailto:hello@example.com", "hello@example.com"),
        " or call ",
        non_http("tel:+442079460958", "+44 20 7946 0958"),
        ". Please read our ",
        link("/privacy/", "privacy policy", style="relative", source="/contact/"),
        " first.",
    )
    ctx.paragraph(
        ctx.page("/privacy/"),
        "Questions about your data? ",
        link("/contact/", "Contact us"),
        ". Your rights are explained by the ",
        external("https://example.org/gdpr", "regulator"),
        ".",
    )
    ctx.paragraph(ctx.page("/terms/"), "See also our ", link("/privacy/", "privacy policy"), ".")


def _category(ctx: BuildContext, page: Page) -> None:
    category = page.category or ""
    name = CATEGORY_BY_SLUG[category].name
    ctx.paragraph(
        page, ctx.prose.sentences(page.topic, name, 2), " Browse ", link("/blog/", "all our stories"), "."
    )
    page.add("content", Block("h2", ["Guides"]))
    for pillar in ctx.pools.pillars_in(category):
        page.add("content", Block("li", [link(pillar.path, pillar.title)]))
    page.add("content", Block("h2", [f"Latest in {name}"]))
    for post in ctx.pools.posts_in(category)[:12]:
        page.add("content", Block("li", [link(post.path, post.title)]))
    page.add("content", Block("h2", [f"Shop {name}"]))
    for index, product in enumerate(ctx.pools.products_in(category)):
        alt = None if index % 4 == 3 else product.title
        page.add(
            "content",
            Block(
                "figure",
                [
                    image_link(product.path, alt),
                    Raw("<figcaption>"),
                    link(product.path, product.title),
                    Raw("</figcaption>"),
                ],
            ),
        )


def _guides_index(ctx: BuildContext) -> None:
    page = ctx.page("/guides/")
    ctx.paragraph(page, "Long reads that we keep up to date. Each guide links to focused articles.")
    for pillar in ctx.pools.pillars:
        page.add(
            "content", Block("h2", [link(pillar.path, pillar.title, style="relative", source=page.path)])
        )
        page.add("content", Block("p", [ctx.prose.excerpt(pillar.topic, "endurance")]))


def _pillar(ctx: BuildContext, pillar: Page) -> None:
    category = pillar.category or ""
    name = CATEGORY_BY_SLUG[category].name
    ctx.paragraph(
        pillar,
        ctx.prose.sentences(pillar.topic, name, 3),
        " Part of our ",
        link(f"/category/{category}/", f"{name.lower()} coverage"),
        ".",
    )
    pillar.add("content", Block("h2", ["In this guide"]))
    for spoke in ctx.pools.spokes[pillar.path]:
        pillar.add(
            "content",
            Block("li", [link(spoke.path, capitalise(spoke.topic), style="relative", source=pillar.path)]),
        )
    first, second = _other_posts(ctx, pillar, 2, same_category=True)
    ctx.paragraph(
        pillar,
        "Further reading: ",
        contextual(ctx, pillar, first),
        " and ",
        contextual(ctx, pillar, second),
        ".",
    )
    product = ctx.rng.choice(ctx.pools.products_in(category))
    ctx.paragraph(pillar, "Kit we use: ", link(product.path, product.title), ".")


def _spoke(ctx: BuildContext, pillar: Page, spoke: Page) -> None:
    name = CATEGORY_BY_SLUG[spoke.category or ""].name
    back = ctx.rng.choice(
        (pillar.title, "our complete guide", f"the {pillar.topic} guide", "back to the overview")
    )
    ctx.paragraph(
        spoke,
        ctx.prose.sentences(spoke.topic, name, 2),
        " This article is part of ",
        link(pillar.path, back, style="relative", source=spoke.path),
        ".",
    )
    siblings = [other for other in ctx.pools.spokes[pillar.path] if other.path != spoke.path]
    related = ctx.rng.sample(siblings, ctx.rng.choice((2, 3)))
    parts: list[str | Link | Raw] = [ctx.prose.sentence(spoke.topic, name), " Related: "]
    for index, sibling in enumerate(related):
        parts += [
            ", " if index else "",
            link(sibling.path, sibling.topic, style="relative", source=spoke.path),
        ]
    parts.append(".")
    spoke.add("content", Block("p", parts))
    (post,) = _other_posts(ctx, spoke, 1, same_category=True)
    ctx.paragraph(spoke, ctx.prose.sentence(spoke.topic, name), " See ", contextual(ctx, spoke, post), ".")
    if ctx.rng.random() < 0.3:
        ctx.paragraph(
            spoke,
            "Background: ",
            external(
                f"https://example.org/research/{spoke.path.strip('/').split('/')[-1]}", "a study we like"
            ),
            ".",
        )


def _post(ctx: BuildContext, post: Page) -> None:
    rng = ctx.rng
    category = post.category or ""
    name = CATEGORY_BY_SLUG[category].name
    ctx.paragraph(post, f"Published {post.date} in ", link(f"/category/{category}/", name), ".")
    ctx.paragraph(post, ctx.prose.sentences(post.topic, name, rng.choice((2, 3))))
    parts: list[str | Link | Raw] = [ctx.prose.sentence(post.topic, name)]
    for other in _other_posts(ctx, post, rng.choice((1, 2, 3)), same_category=rng.random() < 0.6):
        parts += [" We covered this in ", contextual(ctx, post, other), "."]
    post.add("content", Block("p", parts))
    if rng.random() < 0.5:
        pillar = rng.choice(ctx.pools.pillars_in(category))
        ctx.paragraph(
            post, ctx.prose.sentence(post.topic, name), " Start with ", contextual(ctx, post, pillar), "."
        )
    if rng.random() < 0.2:
        product = rng.choice(ctx.pools.products_in(category))
        ctx.paragraph(
            post, "We tested this with the ", link(product.path, product.title, style="absolute"), "."
        )
    if rng.random() < 0.15:
        slug = post.path.strip("/").split("/")[-1]
        ctx.paragraph(
            post,
            "According to ",
            external(f"https://example.org/research/{slug}", "a recent study"),
            ", it works.",
        )
    if rng.random() < 0.1:
        ctx.paragraph(post, non_http("javascript:window.print()", "Print this article"))
    if rng.random() < 0.08:
        (other,) = _other_posts(ctx, post, 1)
        alt = other.title if rng.random() < 0.7 else None
        post.add(
            "content",
            Block(
                "figure", [image_link(other.path, alt), Raw("<figcaption>Photo: our test team</figcaption>")]
            ),
        )
    if rng.random() < 0.25:
        _comments(ctx, post)


def _comments(ctx: BuildContext, post: Page) -> None:
    """User comments: internal links carry rel=ugc+nofollow in varied spellings."""
    post.add("comments", Block("div", [Raw('<a id="comments"></a>'), "Join the discussion below."]))
    for _ in range(ctx.rng.choice((1, 2, 3))):
        if ctx.rng.random() < 0.3:
            who = ctx.rng.choice(("Sam", "Priya", "Jonas", "Aoife"))
            post.add(
                "comments",
                Block(
                    "p",
                    [
                        external(f"https://example.net/~{who.lower()}", who, rel="ugc nofollow external"),
                        ": great read!",
                    ],
                ),
            )
            continue
        (other,) = _other_posts(ctx, post, 1)
        rel = ctx.rng.choice(("ugc nofollow", "UGC NoFollow", " nofollow  ugc "))
        post.add(
            "comments",
            Block(
                "p",
                ["Reader tip: this pairs well with ", Link(other.path, other.title, other.path, rel), "."],
            ),
        )


def _shop(ctx: BuildContext) -> None:
    shop = ctx.page("/products/")
    ctx.paragraph(shop, "Everything here has been tested by our team for at least a month.")
    for category in ctx.pools.categories:
        shop.add("content", Block("li", [link(category.path, f"{category.title} kit")]))
    for category in ctx.pools.categories:
        for product in ctx.pools.products_in(category.category or "")[:3]:
            shop.add(
                "content",
                Block(
                    "figure", [image_link(product.path, product.title, style="relative", source=shop.path)]
                ),
            )


def _product(ctx: BuildContext, product: Page) -> None:
    rng = ctx.rng
    category = product.category or ""
    name = CATEGORY_BY_SLUG[category].name
    slug = product.path.strip("/").split("/")[-1]
    ctx.paragraph(product, ctx.prose.product_sentences(product.title, name, 3))
    ctx.paragraph(
        product,
        "Buy it from our partner: ",
        Link(
            f"https://example.com/shop/{slug}",
            "Check price at Example Outdoor",
            None,
            "sponsored nofollow noopener",
            attrs=(("target", "_blank"),),
        ),
    )
    if rng.random() < 0.33:
        ctx.paragraph(product, "Not sure about sizing? ", non_http("", "Size guide"))
    if rng.random() < 0.4:
        review = rng.choice(ctx.pools.posts_in(category))
        ctx.paragraph(product, "Read ", contextual(ctx, product, review), ".")
    product.add("content", Block("h2", ["You might also like"]))
    others = [other for other in ctx.pools.products_in(category) if other.path != product.path]
    for other in rng.sample(others, 4):
        product.add(
            "content",
            Block("figure", [Link(other.path, f" {other.title}", other.path, img=True, img_alt=other.title)]),
        )


def _blog_listing(ctx: BuildContext) -> None:
    """``/blog/`` and ``/blog/page/N/``: 12 teasers a page, realistic pagination links."""
    posts = ctx.pools.posts
    last = listing_page_count(len(posts))
    for number in range(1, last + 1):
        path = listing_path(number)
        page = ctx.page(path)
        chunk = posts[(number - 1) * POSTS_PER_LISTING_PAGE : number * POSTS_PER_LISTING_PAGE]
        for index, post in enumerate(chunk):
            excerpt = ctx.prose.excerpt(post.topic, "endurance")
            page.add("content", _teaser(post, excerpt, read_more_from=path, image=index % 3 == 0))
        page.add("pagination", _pagination(number, last))
        if number > 1:
            page.head_links.append(("prev", listing_path(number - 1)))
        if number < last:
            page.head_links.append(("next", listing_path(number + 1)))


def pagination_numbers(current: int, last: int) -> list[int]:
    """Page numbers shown: first, last and ``PAGINATION_WINDOW`` neighbours either side."""
    shown = {1, last, *range(current - PAGINATION_WINDOW, current + PAGINATION_WINDOW + 1)}
    return sorted(number for number in shown if 1 <= number <= last)


def _pagination(current: int, last: int) -> Block:
    parts: list[str | Link | Raw] = []
    if current > 1:
        parts += [link(listing_path(current - 1), "« Previous", rel="prev"), " "]
    previous_shown = 0
    for number in pagination_numbers(current, last):
        if number - previous_shown > 1:
            parts.append(Raw('<span class="dots">…</span> '))
        if number == current:
            parts.append(Raw(f'<span aria-current="page">{number}</span> '))
        else:
            parts += [link(listing_path(number), str(number)), " "]
        previous_shown = number
    if current < last:
        parts.append(link(listing_path(current + 1), "Next »", rel="next"))
    return Block("div", parts, css_class="page-numbers")


def _german(ctx: BuildContext) -> None:
    german = ctx.pools.german_posts
    home = ctx.page("/de/")
    ctx.paragraph(
        home,
        "Willkommen bei Stride & Trail auf Deutsch. Hier finden Sie ",
        link("/de/blog/", "alle Artikel", style="absolute"),
        " und ",
        link("/de/ueber-uns/", "mehr über uns"),
        ".",
    )
    for post in german[:10]:
        home.add("content", Block("li", [link(post.path, post.title)]))
    listing = ctx.page("/de/blog/")
    for post in german:
        listing.add(
            "content", Block("li", [link(post.path, post.title, style="relative", source=listing.path)])
        )
    for post in german:
        others = ctx.rng.sample(
            [other for other in german if other.path != post.path], ctx.rng.choice((1, 2))
        )
        parts: list[str | Link | Raw] = [ctx.prose.german_sentences(post.topic, 2)]
        for other in others:
            parts += [
                " Lesen Sie auch: ",
                link(other.path, other.title, style="relative", source=post.path),
                ".",
            ]
        post.add("content", Block("p", parts))
        ctx.paragraph(
            post, ctx.prose.german_sentences(post.topic, 2), " Zurück zum ", link("/de/blog/", "Blog"), "."
        )
    ctx.paragraph(ctx.page("/de/ueber-uns/"), "Wir sind ein kleines Team aus Trainern und Testern.")
    ctx.paragraph(
        ctx.page("/de/impressum/"),
        "Verantwortlich: Stride & Trail Ltd. Kontakt: ",
        non_http("mailto:hallo@example.com", "hallo@example.com"),
        ".",
    )

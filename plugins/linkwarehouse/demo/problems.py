"""The planted problems, one small function each, every one recorded in ``ctx.planted``.

Order matters only in two ways: :func:`reserve_version_2_pages` runs first so no problem uses a
page that version 2 unlinks as the source of a planted link, and the problems that add template
links (cart, site index, newsletter) run before ``chrome.py``.
"""

from __future__ import annotations

from linkwarehouse.demo.context import BuildContext, link
from linkwarehouse.demo.model import BASE_URL, HTML, Block, Link, Page
from linkwarehouse.demo.sections import HOME_CRUMB, POST_COUNT, new_post, post_date
from linkwarehouse.demo.text import CATEGORY_BY_SLUG, slugify

ORPHAN_POSTS = 9
EXACT_MATCH_ANCHOR = "best running shoes"
EXACT_MATCH_SOURCES = 34
OTHER_ANCHORS = (
    "our running shoe picks",
    "this shoe guide",
    "The best running shoes of 2024, tested",
    "shoes we recommend",
)
SERIES_WEEKS = 12
#: Session ids every site strips by default, as servlet containers, PHP, classic ASP and
#: ColdFusion append them to links for visitors without cookies.
STRIPPED_SESSION_IDS = (
    ";jsessionid=8A3F0C1D2E4B5A69C7D8E9F0A1B2C3D4",
    "?PHPSESSID=5e1c0b9a7d2f4e6b8a3c1d0e9f7b5a2c",
    "?sid=b7c41e09",
    "?ASPSESSIONIDQACSTBSA=KHNPLMEAFJGDKBFLAOPDECMN",
    "?CFID=1207&CFTOKEN=74a3b1c9",
)
#: An osCommerce session key no built-in list knows: one value per page that links with it.
UNKNOWN_SESSION_KEY = "osCsid"
UNKNOWN_SESSION_IDS = ("3f9a0c2e71b4d85a", "c04d1e7b92a6f358", "81e5b7a3d0c94f26")
PDF_BODY = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def plant_problems(ctx: BuildContext) -> None:
    reserve_version_2_pages(ctx)
    plant_robots_disallowed(ctx)
    plant_link_heavy_page(ctx)
    plant_nofollow_only(ctx)
    plant_sitemap_only_orphans(ctx)
    plant_broken_links(ctx)
    plant_redirects(ctx)
    plant_nofollow_and_sponsored(ctx)
    plant_deep_series(ctx)
    plant_exact_match_anchor(ctx)
    plant_cross_language_links(ctx)
    plant_canonicalised_duplicate(ctx)
    plant_noindex(ctx)
    plant_percent_encoded_url(ctx)
    plant_follow_semantics(ctx)
    plant_session_variants(ctx)


def _sources(ctx: BuildContext, pool: list[Page], count: int) -> list[Page]:
    """Pages to host planted links: never a page that version 2 unlinks."""
    reserved = ctx.planted["v2_lost_inlinks"]
    return ctx.rng.sample([page for page in pool if page.path not in reserved], count)


def reserve_version_2_pages(ctx: BuildContext) -> None:
    """Choose the pages version 2 unlinks: one post, product, guide spoke and German post."""
    pools = ctx.pools
    post = ctx.rng.choice([post for post in pools.posts[40:] if not post.alternates])
    product = ctx.rng.choice(pools.products[1:])
    spokes = [spoke for pillar in pools.pillars[1:] for spoke in pools.spokes[pillar.path]]
    spoke = ctx.rng.choice(spokes)
    german = ctx.rng.choice(pools.german_posts[10:])
    ctx.planted["v2_lost_inlinks"] = tuple(sorted((post.path, product.path, spoke.path, german.path)))


def plant_robots_disallowed(ctx: BuildContext) -> None:
    """``/cart/`` is disallowed in robots.txt but linked (nofollow) from every header."""
    cart = Page(
        "/cart/", "cart", title="Your cart", h1="Your cart", meta_robots="noindex", crumbs=[HOME_CRUMB]
    )
    ctx.add_page(cart)
    ctx.paragraph(cart, "Your cart is empty. ", link("/products/", "Continue shopping"), ".")
    ctx.header_tools.append(Link("/cart/", "Cart", "/cart/", "nofollow"))
    ctx.planted["robots_disallowed"] = "/cart/"


def plant_link_heavy_page(ctx: BuildContext) -> None:
    """``/archive/``: an HTML site index with 300+ links, linked from every footer."""
    pools = ctx.pools
    page = ctx.add_page(
        Page(
            "/archive/",
            "archive",
            title="Site index",
            h1="Site index",
            sitemap="pages",
            canonical="/archive/",
            crumbs=[HOME_CRUMB],
        )
    )
    sections: list[tuple[str, list[Page]]] = [
        ("Topics", pools.categories),
        ("Guides", [p for pillar in pools.pillars for p in (pillar, *pools.spokes[pillar.path])]),
        ("Shop", pools.products),
    ]
    for heading, pages in sections:
        page.add("content", Block("h2", [heading]))
        for target in pages:
            page.add("content", Block("li", [link(target.path, target.title)]))
    ctx.footer_links.append(link("/archive/", "Site index"))
    ctx.planted["link_heavy_page"] = page.path


def plant_nofollow_only(ctx: BuildContext) -> None:
    """``/newsletter/``: a 200 page linked only with rel=nofollow (crawled, never reached)."""
    page = ctx.add_page(
        Page(
            "/newsletter/",
            "static",
            title="Newsletter",
            h1="Get the weekly newsletter",
            canonical="/newsletter/",
            crumbs=[HOME_CRUMB],
        )
    )
    ctx.paragraph(page, "One email a week, no spam. Read our ", link("/privacy/", "privacy policy"), ".")
    ctx.footer_links.append(Link("/newsletter/", "Newsletter", "/newsletter/", "nofollow"))
    ctx.planted["nofollow_only"] = page.path


def _orphan_body(ctx: BuildContext, page: Page) -> None:
    name = CATEGORY_BY_SLUG[page.category or ""].name
    ctx.paragraph(page, f"Published {page.date} in ", link(f"/category/{page.category}/", name), ".")
    (other,) = ctx.rng.sample(ctx.pools.posts_in(page.category or ""), 1)
    ctx.paragraph(
        page, ctx.prose.sentences(page.topic, name, 3), " See also ", link(other.path, other.title), "."
    )


def plant_sitemap_only_orphans(ctx: BuildContext) -> None:
    """Posts and landing pages listed in the sitemap that no page links to.

    One landing page links its own terms page, which is therefore linked only from an
    unreachable page (an orphan with inlinks); another is noindex, so it is unreachable but
    not an orphan.
    """
    orphans: list[str] = []
    spare = ctx.planted["spare_titles"]
    for index, (title, topic, category) in enumerate(spare[:ORPHAN_POSTS]):
        page = new_post(
            f"/blog/{slugify(title)}/", title, topic, category, post_date(POST_COUNT + 30 + index * 11)
        )
        _orphan_body(ctx, ctx.add_page(page))
        orphans.append(page.path)
    for slug, title in (
        ("spring-sale-2022", "Spring sale 2022"),
        ("winter-gear-guide", "Winter gear guide 2021"),
        ("summer-challenge", "The summer 100-mile challenge"),
    ):
        path = f"/landing/{slug}/"
        page = ctx.add_page(Page(path, "landing", title=title, h1=title, sitemap="pages", canonical=path))
        ctx.paragraph(page, "This offer has ended. ", link("/products/", "See what is in the shop now"), ".")
        orphans.append(path)
    terms = ctx.add_page(
        Page(
            "/landing/spring-sale-2022/terms/",
            "landing",
            title="Spring sale 2022: terms",
            h1="Terms and conditions",
            canonical="/landing/spring-sale-2022/terms/",
        )
    )
    ctx.paragraph(terms, "Offer valid while stocks last. ", link("/privacy/", "Privacy"), ".")
    ctx.paragraph(
        ctx.page("/landing/spring-sale-2022/"),
        link(terms.path, "Terms apply", style="relative", source="/landing/spring-sale-2022/"),
    )
    webinar = ctx.add_page(
        Page(
            "/landing/old-webinar/",
            "landing",
            title="Webinar: training through winter",
            h1="Webinar recording",
            meta_robots="noindex",
            sitemap="pages",
        )
    )
    ctx.paragraph(
        webinar, "The recording is no longer available. ", link("/guides/", "Browse our guides"), "."
    )
    ctx.planted["sitemap_only_orphans"] = tuple(orphans)
    ctx.planted["v2_resolved"] = (orphans[0],)
    ctx.planted["v2_resolved_from"] = "/"
    ctx.planted["linked_only_from_orphan"] = terms.path
    ctx.planted["unreachable_noindex"] = webinar.path


def plant_broken_links(ctx: BuildContext) -> None:
    """Body links to URLs that answer 404 (three) and 410 (one)."""
    broken = {
        "/blog/old-shoe-review-2019/": 404,
        "/guides/cycling-routes-map/": 404,
        "/products/discontinued-trail-pack/": 404,
        "/products/retired-gps-watch/": 410,
    }
    for path, status in broken.items():
        ctx.add_page(Page(path, "error", status=status, content_type=HTML))
    sources = _sources(ctx, ctx.pools.posts, 6) + _sources(ctx, ctx.pools.products, 2)
    targets = list(broken)
    for index, source in enumerate(sources):
        target = targets[index % len(targets)]
        label = target.strip("/").split("/")[-1].replace("-", " ")
        ctx.paragraph(source, "Still curious? Read ", link(target, label), ".")
    ctx.planted["broken"] = broken


def plant_redirects(ctx: BuildContext) -> None:
    """A 301 -> 302 -> 200 chain, a 302 loop and a missing-trailing-slash 301, all linked."""
    chain = ("/trail-running-guide/", "/guides/trail-running-2021/", "/guides/trail-running/")
    ctx.add_page(
        Page(
            chain[0],
            "redirect",
            status=301,
            content_type=None,
            location=BASE_URL + chain[1],
            redirect_target=chain[1],
        )
    )
    ctx.add_page(
        Page(
            chain[1],
            "redirect",
            status=302,
            content_type=None,
            location="../trail-running/",
            redirect_target=chain[2],
        )
    )
    for source in _sources(ctx, ctx.pools.posts_in("trail-running"), 3):
        ctx.paragraph(source, "New to the trails? Read our ", link(chain[0], "trail running guide"), ".")
    loop = ("/go/spring-offer/", "/go/spring-offer-2/")
    ctx.add_page(
        Page(loop[0], "redirect", status=302, content_type=None, location=loop[1], redirect_target=loop[1])
    )
    ctx.add_page(
        Page(
            loop[1],
            "redirect",
            status=302,
            content_type=None,
            location=BASE_URL + loop[0],
            redirect_target=loop[0],
        )
    )
    for source in (ctx.page("/"), ctx.page("/products/")):
        ctx.paragraph(source, "Limited time: ", link(loop[0], "our spring offer"), ".")
    slash = ("/contact", "/contact/")
    ctx.add_page(
        Page(slash[0], "redirect", status=301, content_type=None, location=slash[1], redirect_target=slash[1])
    )
    ctx.paragraph(ctx.page("/about/"), "Questions? Use ", link(slash[0], "our contact page"), ".")
    ctx.planted["redirect_chain"] = chain
    ctx.planted["redirect_loop"] = loop
    ctx.planted["slash_redirect"] = slash


def plant_nofollow_and_sponsored(ctx: BuildContext) -> None:
    """Internal rel=nofollow body links, and rel=sponsored ones to products linked elsewhere too."""
    sponsored: list[tuple[str, str]] = []
    for source in _sources(ctx, ctx.pools.posts, 4):
        product = ctx.rng.choice(ctx.pools.products)
        ctx.paragraph(source, "Partner pick: ", link(product.path, product.title, rel="sponsored"), ".")
        sponsored.append((source.path, product.path))
    for index, source in enumerate(_sources(ctx, ctx.pools.posts, 5)):
        (other,) = ctx.rng.sample(ctx.pools.posts, 1)
        rel = "NOFOLLOW" if index == 0 else "nofollow"
        ctx.paragraph(
            source, "From the forum archive: ", link(other.path, "an older discussion", rel=rel), "."
        )
    ctx.planted["internal_sponsored"] = tuple(sponsored)


def plant_deep_series(ctx: BuildContext) -> None:
    """A 12-week plan, each week linking only the next: weeks 6+ sit at click depth >= 7.

    The last week links a PDF (a 200 response that is not HTML).
    """
    weeks = [f"/series/marathon-plan/week-{n}/" for n in range(1, SERIES_WEEKS + 1)]
    pillar = ctx.page("/guides/marathon-training/")
    ctx.paragraph(pillar, "Ready to start? ", link(weeks[0], "Week 1 of our 12-week marathon plan"), ".")
    for number, path in enumerate(weeks, start=1):
        title = f"12-week marathon plan: week {number}"
        page = ctx.add_page(
            Page(
                path,
                "series",
                title=title,
                h1=title,
                topic="marathon training",
                category="running",
                sitemap="pages",
                canonical=path,
                crumbs=[HOME_CRUMB, ("/guides/", "Guides"), (pillar.path, "Marathon training")],
            )
        )
        ctx.paragraph(page, ctx.prose.sentences("marathon training", "running", 3))
        parts: list[str | Link] = []
        if number > 1:
            parts += [link(weeks[number - 2], f"← Week {number - 1}", style="relative", source=path), " · "]
        parts += ["Back to ", link(weeks[0], "the start of the plan"), "."]
        if number < SERIES_WEEKS:
            parts += [" ", link(weeks[number], f"Week {number + 1} →", style="relative", source=path)]
        ctx.paragraph(page, *parts)
    pdf = "/downloads/marathon-plan.pdf"
    ctx.add_page(Page(pdf, "file", content_type="application/pdf", body=PDF_BODY))
    ctx.paragraph(ctx.page(weeks[-1]), "Download ", link(pdf, "the printable plan (PDF)"), ".")
    ctx.planted["deep_series"] = tuple(weeks)
    ctx.planted["non_html"] = pdf


def plant_exact_match_anchor(ctx: BuildContext) -> None:
    """A post whose inbound anchors are ~90 % the exact-match phrase "best running shoes"."""
    title = "The best running shoes of 2024, tested"
    target = ctx.add_page(
        new_post("/blog/best-running-shoes/", title, "running shoes", "running", "2024-03-01")
    )
    pillar = ctx.page("/guides/marathon-training/")
    ctx.paragraph(
        target,
        ctx.prose.sentences("running shoes", "running", 3),
        " See ",
        link(pillar.path, pillar.title),
        ".",
    )
    pool = ctx.pools.posts_in("running") + ctx.pools.posts_in("trail-running")
    sources = _sources(ctx, pool, EXACT_MATCH_SOURCES + len(OTHER_ANCHORS))
    anchors = [EXACT_MATCH_ANCHOR] * EXACT_MATCH_SOURCES + list(OTHER_ANCHORS)
    for source, anchor in zip(sources, anchors, strict=True):
        style = ctx.rng.choice(("root", "absolute", "utm", "relative"))
        markup = ctx.rng.choice(("plain", "spaced", "nested"))
        ctx.paragraph(
            source,
            "Looking for new shoes? Here are the ",
            link(target.path, anchor, style=style, source=source.path, markup=markup),
            " we tested this year.",
        )
    ctx.planted["exact_match_target"] = target.path
    ctx.planted["exact_match_anchor"] = EXACT_MATCH_ANCHOR


def plant_cross_language_links(ctx: BuildContext) -> None:
    """Body links from English posts to German ones and back (alternates are declared apart)."""
    pairs: list[tuple[str, str]] = []
    german = ctx.pools.german_posts
    for source, target in zip(_sources(ctx, ctx.pools.posts, 3), ctx.rng.sample(german[:10], 3), strict=True):
        ctx.paragraph(
            source,
            "German readers: ",
            link(target.path, target.title, attrs=(("hreflang", "de"), ("lang", "de"))),
            ".",
        )
        pairs.append((source.path, target.path))
    for source, target in zip(_sources(ctx, german, 2), ctx.rng.sample(ctx.pools.pillars, 2), strict=True):
        ctx.paragraph(
            source, "Auf Englisch: ", link(target.path, target.title, attrs=(("hreflang", "en"),)), "."
        )
        pairs.append((source.path, target.path))
    ctx.planted["cross_language_links"] = tuple(pairs)
    ctx.planted["german_section"] = tuple(
        sorted(path for path, page in ctx.pages.items() if page.lang == "de")
    )


def plant_canonicalised_duplicate(ctx: BuildContext) -> None:
    """A colour variant whose rel=canonical points at the main product page."""
    parent = ctx.pools.products[0]
    duplicate = ctx.add_page(
        Page(
            parent.path.rstrip("/") + "-blue/",
            "product",
            title=f"{parent.title} (blue)",
            h1=f"{parent.title} (blue)",
            topic=parent.topic,
            category=parent.category,
            canonical=parent.path,
            crumbs=list(parent.crumbs),
        )
    )
    ctx.paragraph(duplicate, "The same product in blue. ", link(parent.path, "See all colours"), ".")
    ctx.paragraph(
        parent, "Also available in ", link(duplicate.path, "blue", style="relative", source=parent.path), "."
    )
    ctx.planted["canonicalised"] = {duplicate.path: parent.path}


def plant_noindex(ctx: BuildContext) -> None:
    """A meta-robots ``noindex, follow`` page and an ``X-Robots-Tag: noindex`` page."""
    thanks = ctx.add_page(
        Page(
            "/thank-you/",
            "static",
            title="Thank you",
            h1="Thanks for your message",
            meta_robots="noindex, follow",
        )
    )
    ctx.paragraph(
        thanks, "We will reply within two working days. Meanwhile, ", link("/blog/", "read the blog"), "."
    )
    ctx.paragraph(
        ctx.page("/contact/"),
        "After sending the form you will see ",
        link(thanks.path, "a confirmation page"),
        ".",
    )
    printable_path = "/guides/marathon-training/printable/"
    printable = ctx.add_page(
        Page(
            printable_path,
            "printable",
            title="Marathon training (printable)",
            h1="Marathon training",
            x_robots_tag="noindex",
        )
    )
    ctx.paragraph(printable, ctx.prose.sentences("marathon training", "running", 4))
    ctx.paragraph(
        ctx.page("/guides/marathon-training/"),
        link(printable_path, "Printable version", style="relative", source="/guides/marathon-training/"),
    )
    ctx.planted["noindex_meta"] = thanks.path
    ctx.planted["noindex_header"] = printable_path


def plant_percent_encoded_url(ctx: BuildContext) -> None:
    """A non-ASCII slug linked with three spellings that normalise to one URL."""
    path = "/blog/caf%C3%A9-ride-etiquette/"
    page = ctx.add_page(new_post(path, "Café ride etiquette", "café rides", "cycling", "2023-09-14"))
    ctx.paragraph(
        page,
        ctx.prose.sentences("café rides", "cycling", 3),
        " More in ",
        link("/category/cycling/", "cycling"),
        ".",
    )
    spellings = ("/blog/café-ride-etiquette/", "/blog/caf%c3%a9-ride-etiquette/", BASE_URL + path)
    for source, href in zip(_sources(ctx, ctx.pools.posts_in("cycling"), 3), spellings, strict=True):
        ctx.paragraph(
            source, "Before your next group ride, read ", Link(href, "our café stop etiquette", path), "."
        )
    ctx.planted["percent_encoded"] = path


#: Page-level follow cases: (case, hub path, hub title, page-level markup, target path, target title).
#: Every hub is linked (followed) from /about/; its only content link names a page no other link
#: names, so that page is reachable exactly when the hub's directive does not apply to Google.
PAGE_LEVEL_CASES: tuple[tuple[str, str, str, dict[str, str], str, str], ...] = (
    (
        "meta_robots",
        "/community/",
        "Community forum",
        {"meta_robots": "nofollow"},
        "/community/long-run-fuelling-thread/",
        "Forum thread: fuelling long runs",
    ),
    (
        "meta_googlebot",
        "/press/",
        "Press",
        {"meta_googlebot": "nofollow"},
        "/press/media-kit/",
        "Media kit",
    ),
    (
        "x_robots_tag",
        "/partners/",
        "Partner programme",
        {"x_robots_tag": "nofollow"},
        "/partners/affiliate-terms/",
        "Affiliate terms",
    ),
    (
        "x_robots_tag_googlebot",
        "/events/",
        "Events",
        {"x_robots_tag": "googlebot: nofollow"},
        "/events/spring-5k/",
        "Spring 5k meet-up",
    ),
    (
        "x_robots_tag_otherbot",
        "/stockists/",
        "Stockists",
        {"x_robots_tag": "otherbot: nofollow"},
        "/stockists/berlin/",
        "Stockist: Berlin",
    ),
)


def plant_follow_semantics(ctx: BuildContext) -> None:
    """Google's follow semantics, one case each: page-level nofollow and rel=sponsored / rel=ugc.

    Page level: hubs whose meta robots, meta googlebot, X-Robots-Tag or googlebot-scoped
    X-Robots-Tag says nofollow (their targets are orphans), and one whose X-Robots-Tag is scoped
    to another bot (its target is reached). Link level: a target linked only with
    rel="sponsored" and one linked only with rel="ugc" from a reader comment. No randomness is
    drawn, so the rest of the site is as before.
    """
    cases: dict[str, tuple[str, str]] = {}
    about = ctx.page("/about/")
    parts: list[str | Link] = ["Around Stride & Trail: "]
    for case, hub_path, hub_title, directives, target_path, target_title in PAGE_LEVEL_CASES:
        hub = ctx.add_page(
            Page(hub_path, "static", title=hub_title, h1=hub_title, canonical=hub_path, crumbs=[HOME_CRUMB])
        )
        for name, value in directives.items():
            setattr(hub, name, value)
        target = ctx.add_page(
            Page(
                target_path,
                "static",
                title=target_title,
                h1=target_title,
                canonical=target_path,
                crumbs=[HOME_CRUMB, (hub_path, hub_title)],
            )
        )
        ctx.paragraph(target, "Questions? ", link("/contact/", "Get in touch"), ".")
        ctx.paragraph(hub, "Latest: ", link(target.path, target_title), ".")
        parts += [link(hub_path, hub_title), " · " if len(cases) < len(PAGE_LEVEL_CASES) - 1 else "."]
        cases[case] = (hub_path, target_path)
    ctx.paragraph(about, *parts)
    reserved = set(ctx.planted["v2_lost_inlinks"])
    hosts = [post for post in ctx.pools.posts if post.path not in reserved][:2]
    deal = ctx.add_page(
        Page(
            "/deals/trail-sock-bundle/",
            "static",
            title="Trail sock bundle (partner offer)",
            h1="Trail sock bundle",
            canonical="/deals/trail-sock-bundle/",
            crumbs=[HOME_CRUMB],
        )
    )
    ctx.paragraph(deal, "Three pairs for the price of two. ", link("/products/", "Back to the shop"), ".")
    ctx.paragraph(hosts[0], "Sponsored: ", link(deal.path, "a trail sock bundle", rel="sponsored"), ".")
    story = ctx.add_page(
        Page(
            "/blog/readers/first-ultra/",
            "static",
            title="Reader story: my first ultra",
            h1="My first ultra",
            canonical="/blog/readers/first-ultra/",
            crumbs=[HOME_CRUMB, ("/blog/", "Blog")],
        )
    )
    ctx.paragraph(story, "Fifty kilometres, one blister. ", link("/blog/", "More from the blog"), ".")
    hosts[1].add(
        "comments",
        Block("p", ["Reader tip: I wrote up ", link(story.path, "my first ultra", rel="ugc"), "."]),
    )
    cases["rel_sponsored"] = (hosts[0].path, deal.path)
    cases["rel_ugc"] = (hosts[1].path, story.path)
    ctx.planted["follow_cases"] = cases


def plant_session_variants(ctx: BuildContext) -> None:
    """One product linked through session-id variants that all name it as rel=canonical.

    Five posts link it with a session id every site strips (``;jsessionid=``, ``PHPSESSID``,
    ``sid``, ``ASPSESSIONID…``, ``CFID``/``CFTOKEN``): one URL, the product's own. Three more
    link it and the shop with an osCommerce ``osCsid`` no strip list knows, each post its own
    value: six URL variants that the crawler fetches once each and records as variants of their
    canonical (the server ignores query strings, so they serve the product and the shop), and
    a key whose value changes on every page. Chosen without the RNG so nothing else moves.
    """
    reserved = set(ctx.planted["v2_lost_inlinks"])
    product = next(page for page in ctx.pools.products[1:] if page.path not in reserved)
    shop = ctx.page("/products/")
    sources = [post for post in ctx.pools.posts if post.path not in reserved][: len(STRIPPED_SESSION_IDS) + 3]
    hrefs = tuple(product.path + suffix for suffix in STRIPPED_SESSION_IDS)
    for source, href in zip(sources, hrefs, strict=False):
        ctx.paragraph(source, "Back in stock: ", Link(href, product.title, product.path), ".")
    variants: list[str] = []
    for source, value in zip(sources[len(hrefs) :], UNKNOWN_SESSION_IDS, strict=True):
        query = f"?{UNKNOWN_SESSION_KEY}={value}"
        ctx.paragraph(
            source,
            "Back in stock: ",
            Link(product.path + query, product.title, product.path + query),
            ", and more in ",
            Link(shop.path + query, "the shop", shop.path + query),
            ".",
        )
        variants += [product.path + query, shop.path + query]
    ctx.planted["session_product"] = product.path
    ctx.planted["session_hrefs"] = hrefs
    ctx.planted["session_variants"] = tuple(sorted(variants))
    ctx.planted["volatile_params"] = (UNKNOWN_SESSION_KEY.lower(),)

"""Two small sites for URL-variant tests (crawler and warehouse): session ids and index files."""

from __future__ import annotations

from .conftest import Route, html


def page(path: str, links: str) -> Route:
    return html(f"<main><p>Page {path}</p>{links}</main>", f'<link rel="canonical" href="{{BASE}}{path}">')


SESSION_SITE = {
    "/robots.txt": Route("User-agent: *\n", content_type="text/plain"),
    "/": page(
        "/",
        '<a href="/p/?zenid=s0">P</a> <a href="/q/?zenid=s0">Q</a>'
        ' <a href="/p/;jsessionid=0A1B2C3D">P</a> <a href="/p/?PHPSESSID=5e1c0b9a">P</a>'
        ' <a href="/p/?sid=b7c41e09">P</a>',
    ),
    "/p/": page("/p/", '<a href="/q/?zenid=s1">Q</a>'),
    "/q/": page("/q/", '<a href="/?zenid=s2">Home</a>'),
}

DOCS_SITE = {
    "/robots.txt": Route("User-agent: *\n", content_type="text/plain"),
    "/": html(
        '<a href="/more/index.htm">More</a> <a href="/docs/index.html">Docs</a> <a href="/docs/">Docs</a>'
        ' <a href="/guide/index.html">Guide</a> <a href="/guide/">Guide</a>'
        ' <a href="/solo/index.html">Solo</a> <a href="/old-docs">Old docs</a>'
    ),
    "/more/index.htm": Route("<html><body>Not here</body></html>", status=404),
    "/more/": html("<p>More</p>"),
    "/docs/": html('<p>Docs home</p><a href="intro">Intro</a>'),
    "/docs/index.html": html('<p>Docs home</p><a href="intro">Intro</a>'),
    "/docs/intro": html('<a href="index.html">Back</a>'),
    "/guide/": html("<p>Guide, new edition</p>"),
    "/guide/index.html": html("<p>Guide, old edition</p>"),
    "/solo/index.html": html("<p>Solo</p>"),
    "/old-docs": Route("", status=301, content_type=None, headers=(("Location", "/docs/index.html"),)),
}

"""A readable run summary from the published marts (what ``make demo`` prints).

Reads ``warehouse/marts.duckdb`` read-only, like any BI client, so it shows exactly what was
published: per site, its latest crawl's pages, links, orphans, broken links, depth histogram
and the pages that most need internal links.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

DEEPEST_BUCKET = 10

NEEDS_LINKS_SQL = """
with latest as (
    select site, max(crawl_id) as crawl_id from page_link_metrics group by site
),
candidates as (
    select
        m.url,
        m.unique_inlinks,
        m.click_depth,
        m.link_score,
        m.is_orphan,
        m.orphan_evidence,
        case
            when m.is_orphan then 'orphan (' || array_to_string(m.orphan_evidence, ', ') || ')'
            when m.click_depth > 3 then 'deep (' || m.click_depth || ' clicks)'
            when m.unique_inlinks <= 1 then 'weakly linked'
            else 'low equity'
        end as reason,
        case
            when m.is_orphan then 1000
            when m.click_depth > 3 then 100 + m.click_depth
            when m.unique_inlinks <= 1 then 50
            else 0
        end + (100 - m.link_score) / 100.0 as priority
    from page_link_metrics as m
    join latest as l on m.site = l.site and m.crawl_id = l.crawl_id
    where m.site = ? and m.indexable
)
select url, reason, unique_inlinks, click_depth, link_score
from candidates
order by priority desc, url
limit ?
"""


def _fmt(value: int | float | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}"


def summary(marts_path: Path, top: int = 10) -> str:
    """Render the summary of every site's latest crawl as plain text."""
    with duckdb.connect(str(marts_path), read_only=True) as con:
        sites = con.execute(
            "select site, max(crawl_id), count(distinct crawl_id) from page_link_metrics "
            "group by site order by site"
        ).fetchall()
        lines: list[str] = []
        for site, crawl_id, crawls in sites:
            lines.extend(_site_summary(con, site, crawl_id, crawls, top))
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _site_summary(
    con: duckdb.DuckDBPyConnection, site: str, crawl_id: str, crawls: int, top: int
) -> list[str]:
    pages, ok, redirects, client_errors, server_errors, unfetched, links, orphans, broken = con.execute(
        """
        select
            count(*),
            count(*) filter (where status between 200 and 299),
            count(*) filter (where status between 300 and 399),
            count(*) filter (where status between 400 and 499),
            count(*) filter (where status >= 500),
            count(*) filter (where status is null),
            sum(total_outlinks),
            count(*) filter (where is_orphan),
            sum(total_inlinks) filter (where status in (404, 410))
        from page_link_metrics where site = ? and crawl_id = ?
        """,
        [site, crawl_id],
    ).fetchone()
    events = dict(
        con.execute(
            "select event, count(*) from orphan_events where site = ? and crawl_id = ? group by event",
            [site, crawl_id],
        ).fetchall()
    )
    depths = con.execute(
        """
        select least(click_depth, ?) as depth, count(*) from page_link_metrics
        where site = ? and crawl_id = ? group by depth order by depth nulls last
        """,
        [DEEPEST_BUCKET, site, crawl_id],
    ).fetchall()
    (origin,) = con.execute(
        """
        select coalesce(min(regexp_extract(url, '^https?://[^/]+')), '') from page_link_metrics
        where site = ? and crawl_id = ? and click_depth = 0
        """,
        [site, crawl_id],
    ).fetchone()
    needs = con.execute(NEEDS_LINKS_SQL, [site, top]).fetchall()

    out = [
        f"Site '{site}' - latest crawl {crawl_id} ({crawls} crawl(s) in the warehouse)",
        f"  pages           {_fmt(pages):>8}   200s {_fmt(ok)} · redirects {_fmt(redirects)} · "
        f"4xx {_fmt(client_errors)} · 5xx {_fmt(server_errors)} · not fetched {_fmt(unfetched)}",
        f"  internal links  {_fmt(links):>8}",
        f"  orphan pages    {_fmt(orphans):>8}   new since previous crawl {_fmt(events.get('new', 0))} · "
        f"resolved {_fmt(events.get('resolved', 0))}",
        f"  broken links    {_fmt(broken or 0):>8}   (links to 404/410 URLs)",
        "  click depth",
    ]
    widest = max((count for _, count in depths), default=1)
    for depth, count in depths:
        label = "unreachable" if depth is None else f"{depth}+" if depth == DEEPEST_BUCKET else f"{depth}"
        bar = "#" * max(1, round(40 * count / widest))
        out.append(f"    {label:>11} {count:>7,}  {bar}")
    out.append(f"  top {len(needs)} pages needing links" + (f" (paths under {origin})" if origin else ""))
    for rank, (url, reason, inlinks, depth, score) in enumerate(needs, start=1):
        shown = url[len(origin) :] if origin and url.startswith(origin + "/") else url
        out.append(
            f"    {rank:>2}. {shown}\n        {reason}; {inlinks} unique inlinks, depth {_fmt(depth)}, "
            f"link score {score:.1f}"
        )
    return out

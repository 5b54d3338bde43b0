"""A readable run summary from the published marts (what ``make demo`` prints).

Reads ``warehouse/marts.duckdb`` read-only, like any BI client, so it shows exactly what was
published: per site, its latest crawl's headline KPIs (``site_kpis``), the click-depth
histogram, orphans that still get traffic, striking-distance pages and the pages that most
need internal links (``page_link_metrics``).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

DEEPEST_BUCKET = 10

#: Orphans first (most traffic first), then striking-distance pages, deep pages, weakly linked.
NEEDS_LINKS_SQL = """
with candidates as (
    select
        m.*,
        case
            when m.is_orphan then 0
            when m.is_striking_distance then 1
            when m.click_depth > 3 then 2
            when m.weakly_linked then 3
            else 4
        end as tier
    from page_link_metrics as m
    where m.site = ? and m.crawl_id = ? and m.indexable
)
select
    url,
    case tier
        when 0 then 'orphan (' || array_to_string(orphan_evidence, ', ') || ')'
        when 1 then 'striking distance (Google position ' || round(gsc_position_28d, 1) || ')'
        when 2 then 'deep (' || click_depth || ' clicks)'
        when 3 then 'weakly linked'
        else 'low equity'
    end as reason,
    unique_inlinks,
    unique_followed_inlinks,
    click_depth,
    link_score,
    coalesce(sessions_28d, 0) as sessions,
    coalesce(gsc_impressions_28d, 0) as impressions
from candidates
order by tier, sessions desc, impressions desc, click_depth desc nulls first, link_score, url
limit ?
"""

ORPHANS_WITH_TRAFFIC_SQL = """
select count(*), sum(sessions_28d), sum(gsc_impressions_28d)
from page_link_metrics
where site = ? and crawl_id = ? and is_orphan and (sessions_28d > 0 or gsc_impressions_28d > 0)
"""

STRIKING_SQL = """
select url, gsc_position_28d, gsc_impressions_28d, gsc_clicks_28d, unique_inlinks, link_score
from page_link_metrics
where site = ? and crawl_id = ? and is_striking_distance
order by gsc_impressions_28d desc, url
limit ?
"""


def _n(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


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
    kpi_cursor = con.execute("select * from site_kpis where site = ? and crawl_id = ?", [site, crawl_id])
    names = [column[0] for column in kpi_cursor.description]
    kpis = dict(zip(names, kpi_cursor.fetchone(), strict=True))
    statuses = con.execute(
        """
        select
            count(*) filter (where status between 300 and 399),
            count(*) filter (where status between 400 and 499),
            count(*) filter (where status >= 500),
            count(*) filter (where status is null)
        from page_link_metrics where site = ? and crawl_id = ?
        """,
        [site, crawl_id],
    ).fetchone()
    redirects, client_errors, server_errors, unfetched = statuses
    orphans_with_traffic = con.execute(ORPHANS_WITH_TRAFFIC_SQL, [site, crawl_id]).fetchone()

    out = [
        f"Site '{site}' - latest crawl {crawl_id} ({crawls} crawl(s) in the warehouse)",
        f"  pages           {_n(kpis['pages']):>8}   200s {_n(kpis['pages_ok'])} · indexable "
        f"{_n(kpis['indexable_pages'])} · redirects {_n(redirects)} · 4xx {_n(client_errors)} · "
        f"5xx {_n(server_errors)} · not fetched {_n(unfetched)}",
        f"  internal links  {_n(kpis['internal_links']):>8}   to redirects {_n(kpis['redirected_links'])}"
        f" · to canonicalised URLs {_n(kpis['canonicalised_links'])}"
        f" · hreflang issues {_n(kpis['hreflang_issues'])}",
        f"  broken links    {_n(kpis['broken_links']):>8}   (links to 404/410,"
        f" {_n(kpis['broken_link_targets'])} URLs) · other 4xx/5xx links {_n(kpis['other_error_links'])}",
        f"  orphan pages    {_n(kpis['orphans']):>8}   new since previous crawl {_n(kpis['new_orphans'])} · "
        f"resolved {_n(kpis['resolved_orphans'])} · with traffic {_n(orphans_with_traffic[0])} "
        f"({_n(orphans_with_traffic[1])} sessions, {_n(orphans_with_traffic[2])} impressions in 28 days)",
        f"  equity          Gini {_n(kpis['equity_gini'], 2)}"
        f" · weakly linked pages {_n(kpis['weakly_linked_pages'])}"
        f" · striking-distance pages {_n(kpis['striking_distance_pages'])}",
        f"  click depth     median {_n(kpis['median_click_depth'], 1)} · p95 {_n(kpis['p95_click_depth'], 1)}"
        f" · deeper than 3: {_n(100 * (kpis['share_deeper_than_3'] or 0), 1)} %",
    ]
    out.extend(_depth_histogram(con, site, crawl_id))
    origin = _origin(con, site, crawl_id)

    def shown(url: str) -> str:
        return url[len(origin) :] if origin and url.startswith(origin + "/") else url

    striking = con.execute(STRIKING_SQL, [site, crawl_id, min(top, 5)]).fetchall()
    if striking:
        out.append(
            f"  top {len(striking)} striking-distance pages (Google position 11-20; most impressions first)"
        )
        for url, position, impressions, clicks, inlinks, score in striking:
            out.append(
                f"      {shown(url)}  position {_n(position, 1)}, {_n(impressions)} impressions, "
                f"{_n(clicks)} clicks; {inlinks} unique inlinks, link score {score:.1f}"
            )
    needs = con.execute(NEEDS_LINKS_SQL, [site, crawl_id, top]).fetchall()
    out.append(f"  top {len(needs)} pages needing links" + (f" (paths under {origin})" if origin else ""))
    for rank, (url, reason, inlinks, followed, depth, score, sessions, impressions) in enumerate(
        needs, start=1
    ):
        unfollowed = f" ({followed} followed)" if followed != inlinks else ""
        demand = (
            f"; {_n(sessions)} sessions, {_n(impressions)} impressions in 28 days"
            if sessions or impressions
            else ""
        )
        out.append(
            f"    {rank:>2}. {shown(url)}\n        {reason}; {inlinks} unique inlinks{unfollowed}, "
            f"depth {_n(depth)}, link score {score:.1f}{demand}"
        )
    return out


def _depth_histogram(con: duckdb.DuckDBPyConnection, site: str, crawl_id: str) -> list[str]:
    depths = con.execute(
        """
        -- least() skips nulls in DuckDB: unreachable pages must stay null, not join the deepest bucket.
        select if(click_depth is null, null, least(click_depth, ?)) as depth, count(*) from page_link_metrics
        where site = ? and crawl_id = ? group by depth order by depth nulls last
        """,
        [DEEPEST_BUCKET, site, crawl_id],
    ).fetchall()
    widest = max((count for _, count in depths), default=1)
    lines = []
    for depth, count in depths:
        label = "unreachable" if depth is None else f"{depth}+" if depth == DEEPEST_BUCKET else f"{depth}"
        lines.append(f"    {label:>11} {count:>7,}  {'#' * max(1, round(40 * count / widest))}")
    return lines


def _origin(con: duckdb.DuckDBPyConnection, site: str, crawl_id: str) -> str:
    """Scheme and host of the start URL, so lists can show short paths."""
    (origin,) = con.execute(
        """
        select coalesce(min(regexp_extract(url, '^https?://[^/]+')), '') from page_link_metrics
        where site = ? and crawl_id = ? and click_depth = 0
        """,
        [site, crawl_id],
    ).fetchone()
    return origin

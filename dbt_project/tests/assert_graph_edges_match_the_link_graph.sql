-- The graph model maps the lake's links to node ids itself (for speed) and counts the distinct
-- followed edges it ends up with; int_link_graph derives the same edges in plain SQL. Every
-- crawl must agree: followed pairs whose source and target both have a page row.

with

graph_edges as (

    select site, crawl_id, any_value(followed_edges) as followed_edges
    from {{ ref('int_graph_metrics') }}
    group by site, crawl_id

),

pages as (

    select site, crawl_id, url
    from {{ ref('int_crawl_pages') }}

),

link_graph_edges as (

    select edges.site, edges.crawl_id, count(distinct (edges.source_url, edges.target_url)) as followed_edges
    from {{ ref('int_link_graph') }} as edges
    semi join pages as sources
        on edges.site = sources.site
        and edges.crawl_id = sources.crawl_id
        and edges.source_url = sources.url
    semi join pages as targets
        on edges.site = targets.site
        and edges.crawl_id = targets.crawl_id
        and edges.target_url = targets.url
    where edges.is_followed
    group by edges.site, edges.crawl_id

)

select
    graph_edges.site,
    graph_edges.crawl_id,
    graph_edges.followed_edges,
    link_graph_edges.followed_edges as link_graph_followed_edges

from graph_edges
left join link_graph_edges
    on graph_edges.site = link_graph_edges.site
    and graph_edges.crawl_id = link_graph_edges.crawl_id
where graph_edges.followed_edges != coalesce(link_graph_edges.followed_edges, 0)

{{
    config(
        materialized='incremental_by_crawl',
        crawls='int_graph_crawls',
        fingerprint='graph_fingerprint',
    )
}}
{%- set with_equity_variants = any_equity_variant() -%}
-- One row per URL per crawl (every crawl/pages row): breadth-first click depth, internal
-- PageRank with its rank, 0-10 and 0-100 scales, and the same four for the site's equity variant.
--
-- Why this shape (bench/graph_metrics.py, 1M pages / 20M links, 2 cores, same run): the links
-- are read straight from the lake (staging view), mapped to node ids with two hash joins against
-- int_graph_nodes, packed into one list per crawl and handed to numpy/scipy through
-- lw_graph_metrics (linkwarehouse.crawl_graphs); no edge table is written. 9.4 s and 2.0 GB peak
-- RSS for the whole step, where a 20-line in-memory scipy reference takes 8.9-10.7 s and igraph
-- 36-41 s; the foundation's materialised edge tables plus Python models took 28 s and 4.8 GB,
-- and the issue measured a DuckDB SQL loop at ~10 s and WITH RECURSIVE ... USING KEY at ~17 s
-- for PageRank alone. SQL rather than a Python model so dbt unit tests can check it.
-- Each crawl is computed once (incremental_by_crawl, keyed by int_graph_crawls' fingerprint).

with

crawls as (

    select * from {{ ref('int_graph_crawls') }} as graph_crawls
    where {{ crawl_scope('graph_crawls') }}

),

nodes as (

    select * from {{ ref('int_graph_nodes') }} as graph_nodes
    where {{ crawl_scope('graph_nodes') }}

),

-- Internal links between crawled URLs as node ids. "Followed" (as in int_link_graph: not
-- nofollow, not a self-link) is a column applied later, not a WHERE: DuckDB guesses 20 %
-- selectivity per filter on the scan, and with that estimate it built the join's hash table on
-- the 20M links instead of the 1M nodes (13 s and 3.3 GB instead of 8 s and 2.0 GB).
link_edges as (

    select
        links.site,
        links.crawl_id,
        sources.node_id as source_id,
        targets.node_id as target_id,
        links.is_internal and sources.node_id != targets.node_id as is_between_pages,
        coalesce(links.is_nofollow, false) as is_nofollow,
        links.link_position

    from {{ ref('stg_crawl__links') }} as links
    inner join nodes as sources
        on links.site = sources.site
        and links.crawl_id = sources.crawl_id
        and links.source_url = sources.url
    inner join nodes as targets
        on links.site = targets.site
        and links.crawl_id = targets.crawl_id
        and links.target_url = targets.url
    where {{ crawl_scope('links') }}

),

-- One edge from each 3xx URL to its crawled Location (a redirect is a level), and one from each
-- page recorded as a parameter variant to its canonical: its links were not followed, so it
-- leads to its canonical only, like a redirect.
redirect_edges as (

    select
        redirecting.site,
        redirecting.crawl_id,
        cast(redirecting.node_id as bigint) * 4294967296 + locations.node_id as edge

    from nodes as redirecting
    inner join nodes as locations
        on redirecting.site = locations.site
        and redirecting.crawl_id = locations.crawl_id
        and locations.url = if(redirecting.is_redirect, redirecting.redirect_location, redirecting.variant_of)
    where (redirecting.is_redirect or redirecting.variant_of is not null) and redirecting.node_id != locations.node_id

),

redirect_lists as (

    select site, crawl_id, list(edge) as redirects
    from redirect_edges
    group by site, crawl_id

),

{%- if with_equity_variants %}

-- With an equity variant the occurrences themselves go to numpy (it needs nofollow and position
-- per occurrence); the plain edges are picked from the same list, so the 20M-row join runs once.
occurrence_lists as (

    select
        site,
        crawl_id,
        list({
            'edge': cast(source_id as bigint) * 4294967296 + target_id,
            'nofollow': is_nofollow,
            -- Index into the weights list of equity_metrics: content, aside, header, nav, footer, other.
            'position': case link_position
                when 'content' then 0 when 'aside' then 1 when 'header' then 2 when 'nav' then 3
                when 'footer' then 4 else 5
            end
        }) filter (where is_between_pages) as occurrences

    from link_edges
    group by site, crawl_id

),

link_lists as (

    select
        site,
        crawl_id,
        occurrences,
        [occurrence.edge for occurrence in occurrences if not occurrence.nofollow] as edges

    from occurrence_lists

),

{%- else %}

link_lists as (

    select
        site,
        crawl_id,
        list(cast(source_id as bigint) * 4294967296 + target_id)
            filter (where is_between_pages and not is_nofollow) as edges

    from link_edges
    group by site, crawl_id

),

{%- endif %}

start_nodes as (

    select
        crawl_starts.site,
        crawl_starts.crawl_id,
        nodes.node_id

    from (select site, crawl_id, unnest(start_urls) as url from crawls) as crawl_starts
    inner join nodes
        on crawl_starts.site = nodes.site
        and crawl_starts.crawl_id = nodes.crawl_id
        and crawl_starts.url = nodes.url

),

node_counts as (

    select site, crawl_id, count(*) as n_nodes
    from nodes
    group by site, crawl_id

),

start_lists as (

    select site, crawl_id, list(node_id) as starts
    from start_nodes
    group by site, crawl_id

),

graphs as (

    select
        crawls.site,
        crawls.crawl_id,
        node_counts.n_nodes,
        list_concat(
            coalesce(link_lists.edges, []::bigint[]), coalesce(redirect_lists.redirects, []::bigint[])
        )
            as edges,
        coalesce(start_lists.starts, []::integer[]) as starts

    from crawls
    inner join node_counts
        on crawls.site = node_counts.site
        and crawls.crawl_id = node_counts.crawl_id
    left join link_lists
        on crawls.site = link_lists.site
        and crawls.crawl_id = link_lists.crawl_id
    left join redirect_lists
        on crawls.site = redirect_lists.site
        and crawls.crawl_id = redirect_lists.crawl_id
    left join start_lists
        on crawls.site = start_lists.site
        and crawls.crawl_id = start_lists.crawl_id

),

plain_metrics as (

    select
        site,
        crawl_id,
        lw_graph_metrics(site, crawl_id, n_nodes, edges, starts) as metrics

    from graphs

),

plain_per_node as (

    select
        site,
        crawl_id,
        cast(unnest(range(len(metrics.pagerank))) as integer) as node_id,
        unnest(metrics.click_depth) as click_depth,
        unnest(metrics.pagerank) as internal_pagerank,
        unnest(metrics.rank) as pagerank_rank,
        unnest(metrics.score_10) as pagerank_score_10,
        unnest(metrics.link_score) as link_score,
        metrics.iterations as pagerank_iterations,
        metrics.edges as followed_edges

    from plain_metrics

),

{%- if with_equity_variants %}

-- Equity variants (see link_definitions), for the crawls of sites that configure one.
equity_crawls as (

    select * from crawls
    where not is_plain_equity

),

equity_nodes as (

    select
        nodes.site,
        nodes.crawl_id,
        nodes.url,
        nodes.node_id,
        nodes.is_redirect,
        nodes.final_url,
        nodes.canonical,
        equity_crawls.eligibility = 'all' or not (nodes.is_redirect or nodes.is_canonicalised) as is_eligible

    from nodes
    inner join equity_crawls
        on nodes.site = equity_crawls.site
        and nodes.crawl_id = equity_crawls.crawl_id

),

-- Screaming Frog eligibility: an ineligible URL passes what it receives on through at most
-- one redirect chain (to its end, final_url) and one canonical, in either order; links to an
-- ineligible URL that does not resolve to an eligible one are dropped (target -1).
ineligible_nodes as (

    select
        equity_nodes.site,
        equity_nodes.crawl_id,
        equity_nodes.node_id,
        coalesce(
            case
                when hop.is_eligible then hop.node_id
                when second_hop.is_eligible then second_hop.node_id
            end,
            -1
        ) as target_id

    from equity_nodes
    left join equity_nodes as hop
        on equity_nodes.site = hop.site
        and equity_nodes.crawl_id = hop.crawl_id
        and hop.url
        = case when equity_nodes.is_redirect then equity_nodes.final_url else equity_nodes.canonical end
    left join equity_nodes as second_hop
        on hop.site = second_hop.site
        and hop.crawl_id = second_hop.crawl_id
        and second_hop.url = case when hop.is_redirect then hop.final_url else hop.canonical end
    where not equity_nodes.is_eligible

),

ineligible_lists as (

    select site, crawl_id, list({'node': node_id, 'target': target_id}) as ineligible
    from ineligible_nodes
    group by site, crawl_id

),

equity_metrics as (

    select
        equity_crawls.site,
        equity_crawls.crawl_id,
        lw_equity_pagerank(
            equity_crawls.site,
            equity_crawls.crawl_id,
            node_counts.n_nodes,
            coalesce(link_lists.occurrences, []),
            -- With every URL eligible a redirect stays a node that passes everything to its Location.
            if(
                equity_crawls.eligibility = 'all',
                coalesce(redirect_lists.redirects, []::bigint[]),
                []::bigint[]
            ),
            coalesce(ineligible_lists.ineligible, []),
            [
                equity_crawls.weight_content, equity_crawls.weight_aside, equity_crawls.weight_header,
                equity_crawls.weight_nav, equity_crawls.weight_footer, 1.0
            ],
            equity_crawls.nofollow_mode = 'dilute'
        ) as metrics

    from equity_crawls
    inner join node_counts
        on equity_crawls.site = node_counts.site
        and equity_crawls.crawl_id = node_counts.crawl_id
    left join link_lists
        on equity_crawls.site = link_lists.site
        and equity_crawls.crawl_id = link_lists.crawl_id
    left join redirect_lists
        on equity_crawls.site = redirect_lists.site
        and equity_crawls.crawl_id = redirect_lists.crawl_id
    left join ineligible_lists
        on equity_crawls.site = ineligible_lists.site
        and equity_crawls.crawl_id = ineligible_lists.crawl_id

),

equity_per_node as (

    select
        site,
        crawl_id,
        cast(unnest(range(len(metrics.pagerank))) as integer) as node_id,
        unnest(metrics.pagerank) as equity_pagerank,
        unnest(metrics.rank) as equity_rank,
        unnest(metrics.score_10) as equity_score_10,
        unnest(metrics.link_score) as equity_link_score,
        metrics.iterations as equity_iterations

    from equity_metrics

),

{%- else %}

-- No site configures an equity variant: the equity columns repeat the plain PageRank.
equity_per_node as (

    select
        null::varchar as site,
        null::varchar as crawl_id,
        null::integer as node_id,
        null::double as equity_pagerank,
        null::integer as equity_rank,
        null::double as equity_score_10,
        null::double as equity_link_score,
        null::integer as equity_iterations

    limit 0

),

{%- endif %}

final as (

    select
        nodes.site,
        nodes.crawl_id,
        nodes.url,
        nodes.node_id,
        plain_per_node.click_depth,
        plain_per_node.internal_pagerank,
        cast(plain_per_node.pagerank_rank as bigint) as pagerank_rank,
        plain_per_node.pagerank_score_10,
        plain_per_node.link_score,
        plain_per_node.pagerank_iterations,
        plain_per_node.followed_edges,
        crawls.equity_variant,
        if(crawls.is_plain_equity, plain_per_node.internal_pagerank, equity_per_node.equity_pagerank)
            as equity_pagerank,
        cast(if(crawls.is_plain_equity, plain_per_node.pagerank_rank, equity_per_node.equity_rank) as bigint)
            as equity_rank,
        if(crawls.is_plain_equity, plain_per_node.pagerank_score_10, equity_per_node.equity_score_10)
            as equity_score_10,
        if(crawls.is_plain_equity, plain_per_node.link_score, equity_per_node.equity_link_score)
            as equity_link_score,
        if(crawls.is_plain_equity, plain_per_node.pagerank_iterations, equity_per_node.equity_iterations)
            as equity_iterations,
        crawls.graph_fingerprint,
        '{{ invocation_id }}' as graph_invocation_id,
        cast(current_timestamp as timestamp with time zone) as graph_computed_at

    from nodes
    inner join crawls
        on nodes.site = crawls.site
        and nodes.crawl_id = crawls.crawl_id
    inner join plain_per_node
        on nodes.site = plain_per_node.site
        and nodes.crawl_id = plain_per_node.crawl_id
        and nodes.node_id = plain_per_node.node_id
    left join equity_per_node
        on nodes.site = equity_per_node.site
        and nodes.crawl_id = equity_per_node.crawl_id
        and nodes.node_id = equity_per_node.node_id

)

select * from final

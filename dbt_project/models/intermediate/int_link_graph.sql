-- One row per distinct internal edge (source_url, target_url, edge_type) per crawl:
-- link occurrences collapsed with their counts, plus one edge from every 3xx URL to its
-- crawled redirect Location and one from every page recorded as a parameter variant to its
-- canonical. Self-links are dropped (they never count and never lead on).
-- An edge to a redirecting URL keeps that URL as its target (the redirect is a level) and
-- also names where the chain ends (final_target_url); an edge to a canonicalised URL names
-- the canonical it points on to.

with

internal_links as (

    select
        site,
        crawl_id,
        source_url,
        target_url,
        coalesce(is_nofollow, false) as is_nofollow

    from {{ ref('stg_crawl__links') }}
    where
        is_internal
        and target_url is not null
        and source_url != target_url

),

pages as (

    select
        site, crawl_id, url, final_url, redirect_location, is_redirect, canonical, is_canonicalised, variant_of
    from {{ ref('int_crawl_pages') }}

),

link_edges as (

    select
        site,
        crawl_id,
        source_url,
        target_url,
        'link' as edge_type,
        count(*) as link_occurrences,
        count(*) filter (where is_nofollow) as nofollow_occurrences

    from internal_links
    group by site, crawl_id, source_url, target_url

),

-- A Location counts as internal when the crawl fetched it: the crawler fetches every
-- internal Location and never an external one.
redirect_edges as (

    select
        redirecting.site,
        redirecting.crawl_id,
        redirecting.url as source_url,
        redirecting.redirect_location as target_url,
        'redirect' as edge_type,
        0 as link_occurrences,
        0 as nofollow_occurrences

    from pages as redirecting
    semi join pages as locations
        on redirecting.site = locations.site
        and redirecting.crawl_id = locations.crawl_id
        and redirecting.redirect_location = locations.url
    where
        redirecting.is_redirect
        and redirecting.redirect_location != redirecting.url

),

-- A page recorded as a parameter variant was not expanded: it leads to its canonical only.
canonical_edges as (

    select
        variants.site,
        variants.crawl_id,
        variants.url as source_url,
        variants.variant_of as target_url,
        'canonical' as edge_type,
        0 as link_occurrences,
        0 as nofollow_occurrences

    from pages as variants
    semi join pages as canonicals
        on variants.site = canonicals.site
        and variants.crawl_id = canonicals.crawl_id
        and variants.variant_of = canonicals.url
    where variants.variant_of is not null and variants.variant_of != variants.url

),

edges as (

    select * from link_edges
    union all by name
    select * from redirect_edges
    union all by name
    select * from canonical_edges

),

resolved as (

    select
        edges.site,
        edges.crawl_id,
        edges.source_url,
        edges.target_url,
        edges.edge_type,
        cast(edges.link_occurrences as bigint) as link_occurrences,
        cast(edges.nofollow_occurrences as bigint) as nofollow_occurrences,
        edges.nofollow_occurrences > 0 as has_nofollow,
        edges.edge_type in ('redirect', 'canonical') or edges.link_occurrences > edges.nofollow_occurrences
            as is_followed,
        coalesce(targets.is_redirect, false) as target_is_redirect,
        case when targets.is_redirect then targets.final_url else edges.target_url end as final_target_url,
        coalesce(targets.is_canonicalised, false) as target_is_canonicalised,
        targets.canonical as target_canonical

    from edges
    left join pages as targets
        on edges.site = targets.site
        and edges.crawl_id = targets.crawl_id
        and edges.target_url = targets.url

),

final as (

    select * from resolved

)

select * from final

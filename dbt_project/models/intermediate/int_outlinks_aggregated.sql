-- One row per linking URL per crawl (pages without http links have no row): outlink counts
-- over http link occurrences; internal counts exclude self-links. Two plain group-bys (per
-- target, then per source) instead of count(distinct), as in int_inlinks_aggregated.

with

outlinks as (

    select
        site,
        crawl_id,
        source_url as url,
        target_url,
        is_internal

    from {{ ref('stg_crawl__links') }}
    where
        target_url is not null
        and source_url != target_url

),

per_target as (

    select
        site,
        crawl_id,
        url,
        target_url,
        count(*) filter (where is_internal) as internal_occurrences,
        count(*) filter (where not is_internal) as external_occurrences

    from outlinks
    group by site, crawl_id, url, target_url

),

final as (

    select
        site,
        crawl_id,
        url,
        count(*) filter (where internal_occurrences > 0) as unique_outlinks,
        cast(sum(internal_occurrences) as bigint) as total_outlinks,
        count(*) filter (where external_occurrences > 0) as unique_external_outlinks,
        cast(sum(external_occurrences) as bigint) as external_outlinks

    from per_target
    group by site, crawl_id, url

)

select * from final

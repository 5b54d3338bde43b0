{{
    config(
        materialized='incremental_by_crawl',
        crawls='int_graph_crawls',
        fingerprint='graph_fingerprint',
    )
}}
-- One row per URL per crawl (every crawl/pages row) with its dense node id 0..n-1 (ordered by
-- URL, so results are bit-for-bit reproducible) and the facts the equity variants resolve link
-- targets with (final_url of a redirect, canonical of a canonicalised URL), plus the canonical
-- a page recorded as a parameter variant leads to (variant_of). A table, not a CTE,
-- so DuckDB plans int_graph_metrics' joins from real statistics (the 1M nodes as the hash-join
-- build side, the 20M links probing; as a CTE it chose the links and needed 10 GB), and
-- computed once per crawl like the metrics.

with

crawls as (

    select site, crawl_id, graph_fingerprint
    from {{ ref('int_graph_crawls') }} as graph_crawls
    where {{ crawl_scope('graph_crawls') }}

),

pages as (

    select
        pages.site,
        pages.crawl_id,
        pages.url,
        pages.status,
        pages.redirect_location,
        pages.final_url,
        nullif(trim(pages.canonical), '') as canonical,
        pages.variant_of

    from {{ ref('stg_crawl__pages') }} as pages
    where {{ crawl_scope('pages') }}

),

final as (

    select
        pages.site,
        pages.crawl_id,
        pages.url,
        cast(row_number() over (partition by pages.site, pages.crawl_id order by pages.url) - 1 as integer)
            as node_id,
        coalesce(pages.status between 300 and 399, false) as is_redirect,
        pages.redirect_location,
        -- Only where they lead elsewhere: repeating the URL 1M times would double the table.
        case when pages.status between 300 and 399 then pages.final_url end as final_url,
        coalesce(pages.canonical != pages.url, false) as is_canonicalised,
        case when pages.canonical != pages.url then pages.canonical end as canonical,
        pages.variant_of,
        crawls.graph_fingerprint

    from pages
    inner join crawls
        on pages.site = crawls.site
        and pages.crawl_id = crawls.crawl_id

)

select * from final

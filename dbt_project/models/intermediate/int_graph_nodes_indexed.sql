-- One row per URL per crawl with a dense node id 0..n-1 (ordered by URL) for the graph
-- computations; nodes are every URL that has a crawl/pages row.

with

pages as (

    select site, crawl_id, url, is_start_url
    from {{ ref('int_crawl_pages') }}

),

final as (

    select
        site,
        crawl_id,
        url,
        is_start_url,
        cast(row_number() over (partition by site, crawl_id order by url) - 1 as integer) as node_id

    from pages

)

select * from final

-- One row per published crawl with the site's previous published crawl: the latest crawl of
-- the same site with an earlier started_at (an ASOF join is exactly that rule).

with

runs as (

    select * from {{ ref('stg_crawl__runs') }}

),

sequenced as (

    select
        current_crawl.site,
        current_crawl.crawl_id,
        current_crawl.started_at,
        current_crawl.finished_at,
        current_crawl.start_urls,
        previous_crawl.crawl_id as previous_crawl_id

    from runs as current_crawl
    asof left join runs as previous_crawl
        on current_crawl.site = previous_crawl.site
        and current_crawl.started_at > previous_crawl.started_at

),

final as (

    select
        *,
        row_number() over (partition by site order by started_at, crawl_id) as crawl_number

    from sequenced

)

select * from final

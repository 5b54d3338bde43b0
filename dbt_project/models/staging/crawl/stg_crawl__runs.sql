-- One row per published crawl. A crawl/runs file is written last by the crawler, so its
-- presence is what makes a crawl complete; the placeholder partition holds no rows.

with

source as (

    select * from {{ source('crawl', 'runs') }}

),

renamed as (

    select
        cast(site as varchar) as site,
        cast(crawl_id as varchar) as crawl_id,
        started_at,
        finished_at,
        start_urls,
        cast(pages as bigint) as pages_crawled,
        cast(links as bigint) as links_found,
        cast(errors as bigint) as fetch_errors,
        stop_reason,
        config_hash,
        user_agent,
        coalesce(volatile_params, []::varchar[]) as volatile_params

    from source

),

final as (

    select * from renamed
    where site != '_empty'

)

select * from final

-- One row per Search Console page and query per site and day (raw grain).

with

source as (

    select * from {{ source('google', 'gsc_page_queries') }}

),

renamed as (

    select
        cast(site as varchar) as site,
        cast(date as date) as report_date,
        page_url,
        page as raw_page,
        query,
        cast(clicks as bigint) as clicks,
        cast(impressions as bigint) as impressions,
        cast(ctr as double) as ctr,
        cast(position as double) as average_position,
        data_state,
        -- Partitions written before lake schema 3 carry no flag (null): their manifests decide
        -- whether the extractor re-fetches them, the rows count as final here.
        coalesce(provisional, false) as is_provisional,
        search_type,
        site_url as gsc_property,
        fetched_at

    from source
    where site != '_empty'

)

select * from renamed

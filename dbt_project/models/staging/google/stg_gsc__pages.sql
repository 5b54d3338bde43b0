-- One row per Search Console page per site and day (raw grain: two raw pages may share a
-- page_url). position is Google's average position of the page that day (1 = top).

with

source as (

    select * from {{ source('google', 'gsc_pages') }}

),

renamed as (

    select
        cast(site as varchar) as site,
        cast(date as date) as report_date,
        page_url,
        page as raw_page,
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

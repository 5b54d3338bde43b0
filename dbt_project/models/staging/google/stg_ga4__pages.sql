-- One row per GA4 (hostName, pagePath) per site and day, as extracted (raw grain: two raw
-- paths may share a page_url; `(other)` / `(not set)` rows have page_url null).

with

source as (

    select * from {{ source('google', 'ga4_pages') }}

),

renamed as (

    select
        cast(site as varchar) as site,
        cast(date as date) as report_date,
        page_url,
        host_name,
        page_path,
        cast(views as bigint) as views,
        cast(sessions as bigint) as sessions,
        cast(engaged_sessions as bigint) as engaged_sessions,
        cast(key_events as double) as key_events,
        cast(total_users as bigint) as total_users,
        cast(landing_sessions as bigint) as landing_sessions,
        coalesce(is_other, false) as is_other,
        coalesce(sampled, false) as is_sampled,
        coalesce(thresholded, false) as is_thresholded,
        property_id,
        fetched_at

    from source
    where site != '_empty'

)

select * from renamed

-- One row per page URL with Search Console data per crawl (grain: site, crawl_id, page_url):
-- the crawl's window (int_crawl_google_windows) summed, position averaged weighted by
-- impressions (each day's average position counts as often as the page was shown that day).

with

windows as (

    select site, crawl_id, window_start, window_end
    from {{ ref('int_crawl_google_windows') }}

),

gsc_pages as (

    select * from {{ ref('stg_gsc__pages') }}
    where page_url is not null

),

final as (

    select
        windows.site,
        windows.crawl_id,
        gsc_pages.page_url,
        cast(coalesce(sum(gsc_pages.clicks), 0) as bigint) as clicks,
        cast(coalesce(sum(gsc_pages.impressions), 0) as bigint) as impressions,
        sum(gsc_pages.average_position * gsc_pages.impressions)
        / nullif(sum(gsc_pages.impressions), 0) as average_position,
        count(distinct gsc_pages.report_date) as days_with_data

    from windows
    inner join gsc_pages
        on windows.site = gsc_pages.site
        and gsc_pages.report_date between windows.window_start and windows.window_end
    group by windows.site, windows.crawl_id, gsc_pages.page_url

)

select * from final

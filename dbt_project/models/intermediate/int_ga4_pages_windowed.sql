-- One row per page URL with GA4 data per crawl (grain: site, crawl_id, page_url): the crawl's
-- window (int_crawl_google_windows) summed. Raw rows that normalise to the same page_url are
-- added up; total_users is left out because users are not additive over rows or days;
-- `(other)` / `(not set)` rows (page_url null) belong to no page.

with

windows as (

    select site, crawl_id, window_start, window_end
    from {{ ref('int_crawl_google_windows') }}

),

ga4_pages as (

    select * from {{ ref('stg_ga4__pages') }}
    where page_url is not null

),

final as (

    select
        windows.site,
        windows.crawl_id,
        ga4_pages.page_url,
        cast(coalesce(sum(ga4_pages.sessions), 0) as bigint) as sessions,
        cast(coalesce(sum(ga4_pages.views), 0) as bigint) as pageviews,
        cast(coalesce(sum(ga4_pages.engaged_sessions), 0) as bigint) as engaged_sessions,
        cast(coalesce(sum(ga4_pages.key_events), 0) as double) as key_events,
        cast(coalesce(sum(ga4_pages.landing_sessions), 0) as bigint) as landing_sessions,
        count(distinct ga4_pages.report_date) as days_with_data

    from windows
    inner join ga4_pages
        on windows.site = ga4_pages.site
        and ga4_pages.report_date between windows.window_start and windows.window_end
    group by windows.site, windows.crawl_id, ga4_pages.page_url

)

select * from final

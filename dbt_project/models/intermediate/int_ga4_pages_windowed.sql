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

-- An index file the crawl folded into its directory is reported as the directory.
index_folds as (

    select site, crawl_id, url, folded_into
    from {{ ref('stg_crawl__index_folds') }}

),

mapped as (

    select
        windows.site,
        windows.crawl_id,
        coalesce(index_folds.folded_into, ga4_pages.page_url) as page_url,
        ga4_pages.* exclude (site, page_url)

    from windows
    inner join ga4_pages
        on windows.site = ga4_pages.site
        and ga4_pages.report_date between windows.window_start and windows.window_end
    left join index_folds
        on windows.site = index_folds.site
        and windows.crawl_id = index_folds.crawl_id
        and ga4_pages.page_url = index_folds.url

),

final as (

    select
        site,
        crawl_id,
        page_url,
        cast(coalesce(sum(mapped.sessions), 0) as bigint) as sessions,
        cast(coalesce(sum(mapped.views), 0) as bigint) as pageviews,
        cast(coalesce(sum(mapped.engaged_sessions), 0) as bigint) as engaged_sessions,
        cast(coalesce(sum(mapped.key_events), 0) as double) as key_events,
        cast(coalesce(sum(mapped.landing_sessions), 0) as bigint) as landing_sessions,
        count(distinct mapped.report_date) as days_with_data

    from mapped
    group by site, crawl_id, page_url

)

select * from final

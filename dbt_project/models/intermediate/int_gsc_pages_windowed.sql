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

-- An index file the crawl folded into its directory is reported as the directory.
index_folds as (

    select site, crawl_id, url, folded_into
    from {{ ref('stg_crawl__index_folds') }}

),

mapped as (

    select
        windows.site,
        windows.crawl_id,
        coalesce(index_folds.folded_into, gsc_pages.page_url) as page_url,
        gsc_pages.* exclude (site, page_url)

    from windows
    inner join gsc_pages
        on windows.site = gsc_pages.site
        and gsc_pages.report_date between windows.window_start and windows.window_end
    left join index_folds
        on windows.site = index_folds.site
        and windows.crawl_id = index_folds.crawl_id
        and gsc_pages.page_url = index_folds.url

),

final as (

    select
        site,
        crawl_id,
        page_url,
        cast(coalesce(sum(mapped.clicks), 0) as bigint) as clicks,
        cast(coalesce(sum(mapped.impressions), 0) as bigint) as impressions,
        sum(mapped.average_position * mapped.impressions)
        / nullif(sum(mapped.impressions), 0) as average_position,
        count(distinct mapped.report_date) as days_with_data

    from mapped
    group by site, crawl_id, page_url

)

select * from final

-- One row per URL known for a crawl (grain: site, crawl_id, url): every URL the crawl fetched,
-- linked to internally, found in its sitemaps, saw in GA4 or Search Console during the crawl's
-- 28-day window, or fetched in the site's previous crawl - with where it was seen. A URL known
-- only from GA4/GSC, a sitemap or a link that the crawl did not fetch has status null: it is
-- inventoried but cannot be judged (never an orphan).

with

crawls as (

    select site, crawl_id, previous_crawl_id
    from {{ ref('int_crawls_sequenced') }}

),

pages as (

    select site, crawl_id, url, status, found_via, indexable
    from {{ ref('int_crawl_pages') }}

),

link_targets as (

    select distinct site, crawl_id, target_url as url
    from {{ ref('stg_crawl__links') }}
    where is_internal and target_url is not null and source_url != target_url

),

sitemap_urls as (

    select distinct site, crawl_id, url
    from {{ ref('stg_crawl__sitemap_urls') }}
    where url is not null

),

ga4_urls as (

    select site, crawl_id, page_url as url
    from {{ ref('int_ga4_pages_windowed') }}
    where sessions > 0 or pageviews > 0

),

gsc_urls as (

    select site, crawl_id, page_url as url
    from {{ ref('int_gsc_pages_windowed') }}
    where impressions > 0

),

previous_pages as (

    select
        crawls.site,
        crawls.crawl_id,
        previous.url,
        previous_metrics.click_depth is not null as was_reachable

    from crawls
    inner join pages as previous
        on crawls.site = previous.site
        and crawls.previous_crawl_id = previous.crawl_id
    left join {{ ref('int_graph_metrics') }} as previous_metrics
        on previous.site = previous_metrics.site
        and previous.crawl_id = previous_metrics.crawl_id
        and previous.url = previous_metrics.url

),

known_urls as (

    select site, crawl_id, url from pages
    union
    select site, crawl_id, url from link_targets
    union
    select site, crawl_id, url from sitemap_urls
    union
    select site, crawl_id, url from ga4_urls
    union
    select site, crawl_id, url from gsc_urls
    union
    select site, crawl_id, url from previous_pages

),

flagged as (

    select
        known_urls.site,
        known_urls.crawl_id,
        known_urls.url,
        pages.url is not null as in_crawl,
        pages.status,
        pages.found_via,
        coalesce(pages.indexable, false) as indexable,
        link_targets.url is not null as in_links,
        sitemap_urls.url is not null as in_sitemap,
        ga4_urls.url is not null as in_ga4,
        gsc_urls.url is not null as in_gsc,
        previous_pages.url is not null as in_previous_crawl,
        coalesce(previous_pages.was_reachable, false) as was_reachable_in_previous_crawl

    from known_urls
    left join pages
        on known_urls.site = pages.site
        and known_urls.crawl_id = pages.crawl_id
        and known_urls.url = pages.url
    left join link_targets
        on known_urls.site = link_targets.site
        and known_urls.crawl_id = link_targets.crawl_id
        and known_urls.url = link_targets.url
    left join sitemap_urls
        on known_urls.site = sitemap_urls.site
        and known_urls.crawl_id = sitemap_urls.crawl_id
        and known_urls.url = sitemap_urls.url
    left join ga4_urls
        on known_urls.site = ga4_urls.site
        and known_urls.crawl_id = ga4_urls.crawl_id
        and known_urls.url = ga4_urls.url
    left join gsc_urls
        on known_urls.site = gsc_urls.site
        and known_urls.crawl_id = gsc_urls.crawl_id
        and known_urls.url = gsc_urls.url
    left join previous_pages
        on known_urls.site = previous_pages.site
        and known_urls.crawl_id = previous_pages.crawl_id
        and known_urls.url = previous_pages.url

),

final as (

    select
        *,
        list_filter(
            [
                case when in_crawl then 'crawl' end,
                case when in_ga4 then 'ga4' end,
                case when in_gsc then 'gsc' end,
                case when in_links then 'link' end,
                case when in_previous_crawl then 'previous_crawl' end,
                case when in_sitemap then 'sitemap' end
            ],
            lambda source: source is not null
        ) as seen_in

    from flagged

)

select * from final

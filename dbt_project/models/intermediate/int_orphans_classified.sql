-- One row per URL per crawl: is_orphan (200, indexable, unreachable over followed edges)
-- and, for orphans, the sorted evidence of where the URL was still seen.

with

pages as (

    select site, crawl_id, url, status, indexable, in_sitemap
    from {{ ref('int_crawl_pages') }}

),

depths as (

    select site, crawl_id, url, click_depth
    from {{ ref('int_click_depth') }}

),

inlinks as (

    select site, crawl_id, url, unique_inlinks
    from {{ ref('int_inlinks_aggregated') }}

),

crawls as (

    select site, crawl_id, previous_crawl_id
    from {{ ref('int_crawls_sequenced') }}

),

previous_depths as (

    select
        crawls.site,
        crawls.crawl_id,
        depths.url,
        depths.click_depth as previous_click_depth

    from crawls
    inner join depths
        on crawls.site = depths.site
        and crawls.previous_crawl_id = depths.crawl_id

),

joined as (

    select
        pages.site,
        pages.crawl_id,
        pages.url,
        coalesce(pages.status = 200, false) and pages.indexable and depths.click_depth is null as is_orphan,
        pages.in_sitemap as seen_in_sitemap,
        previous_depths.previous_click_depth is not null as seen_in_previous_crawl,
        coalesce(inlinks.unique_inlinks, 0) > 0 as seen_in_unfollowed_link

    from pages
    left join depths
        on pages.site = depths.site
        and pages.crawl_id = depths.crawl_id
        and pages.url = depths.url
    left join inlinks
        on pages.site = inlinks.site
        and pages.crawl_id = inlinks.crawl_id
        and pages.url = inlinks.url
    left join previous_depths
        on pages.site = previous_depths.site
        and pages.crawl_id = previous_depths.crawl_id
        and pages.url = previous_depths.url

),

final as (

    select
        site,
        crawl_id,
        url,
        is_orphan,
        case
            when is_orphan then list_sort(list_filter(
                [
                    case when seen_in_previous_crawl then 'previous_crawl' end,
                    case when seen_in_sitemap then 'sitemap' end,
                    case when seen_in_unfollowed_link then 'unfollowed_link' end
                ],
                lambda evidence: evidence is not null
            ))
            else []::varchar[]
        end as orphan_evidence

    from joined

)

select * from final

-- One row per crawled URL per crawl: is_orphan (200, indexable, unreachable over followed
-- edges) and, for orphans, the sorted evidence of where the URL was still seen.

with

inventory as (

    select * from {{ ref('int_url_inventory') }}
    where in_crawl

),

depths as (

    select site, crawl_id, url, click_depth
    from {{ ref('int_graph_metrics') }}

),

inlinks as (

    select site, crawl_id, url, unique_inlinks
    from {{ ref('int_inlinks_aggregated') }}

),

joined as (

    select
        inventory.site,
        inventory.crawl_id,
        inventory.url,
        coalesce(inventory.status = 200, false) and inventory.indexable and depths.click_depth is null
            as is_orphan,
        inventory.in_ga4,
        inventory.in_gsc,
        inventory.was_reachable_in_previous_crawl,
        inventory.in_sitemap,
        coalesce(inlinks.unique_inlinks, 0) > 0 as has_inlinks

    from inventory
    left join depths
        on inventory.site = depths.site
        and inventory.crawl_id = depths.crawl_id
        and inventory.url = depths.url
    left join inlinks
        on inventory.site = inlinks.site
        and inventory.crawl_id = inlinks.crawl_id
        and inventory.url = inlinks.url

),

final as (

    select
        site,
        crawl_id,
        url,
        is_orphan,
        case
            when is_orphan then list_filter(
                [
                    case when in_ga4 then 'ga4' end,
                    case when in_gsc then 'gsc' end,
                    case when was_reachable_in_previous_crawl then 'previous_crawl' end,
                    case when in_sitemap then 'sitemap' end,
                    case when has_inlinks then 'unfollowed_link' end
                ],
                lambda evidence: evidence is not null
            )
            else []::varchar[]
        end as orphan_evidence

    from joined

)

select * from final

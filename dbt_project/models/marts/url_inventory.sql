-- One row per URL known for a crawl (grain: site, crawl_id, url): everything the crawl, its
-- sitemaps, its internal links, GA4 and Search Console (28-day window) and the previous crawl
-- know about the site, with where each URL was seen and, for fetched URLs, the orphan verdict.
-- URLs nobody fetched (status null) are listed but never judged.

with

inventory as (

    select * from {{ ref('int_url_inventory') }}

),

orphans as (

    select site, crawl_id, url, is_orphan, orphan_evidence
    from {{ ref('int_orphans_classified') }}

),

final as (

    select
        inventory.site,
        inventory.crawl_id,
        inventory.url,
        inventory.seen_in,
        inventory.in_crawl,
        inventory.status,
        inventory.found_via,
        inventory.indexable,
        inventory.in_links,
        inventory.in_sitemap,
        inventory.in_ga4,
        inventory.in_gsc,
        inventory.in_previous_crawl,
        coalesce(orphans.is_orphan, false) as is_orphan,
        coalesce(orphans.orphan_evidence, []::varchar[]) as orphan_evidence

    from inventory
    left join orphans
        on inventory.site = orphans.site
        and inventory.crawl_id = orphans.crawl_id
        and inventory.url = orphans.url

)

select * from final

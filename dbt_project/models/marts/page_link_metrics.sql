-- One row per URL per published crawl (grain: site, crawl_id, url): status, indexability,
-- inlinks/outlinks, click depth, internal PageRank, link score and orphan status.

with

pages as (

    select * from {{ ref('int_crawl_pages') }}

),

inlinks as (

    select * from {{ ref('int_inlinks_aggregated') }}

),

outlinks as (

    select * from {{ ref('int_outlinks_aggregated') }}

),

depths as (

    select * from {{ ref('int_click_depth') }}

),

pageranks as (

    select * from {{ ref('int_pagerank') }}

),

orphans as (

    select * from {{ ref('int_orphans_classified') }}

),

joined as (

    select
        pages.site,
        pages.crawl_id,
        pages.url,
        pages.status,
        pages.error,
        pages.content_type,
        pages.title,
        pages.canonical,
        pages.redirect_location,
        pages.final_url,
        pages.indexable,
        pages.in_sitemap,
        coalesce(inlinks.unique_inlinks, 0) as unique_inlinks,
        coalesce(inlinks.total_inlinks, 0) as total_inlinks,
        coalesce(inlinks.nofollow_inlinks, 0) as nofollow_inlinks,
        coalesce(inlinks.inlinks_nav, 0) as inlinks_nav,
        coalesce(inlinks.inlinks_header, 0) as inlinks_header,
        coalesce(inlinks.inlinks_footer, 0) as inlinks_footer,
        coalesce(inlinks.inlinks_aside, 0) as inlinks_aside,
        coalesce(inlinks.inlinks_content, 0) as inlinks_content,
        coalesce(inlinks.unique_content_inlinks, 0) as unique_content_inlinks,
        coalesce(outlinks.unique_outlinks, 0) as unique_outlinks,
        coalesce(outlinks.total_outlinks, 0) as total_outlinks,
        coalesce(outlinks.external_outlinks, 0) as external_outlinks,
        depths.click_depth,
        pageranks.internal_pagerank,
        pageranks.link_score,
        orphans.is_orphan,
        orphans.orphan_evidence

    from pages
    left join inlinks
        on pages.site = inlinks.site
        and pages.crawl_id = inlinks.crawl_id
        and pages.url = inlinks.url
    left join outlinks
        on pages.site = outlinks.site
        and pages.crawl_id = outlinks.crawl_id
        and pages.url = outlinks.url
    left join depths
        on pages.site = depths.site
        and pages.crawl_id = depths.crawl_id
        and pages.url = depths.url
    left join pageranks
        on pages.site = pageranks.site
        and pages.crawl_id = pageranks.crawl_id
        and pages.url = pageranks.url
    left join orphans
        on pages.site = orphans.site
        and pages.crawl_id = orphans.crawl_id
        and pages.url = orphans.url

),

final as (

    select
        site,
        crawl_id,
        url,
        status,
        error,
        content_type,
        title,
        canonical,
        redirect_location,
        final_url,
        indexable,
        in_sitemap,
        cast(unique_inlinks as bigint) as unique_inlinks,
        cast(total_inlinks as bigint) as total_inlinks,
        cast(nofollow_inlinks as bigint) as nofollow_inlinks,
        cast(inlinks_nav as bigint) as inlinks_nav,
        cast(inlinks_header as bigint) as inlinks_header,
        cast(inlinks_footer as bigint) as inlinks_footer,
        cast(inlinks_aside as bigint) as inlinks_aside,
        cast(inlinks_content as bigint) as inlinks_content,
        cast(unique_content_inlinks as bigint) as unique_content_inlinks,
        cast(unique_outlinks as bigint) as unique_outlinks,
        cast(total_outlinks as bigint) as total_outlinks,
        cast(external_outlinks as bigint) as external_outlinks,
        cast(click_depth as integer) as click_depth,
        cast(internal_pagerank as double) as internal_pagerank,
        cast(link_score as double) as link_score,
        coalesce(is_orphan, false) as is_orphan,
        coalesce(orphan_evidence, []::varchar[]) as orphan_evidence

    from joined

)

select * from final

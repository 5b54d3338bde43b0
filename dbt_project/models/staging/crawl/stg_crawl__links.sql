-- One row per link occurrence (<a href> / <area href>) per published crawl, in the crawler's
-- document order (ordinal). Non-http hrefs are kept with target_url null.
-- is_nofollow is THE followed definition every model uses (macros/follow_rules.sql): any of the
-- link's nofollow reasons, rel_sponsored / rel_ugc only when the site's switch counts them.
-- Crawls written before lake schema 3 have no nofollow_reason: it is derived from rel (their
-- page-level reasons are unknown until the site is crawled again).

with

source as (

    select * from {{ source('crawl', 'links') }}

),

published_crawls as (

    select site, crawl_id from {{ source('crawl', 'runs') }}

),

renamed as (

    select
        cast(source.site as varchar) as site,
        cast(source.crawl_id as varchar) as crawl_id,
        source.source_url,
        source.target_url,
        source.raw_href,
        source.href_kind,
        source.anchor_text,
        source.kind as link_kind,
        source.img_alt,
        source.rel,
        coalesce(
            source.nofollow_reason,
            list_filter(
                ['rel_nofollow', 'rel_sponsored', 'rel_ugc'],
                lambda reason: list_contains(coalesce(source.rel, []::varchar[]), substr(reason, 5))
            )
        ) as nofollow_reason,
        source.position as link_position,
        cast(source.ordinal as integer) as ordinal,
        source.is_internal

    from source
    semi join published_crawls
        on source.site = published_crawls.site
        and source.crawl_id = published_crawls.crawl_id

),

final as (

    select
        *,
        {{ is_unfollowed('nofollow_reason', 'site') }} as is_nofollow

    from renamed

)

select * from final

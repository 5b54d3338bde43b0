-- One row per link occurrence (<a href> / <area href>) per published crawl, in the crawler's
-- document order (ordinal). Non-http hrefs are kept with target_url null.

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
        source.nofollow as is_nofollow,
        source.position as link_position,
        cast(source.ordinal as integer) as ordinal,
        source.is_internal

    from source
    semi join published_crawls
        on source.site = published_crawls.site
        and source.crawl_id = published_crawls.crawl_id

)

select * from renamed

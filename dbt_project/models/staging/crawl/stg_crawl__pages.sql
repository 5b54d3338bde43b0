-- One row per URL per published crawl: every fetched URL, plus robots-blocked ones
-- (status null, error 'robots_disallowed'). An index file the crawler folded into its
-- directory (same status and content hash, lake `folded_into`) is that directory's page, not a
-- URL of its own: its row is left out here and kept in stg_crawl__index_folds.

with

source as (

    select * from {{ source('crawl', 'pages') }}

),

published_crawls as (

    select site, crawl_id from {{ source('crawl', 'runs') }}

),

renamed as (

    select
        cast(source.site as varchar) as site,
        cast(source.crawl_id as varchar) as crawl_id,
        source.url,
        source.final_url,
        cast(source.status as integer) as status,
        source.error,
        source.content_type,
        source.redirect_location,
        source.title,
        source.h1,
        source.meta_robots,
        source.meta_googlebot,
        source.x_robots_tag,
        source.canonical,
        source.lang,
        cast(source.word_count as integer) as word_count,
        source.content_hash,
        source.response_ms,
        cast(source.bytes as bigint) as response_bytes,
        source.fetched_at,
        cast(source.depth_seen as integer) as discovery_depth,
        source.found_via,
        source.variant_of

    from source
    semi join published_crawls
        on source.site = published_crawls.site
        and source.crawl_id = published_crawls.crawl_id
    where source.folded_into is null

)

select * from renamed

-- One row per index-file URL the crawler folded into its directory per published crawl
-- (grain: site, crawl_id, url): /docs/index.html answered exactly like /docs/ (same 2xx status
-- and content hash). Links in the lake already name the directory; GA4 and Search Console URLs
-- are mapped with this table.

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
        source.folded_into

    from source
    semi join published_crawls
        on source.site = published_crawls.site
        and source.crawl_id = published_crawls.crawl_id
    where source.folded_into is not null

)

select * from renamed

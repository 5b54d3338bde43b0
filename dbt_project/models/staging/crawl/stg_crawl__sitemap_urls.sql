-- One row per sitemap entry per published crawl (a URL listed in two sitemaps appears twice).

with

source as (

    select * from {{ source('crawl', 'sitemap_urls') }}

),

published_crawls as (

    select site, crawl_id from {{ source('crawl', 'runs') }}

),

renamed as (

    select
        cast(source.site as varchar) as site,
        cast(source.crawl_id as varchar) as crawl_id,
        source.url,
        source.raw_url,
        source.lastmod,
        source.sitemap as sitemap_url

    from source
    semi join published_crawls
        on source.site = published_crawls.site
        and source.crawl_id = published_crawls.crawl_id

)

select * from renamed

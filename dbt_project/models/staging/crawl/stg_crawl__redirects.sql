-- One row per redirect hop (3xx response) per published crawl.

with

source as (

    select * from {{ source('crawl', 'redirects') }}

),

published_crawls as (

    select site, crawl_id from {{ source('crawl', 'runs') }}

),

renamed as (

    select
        cast(source.site as varchar) as site,
        cast(source.crawl_id as varchar) as crawl_id,
        source.url,
        cast(source.hop as integer) as hop,
        cast(source.status as integer) as status,
        source.location,
        source.raw_location

    from source
    semi join published_crawls
        on source.site = published_crawls.site
        and source.crawl_id = published_crawls.crawl_id

)

select * from renamed

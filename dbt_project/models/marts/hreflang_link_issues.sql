-- One row per hreflang problem per crawl. 'cross_language_link': a body (content) link
-- between two crawled pages whose declared languages differ (primary subtag of <html lang>);
-- language switchers belong in navigation or in hreflang alternates. 'alternate_without_inlinks':
-- a page declares an hreflang alternate on its own host that no internal link points to.

with

links as (

    select * from {{ ref('stg_crawl__links') }}
    where is_internal and target_url is not null and source_url != target_url and link_position = 'content'

),

pages as (

    select
        site,
        crawl_id,
        url,
        lang,
        nullif(lower(split_part(replace(trim(lang), '_', '-'), '-', 1)), '') as language

    from {{ ref('stg_crawl__pages') }}

),

-- A page may declare the same alternate twice (CMS plugins do): one row per distinct alternate.
alternates as (

    select distinct site, crawl_id, url, hreflang, alternate_url
    from {{ ref('stg_crawl__hreflang') }}
    where alternate_url is not null and alternate_url != url

),

inlinks as (

    select site, crawl_id, url, unique_inlinks
    from {{ ref('int_inlinks_aggregated') }}

),

cross_language_links as (

    select
        links.site,
        links.crawl_id,
        'cross_language_link' as issue,
        links.source_url,
        links.target_url,
        sources.lang as source_lang,
        targets.lang as target_lang,
        null::varchar as hreflang,
        links.anchor_text,
        links.link_position,
        links.ordinal

    from links
    inner join pages as sources
        on links.site = sources.site
        and links.crawl_id = sources.crawl_id
        and links.source_url = sources.url
    inner join pages as targets
        on links.site = targets.site
        and links.crawl_id = targets.crawl_id
        and links.target_url = targets.url
    where sources.language != targets.language

),

unlinked_alternates as (

    select
        alternates.site,
        alternates.crawl_id,
        'alternate_without_inlinks' as issue,
        alternates.url as source_url,
        alternates.alternate_url as target_url,
        declaring.lang as source_lang,
        declared.lang as target_lang,
        alternates.hreflang,
        null::varchar as anchor_text,
        null::varchar as link_position,
        null::integer as ordinal

    from alternates
    inner join pages as declaring
        on alternates.site = declaring.site
        and alternates.crawl_id = declaring.crawl_id
        and alternates.url = declaring.url
    left join pages as declared
        on alternates.site = declared.site
        and alternates.crawl_id = declared.crawl_id
        and alternates.alternate_url = declared.url
    left join inlinks
        on alternates.site = inlinks.site
        and alternates.crawl_id = inlinks.crawl_id
        and alternates.alternate_url = inlinks.url
    where
        coalesce(inlinks.unique_inlinks, 0) = 0
        and regexp_extract(alternates.alternate_url, '^[a-z]+://[^/]+')
        = regexp_extract(alternates.url, '^[a-z]+://[^/]+')

),

final as (

    select * from cross_language_links
    union all
    select * from unlinked_alternates

)

select * from final

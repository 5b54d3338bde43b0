-- One row per URL per crawl: every crawl/pages row with the page-level facts the metrics
-- need (HTML, noindex, canonicalised, indexable, in a sitemap, start URL).

with

pages as (

    select * from {{ ref('stg_crawl__pages') }}

),

sitemap_urls as (

    select distinct site, crawl_id, url
    from {{ ref('stg_crawl__sitemap_urls') }}

),

start_urls as (

    select distinct site, crawl_id, unnest(start_urls) as url
    from {{ ref('int_crawls_sequenced') }}

),

flagged as (

    select
        site,
        crawl_id,
        url,
        final_url,
        status,
        error,
        content_type,
        redirect_location,
        title,
        nullif(trim(canonical), '') as canonical,
        meta_robots,
        x_robots_tag,
        found_via,
        variant_of,
        coalesce(status between 300 and 399, false) as is_redirect,
        trim(split_part(lower(coalesce(content_type, '')), ';', 1))
            in ('text/html', 'application/xhtml+xml') as is_html,
        regexp_matches(
            lower(concat_ws(',', meta_robots, x_robots_tag)), '(^|[^a-z])noindex([^a-z]|$)'
        ) as is_noindex

    from pages

),

classified as (

    select
        *,
        coalesce(canonical != url, false) as is_canonicalised,
        coalesce(status = 200, false)
        and is_html
        and not is_noindex
        and (canonical is null or canonical = url) as indexable

    from flagged

),

final as (

    select
        classified.*,
        sitemap_urls.url is not null as in_sitemap,
        start_urls.url is not null as is_start_url

    from classified
    left join sitemap_urls
        on classified.site = sitemap_urls.site
        and classified.crawl_id = sitemap_urls.crawl_id
        and classified.url = sitemap_urls.url
    left join start_urls
        on classified.site = start_urls.site
        and classified.crawl_id = start_urls.crawl_id
        and classified.url = start_urls.url

)

select * from final

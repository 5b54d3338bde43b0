-- One row per link target and anchor phrase per crawl (grain: site, crawl_id, target_url,
-- anchor_text): how often the phrase links the URL, its share of the URL's inbound anchors,
-- and per target the number of distinct phrases, the dominant phrase's share (exact-match
-- share) and whether the contextual anchors look over-optimised.

with

internal_links as (

    select
        site,
        crawl_id,
        source_url,
        target_url,
        -- Phrases compare case-insensitively; an image link's anchor is its alt text.
        lower(trim(coalesce(anchor_text, ''))) as anchor_text,
        link_position = 'content' as is_content

    from {{ ref('stg_crawl__links') }}
    where is_internal and target_url is not null and source_url != target_url

),

-- Two plain group-bys (per source, then per phrase) instead of count(distinct source_url):
-- several times faster on tens of millions of links.
per_source as (

    select
        site,
        crawl_id,
        target_url,
        anchor_text,
        source_url,
        count(*) as occurrences,
        count(*) filter (where is_content) as content_occurrences

    from internal_links
    group by site, crawl_id, target_url, anchor_text, source_url

),

per_anchor as (

    select
        site,
        crawl_id,
        target_url,
        anchor_text,
        sum(occurrences) as occurrences,
        sum(content_occurrences) as content_occurrences,
        count(*) as source_pages

    from per_source
    group by site, crawl_id, target_url, anchor_text

),

shared as (

    select
        *,
        sum(occurrences) over target_window as target_occurrences,
        sum(content_occurrences) over target_window as target_content_occurrences,
        count(*) over target_window as distinct_anchors

    from per_anchor
    window target_window as (partition by site, crawl_id, target_url)

),

shares as (

    select
        *,
        occurrences / target_occurrences as anchor_share,
        content_occurrences / nullif(target_content_occurrences, 0) as content_anchor_share

    from shared

),

final as (

    select
        site,
        crawl_id,
        target_url,
        anchor_text,
        cast(occurrences as bigint) as occurrences,
        cast(content_occurrences as bigint) as content_occurrences,
        cast(source_pages as bigint) as source_pages,
        cast(anchor_share as double) as anchor_share,
        cast(content_anchor_share as double) as content_anchor_share,
        cast(target_occurrences as bigint) as target_occurrences,
        cast(target_content_occurrences as bigint) as target_content_occurrences,
        cast(distinct_anchors as bigint) as distinct_anchors,
        anchor_share = max(anchor_share) over target_window as is_top_anchor,
        cast(max(anchor_share) over target_window as double) as exact_match_share,
        cast(max(content_anchor_share) over target_window as double) as content_exact_match_share,
        coalesce(
            target_content_occurrences >= {{ var('over_optimised_anchor_min_links') }}
            and max(content_anchor_share) over target_window >= {{ var('over_optimised_anchor_share') }},
            false
        ) as is_over_optimised

    from shares
    window target_window as (partition by site, crawl_id, target_url)

)

select * from final

{#
    The shared shape of the link hygiene marts (broken_internal_links, other_error_links,
    canonicalised_internal_links): one row per internal link occurrence (self-links excluded,
    unfollowed links included) whose crawled target satisfies `target_condition` (alias `targets`, a
    row of int_crawl_pages).
#}
{% macro link_issue_occurrences(target_condition) -%}
with

links as (

    select * from {{ ref('stg_crawl__links') }}
    where is_internal and target_url is not null and source_url != target_url

),

targets as (

    select * from {{ ref('int_crawl_pages') }}

),

final as (

    select
        links.site,
        links.crawl_id,
        links.source_url,
        links.ordinal,
        links.target_url,
        targets.status as target_status,
        targets.error as target_error,
        targets.canonical as target_canonical,
        links.anchor_text,
        links.link_position,
        links.link_kind,
        coalesce(links.is_nofollow, false) as is_nofollow,
        coalesce(links.nofollow_reason, []::varchar[]) as nofollow_reason

    from links
    inner join targets
        on links.site = targets.site
        and links.crawl_id = targets.crawl_id
        and links.target_url = targets.url
    where {{ target_condition }}

)

select * from final
{%- endmacro %}

-- One row per internal link occurrence whose target redirects (grain: site, crawl_id,
-- source_url, ordinal): the redirect chain the click starts and where it ends. The link graph
-- keeps the redirecting URL as the target (a redirect is a level); this mart is the list of
-- links to update so they point at final_url directly.

with

links as (

    select * from {{ ref('stg_crawl__links') }}
    where is_internal and target_url is not null and source_url != target_url

),

redirect_chains as (

    select * from {{ ref('int_redirect_chains') }}

),

final as (

    select
        links.site,
        links.crawl_id,
        links.source_url,
        links.ordinal,
        links.target_url,
        redirect_chains.redirect_status,
        cast(redirect_chains.hops as integer) as hops,
        redirect_chains.chain,
        redirect_chains.final_url,
        redirect_chains.final_status,
        redirect_chains.is_loop,
        redirect_chains.hops > 1 as is_chain,
        links.anchor_text,
        links.link_position,
        coalesce(links.is_nofollow, false) as is_nofollow,
        coalesce(links.nofollow_reason, []::varchar[]) as nofollow_reason

    from links
    inner join redirect_chains
        on links.site = redirect_chains.site
        and links.crawl_id = redirect_chains.crawl_id
        and links.target_url = redirect_chains.url

)

select * from final

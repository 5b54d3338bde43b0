-- One row per redirecting (3xx) URL per crawl: the chain its Location starts, followed through
-- the crawl's own 3xx responses until a URL that does not redirect (or was not fetched), a
-- loop, or 20 hops. chain lists the URLs after the redirecting one, in order.

with recursive

pages as (

    select site, crawl_id, url, status, is_redirect, redirect_location
    from {{ ref('int_crawl_pages') }}

),

walk as (

    select
        site,
        crawl_id,
        url,
        redirect_location as current_url,
        1 as hops,
        [redirect_location] as chain,
        redirect_location = url as is_loop

    from pages
    where is_redirect and redirect_location is not null

    union all

    select
        walk.site,
        walk.crawl_id,
        walk.url,
        pages.redirect_location as current_url,
        walk.hops + 1 as hops,
        list_append(walk.chain, pages.redirect_location) as chain,
        pages.redirect_location = walk.url or list_contains(walk.chain, pages.redirect_location) as is_loop

    from walk
    inner join pages
        on walk.site = pages.site
        and walk.crawl_id = pages.crawl_id
        and walk.current_url = pages.url
    where
        not walk.is_loop
        and pages.is_redirect
        and pages.redirect_location is not null
        and walk.hops < 20

),

longest as (

    select
        site,
        crawl_id,
        url,
        arg_max(chain, hops) as chain,
        max(hops) as hops,
        arg_max(is_loop, hops) as is_loop

    from walk
    group by site, crawl_id, url

),

final as (

    select
        longest.site,
        longest.crawl_id,
        longest.url,
        starts.status as redirect_status,
        longest.hops,
        longest.chain,
        longest.is_loop,
        case when not longest.is_loop then longest.chain[-1] end as final_url,
        case when not longest.is_loop then ends.status end as final_status,
        not longest.is_loop and ends.url is null as ends_unfetched,
        not longest.is_loop and coalesce(ends.is_redirect, false) as is_truncated

    from longest
    inner join pages as starts
        on longest.site = starts.site
        and longest.crawl_id = starts.crawl_id
        and longest.url = starts.url
    left join pages as ends
        on longest.site = ends.site
        and longest.crawl_id = ends.crawl_id
        and longest.chain[-1] = ends.url

)

select * from final

-- One row per URL per crawl whose orphan status changed since the site's previous published
-- crawl: 'new' (orphan now; not an orphan, or absent, before) or 'resolved' (orphan before;
-- not an orphan, or absent, now). A site's first crawl is the baseline and has no events.

with

crawls as (

    select site, crawl_id, previous_crawl_id
    from {{ ref('int_crawls_sequenced') }}
    where previous_crawl_id is not null

),

orphan_status as (

    select * from {{ ref('int_orphans_classified') }}

),

pages as (

    select site, crawl_id, url, status
    from {{ ref('int_crawl_pages') }}

),

current_orphans as (

    select
        crawls.site,
        crawls.crawl_id,
        crawls.previous_crawl_id,
        orphan_status.url,
        orphan_status.orphan_evidence

    from crawls
    inner join orphan_status
        on crawls.site = orphan_status.site
        and crawls.crawl_id = orphan_status.crawl_id
    where orphan_status.is_orphan

),

previous_orphans as (

    select
        crawls.site,
        crawls.crawl_id,
        crawls.previous_crawl_id,
        orphan_status.url,
        orphan_status.orphan_evidence

    from crawls
    inner join orphan_status
        on crawls.site = orphan_status.site
        and crawls.previous_crawl_id = orphan_status.crawl_id
    where orphan_status.is_orphan

),

new_orphans as (

    select
        current_orphans.site,
        current_orphans.crawl_id,
        current_orphans.previous_crawl_id,
        current_orphans.url,
        'new' as event,
        current_orphans.orphan_evidence

    from current_orphans
    anti join previous_orphans
        on current_orphans.site = previous_orphans.site
        and current_orphans.crawl_id = previous_orphans.crawl_id
        and current_orphans.url = previous_orphans.url

),

resolved_orphans as (

    select
        previous_orphans.site,
        previous_orphans.crawl_id,
        previous_orphans.previous_crawl_id,
        previous_orphans.url,
        'resolved' as event,
        previous_orphans.orphan_evidence

    from previous_orphans
    anti join current_orphans
        on previous_orphans.site = current_orphans.site
        and previous_orphans.crawl_id = current_orphans.crawl_id
        and previous_orphans.url = current_orphans.url

),

events as (

    select * from new_orphans
    union all
    select * from resolved_orphans

),

final as (

    select
        events.site,
        events.crawl_id,
        events.previous_crawl_id,
        events.url,
        events.event,
        events.orphan_evidence,
        pages.status

    from events
    left join pages
        on events.site = pages.site
        and events.crawl_id = pages.crawl_id
        and events.url = pages.url

)

select * from final

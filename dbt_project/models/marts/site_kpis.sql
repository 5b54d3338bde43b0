-- One row per published crawl (grain: site, crawl_id): the site-level history that trends and
-- alerts read - size, orphans, depth distribution, link hygiene counts, equity concentration,
-- the traffic that lands on orphans and whether the Search Console window is still provisional.
-- Definitions in link_definitions ("Site KPIs").

with

crawls as (

    select * from {{ ref('int_crawls_sequenced') }}

),

pages as (

    select * from {{ ref('page_link_metrics') }}

),

google_windows as (

    select * from {{ ref('int_crawl_google_windows') }}

),

page_stats as (

    select
        site,
        crawl_id,
        count(*) as pages,
        count(*) filter (where status = 200) as pages_ok,
        count(*) filter (where indexable) as indexable_pages,
        count(*) filter (where click_depth is not null) as reachable_pages,
        count(*) filter (where is_orphan) as orphans,
        count(*) filter (where weakly_linked and indexable) as weakly_linked_pages,
        count(*) filter (where is_striking_distance) as striking_distance_pages,
        quantile_cont(click_depth, 0.5) filter (where indexable) as median_click_depth,
        quantile_cont(click_depth, 0.95) filter (where indexable) as p95_click_depth,
        max(click_depth) as max_click_depth,
        count(*) filter (where indexable and click_depth > 3)
        / nullif(count(*) filter (where indexable and click_depth is not null), 0) as share_deeper_than_3,
        cast(sum(total_outlinks) as bigint) as internal_links,
        sum(sessions_28d) filter (where is_orphan) as orphan_sessions_28d,
        sum(gsc_clicks_28d) filter (where is_orphan) as orphan_gsc_clicks_28d,
        sum(gsc_impressions_28d) filter (where is_orphan) as orphan_gsc_impressions_28d,
        bool_or(sessions_28d is not null) as has_ga4,
        bool_or(gsc_impressions_28d is not null) as has_gsc

    from pages
    group by site, crawl_id

),

-- Gini coefficient of internal PageRank over the crawl's URLs: 0 = every URL equal,
-- towards 1 = a few URLs hold the equity. G = 2 * sum(i * x_i) / (n * sum(x)) - (n + 1) / n
-- with x ascending and i = 1..n.
ranked_pagerank as (

    select
        site,
        crawl_id,
        internal_pagerank,
        row_number() over (partition by site, crawl_id order by internal_pagerank) as position

    from pages

),

equity as (

    select
        site,
        crawl_id,
        2 * sum(position * internal_pagerank) / (count(*) * sum(internal_pagerank))
        - (count(*) + 1) / count(*) as equity_gini

    from ranked_pagerank
    group by site, crawl_id

),

link_counts as (

    select site, crawl_id, 'broken' as kind, count(*) as links, count(distinct target_url) as targets
    from {{ ref('broken_internal_links') }}
    group by site, crawl_id
    union all
    select site, crawl_id, 'other_error', count(*), count(distinct target_url)
    from {{ ref('other_error_links') }}
    group by site, crawl_id
    union all
    select site, crawl_id, 'redirected', count(*), count(distinct target_url)
    from {{ ref('redirected_internal_links') }}
    group by site, crawl_id
    union all
    select site, crawl_id, 'canonicalised', count(*), count(distinct target_url)
    from {{ ref('canonicalised_internal_links') }}
    group by site, crawl_id
    union all
    select site, crawl_id, 'hreflang', count(*), count(distinct target_url)
    from {{ ref('hreflang_link_issues') }}
    group by site, crawl_id

),

link_issues as (

    select
        site,
        crawl_id,
        coalesce(sum(links) filter (where kind = 'broken'), 0) as broken_links,
        coalesce(sum(targets) filter (where kind = 'broken'), 0) as broken_link_targets,
        coalesce(sum(links) filter (where kind = 'other_error'), 0) as other_error_links,
        coalesce(sum(links) filter (where kind = 'redirected'), 0) as redirected_links,
        coalesce(sum(links) filter (where kind = 'canonicalised'), 0) as canonicalised_links,
        coalesce(sum(links) filter (where kind = 'hreflang'), 0) as hreflang_issues

    from link_counts
    group by site, crawl_id

),

events as (

    select
        site,
        crawl_id,
        count(*) filter (where event = 'new') as new_orphans,
        count(*) filter (where event = 'resolved') as resolved_orphans

    from {{ ref('orphan_events') }}
    group by site, crawl_id

),

final as (

    select
        crawls.site,
        crawls.crawl_id,
        crawls.started_at,
        crawls.finished_at,
        crawls.previous_crawl_id,
        cast(crawls.crawl_number as bigint) as crawl_number,
        cast(page_stats.pages as bigint) as pages,
        cast(page_stats.pages_ok as bigint) as pages_ok,
        cast(page_stats.indexable_pages as bigint) as indexable_pages,
        cast(page_stats.reachable_pages as bigint) as reachable_pages,
        cast(page_stats.orphans as bigint) as orphans,
        cast(coalesce(events.new_orphans, 0) as bigint) as new_orphans,
        cast(coalesce(events.resolved_orphans, 0) as bigint) as resolved_orphans,
        cast(page_stats.weakly_linked_pages as bigint) as weakly_linked_pages,
        cast(page_stats.median_click_depth as double) as median_click_depth,
        cast(page_stats.p95_click_depth as double) as p95_click_depth,
        cast(page_stats.max_click_depth as integer) as max_click_depth,
        cast(page_stats.share_deeper_than_3 as double) as share_deeper_than_3,
        cast(page_stats.internal_links as bigint) as internal_links,
        cast(coalesce(link_issues.broken_links, 0) as bigint) as broken_links,
        cast(coalesce(link_issues.broken_link_targets, 0) as bigint) as broken_link_targets,
        cast(coalesce(link_issues.other_error_links, 0) as bigint) as other_error_links,
        cast(coalesce(link_issues.redirected_links, 0) as bigint) as redirected_links,
        cast(coalesce(link_issues.canonicalised_links, 0) as bigint) as canonicalised_links,
        cast(coalesce(link_issues.hreflang_issues, 0) as bigint) as hreflang_issues,
        cast(equity.equity_gini as double) as equity_gini,
        cast(page_stats.striking_distance_pages as bigint) as striking_distance_pages,
        cast(case when page_stats.has_ga4 then coalesce(page_stats.orphan_sessions_28d, 0) end as bigint)
            as orphan_sessions_28d,
        cast(case when page_stats.has_gsc then coalesce(page_stats.orphan_gsc_clicks_28d, 0) end as bigint)
            as orphan_gsc_clicks_28d,
        cast(
            case when page_stats.has_gsc then coalesce(page_stats.orphan_gsc_impressions_28d, 0) end as bigint
        )
            as orphan_gsc_impressions_28d,
        -- Null when the window has no Search Console data at all, like the gsc metrics.
        cast(case when google_windows.gsc_days > 0 then google_windows.gsc_provisional_days end as bigint)
            as gsc_provisional_days,
        case when google_windows.gsc_days > 0 then google_windows.gsc_provisional_days > 0 end
            as gsc_window_has_provisional_days

    from crawls
    inner join page_stats
        on crawls.site = page_stats.site
        and crawls.crawl_id = page_stats.crawl_id
    left join equity
        on crawls.site = equity.site
        and crawls.crawl_id = equity.crawl_id
    left join link_issues
        on crawls.site = link_issues.site
        and crawls.crawl_id = link_issues.crawl_id
    left join events
        on crawls.site = events.site
        and crawls.crawl_id = events.crawl_id
    left join google_windows
        on crawls.site = google_windows.site
        and crawls.crawl_id = google_windows.crawl_id

)

select * from final

-- One row per URL per published crawl (grain: site, crawl_id, url): status, indexability,
-- inlinks/outlinks, click depth, internal PageRank and its scales, the site's equity variant,
-- orphan status, link sink/source flags and the crawl's 28-day GA4 and Search Console metrics.

with

pages as (

    select * from {{ ref('int_crawl_pages') }}

),

inlinks as (

    select * from {{ ref('int_inlinks_aggregated') }}

),

outlinks as (

    select * from {{ ref('int_outlinks_aggregated') }}

),

graph_metrics as (

    select * from {{ ref('int_graph_metrics') }}

),

orphans as (

    select * from {{ ref('int_orphans_classified') }}

),

redirect_chains as (

    select * from {{ ref('int_redirect_chains') }}

),

google_windows as (

    select * from {{ ref('int_crawl_google_windows') }}

),

ga4_pages as (

    select * from {{ ref('int_ga4_pages_windowed') }}

),

gsc_pages as (

    select * from {{ ref('int_gsc_pages_windowed') }}

),

joined as (

    select
        pages.site,
        pages.crawl_id,
        pages.url,
        pages.status,
        pages.error,
        pages.content_type,
        pages.title,
        pages.canonical,
        pages.redirect_location,
        pages.final_url,
        pages.indexable,
        pages.in_sitemap,
        coalesce(inlinks.unique_inlinks, 0) as unique_inlinks,
        coalesce(inlinks.total_inlinks, 0) as total_inlinks,
        coalesce(inlinks.nofollow_inlinks, 0) as nofollow_inlinks,
        coalesce(inlinks.inlinks_nav, 0) as inlinks_nav,
        coalesce(inlinks.inlinks_header, 0) as inlinks_header,
        coalesce(inlinks.inlinks_footer, 0) as inlinks_footer,
        coalesce(inlinks.inlinks_aside, 0) as inlinks_aside,
        coalesce(inlinks.inlinks_content, 0) as inlinks_content,
        coalesce(inlinks.unique_content_inlinks, 0) as unique_content_inlinks,
        coalesce(outlinks.unique_outlinks, 0) as unique_outlinks,
        coalesce(outlinks.total_outlinks, 0) as total_outlinks,
        coalesce(outlinks.external_outlinks, 0) as external_outlinks,
        graph_metrics.click_depth,
        graph_metrics.internal_pagerank,
        graph_metrics.link_score,
        orphans.is_orphan,
        orphans.orphan_evidence,
        pages.found_via,
        pages.is_redirect,
        pages.is_noindex,
        pages.is_canonicalised,
        redirect_chains.hops as redirect_hops,
        coalesce(inlinks.unique_followed_inlinks, 0) as unique_followed_inlinks,
        coalesce(outlinks.unique_external_outlinks, 0) as unique_external_outlinks,
        graph_metrics.pagerank_rank,
        graph_metrics.pagerank_score_10,
        graph_metrics.equity_variant,
        graph_metrics.equity_pagerank,
        graph_metrics.equity_rank,
        graph_metrics.equity_score_10,
        graph_metrics.equity_link_score,
        case when google_windows.ga4_days > 0 then coalesce(ga4_pages.sessions, 0) end as sessions_28d,
        case when google_windows.ga4_days > 0 then coalesce(ga4_pages.pageviews, 0) end as pageviews_28d,
        case when google_windows.ga4_days > 0 then coalesce(ga4_pages.key_events, 0) end as key_events_28d,
        case when google_windows.gsc_days > 0 then coalesce(gsc_pages.clicks, 0) end as gsc_clicks_28d,
        case when google_windows.gsc_days > 0 then coalesce(gsc_pages.impressions, 0) end
            as gsc_impressions_28d,
        gsc_pages.average_position as gsc_position_28d

    from pages
    left join inlinks
        on pages.site = inlinks.site
        and pages.crawl_id = inlinks.crawl_id
        and pages.url = inlinks.url
    left join outlinks
        on pages.site = outlinks.site
        and pages.crawl_id = outlinks.crawl_id
        and pages.url = outlinks.url
    left join graph_metrics
        on pages.site = graph_metrics.site
        and pages.crawl_id = graph_metrics.crawl_id
        and pages.url = graph_metrics.url
    left join orphans
        on pages.site = orphans.site
        and pages.crawl_id = orphans.crawl_id
        and pages.url = orphans.url
    left join redirect_chains
        on pages.site = redirect_chains.site
        and pages.crawl_id = redirect_chains.crawl_id
        and pages.url = redirect_chains.url
    left join google_windows
        on pages.site = google_windows.site
        and pages.crawl_id = google_windows.crawl_id
    left join ga4_pages
        on pages.site = ga4_pages.site
        and pages.crawl_id = ga4_pages.crawl_id
        and pages.url = ga4_pages.page_url
    left join gsc_pages
        on pages.site = gsc_pages.site
        and pages.crawl_id = gsc_pages.crawl_id
        and pages.url = gsc_pages.page_url

),

-- Link sinks and sources are judged against the crawl's own indexable pages (thresholds in
-- link_definitions): "many" inlinks = at least the 90th percentile, "a lot" / "little" of
-- outlinks = at least twice / at most half the median, "strong" = PageRank in the top decile.
crawl_thresholds as (

    select
        site,
        crawl_id,
        quantile_disc(unique_followed_inlinks, {{ var('link_flag_percentile') }}) as many_inlinks,
        quantile_disc(internal_pagerank, {{ var('link_flag_percentile') }}) as strong_pagerank,
        quantile_cont(unique_outlinks, 0.5) as median_outlinks

    from joined
    where indexable
    group by site, crawl_id

),

final as (

    select
        joined.site,
        joined.crawl_id,
        joined.url,
        joined.status,
        joined.error,
        joined.content_type,
        joined.title,
        joined.canonical,
        joined.redirect_location,
        joined.final_url,
        joined.indexable,
        joined.in_sitemap,
        cast(joined.unique_inlinks as bigint) as unique_inlinks,
        cast(joined.total_inlinks as bigint) as total_inlinks,
        cast(joined.nofollow_inlinks as bigint) as nofollow_inlinks,
        cast(joined.inlinks_nav as bigint) as inlinks_nav,
        cast(joined.inlinks_header as bigint) as inlinks_header,
        cast(joined.inlinks_footer as bigint) as inlinks_footer,
        cast(joined.inlinks_aside as bigint) as inlinks_aside,
        cast(joined.inlinks_content as bigint) as inlinks_content,
        cast(joined.unique_content_inlinks as bigint) as unique_content_inlinks,
        cast(joined.unique_outlinks as bigint) as unique_outlinks,
        cast(joined.total_outlinks as bigint) as total_outlinks,
        cast(joined.external_outlinks as bigint) as external_outlinks,
        cast(joined.click_depth as integer) as click_depth,
        cast(joined.internal_pagerank as double) as internal_pagerank,
        cast(joined.link_score as double) as link_score,
        coalesce(joined.is_orphan, false) as is_orphan,
        coalesce(joined.orphan_evidence, []::varchar[]) as orphan_evidence,
        joined.found_via,
        joined.is_redirect,
        joined.is_noindex,
        joined.is_canonicalised,
        cast(joined.redirect_hops as integer) as redirect_hops,
        cast(joined.unique_followed_inlinks as bigint) as unique_followed_inlinks,
        joined.unique_followed_inlinks = 1 as weakly_linked,
        cast(joined.unique_external_outlinks as bigint) as unique_external_outlinks,
        cast(joined.pagerank_rank as bigint) as pagerank_rank,
        cast(joined.pagerank_score_10 as double) as pagerank_score_10,
        joined.equity_variant,
        cast(joined.equity_pagerank as double) as equity_pagerank,
        cast(joined.equity_rank as bigint) as equity_rank,
        cast(joined.equity_score_10 as double) as equity_score_10,
        cast(joined.equity_link_score as double) as equity_link_score,
        coalesce(
            joined.indexable
            and joined.unique_followed_inlinks > 0
            and joined.unique_followed_inlinks >= crawl_thresholds.many_inlinks
            and joined.unique_outlinks <= 0.5 * crawl_thresholds.median_outlinks,
            false
        ) as is_link_sink,
        coalesce(
            joined.indexable
            and joined.internal_pagerank >= crawl_thresholds.strong_pagerank
            and joined.unique_outlinks > 0
            and joined.unique_outlinks >= 2 * crawl_thresholds.median_outlinks,
            false
        ) as is_link_source,
        cast(joined.sessions_28d as bigint) as sessions_28d,
        cast(joined.pageviews_28d as bigint) as pageviews_28d,
        cast(joined.key_events_28d as double) as key_events_28d,
        cast(joined.gsc_clicks_28d as bigint) as gsc_clicks_28d,
        cast(joined.gsc_impressions_28d as bigint) as gsc_impressions_28d,
        cast(joined.gsc_position_28d as double) as gsc_position_28d,
        coalesce(
            joined.gsc_impressions_28d > 0
            and joined.gsc_position_28d between {{ var('striking_distance_positions')[0] }}
            and {{ var('striking_distance_positions')[1] }},
            false
        ) as is_striking_distance

    from joined
    left join crawl_thresholds
        on joined.site = crawl_thresholds.site
        and joined.crawl_id = crawl_thresholds.crawl_id

)

select * from final

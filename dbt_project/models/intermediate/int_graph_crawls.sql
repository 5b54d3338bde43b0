-- One row per published crawl: what decides its graph metrics (start URLs, the site's equity
-- variant and follow switch, the crawl/runs facts that change when a crawl is re-run) and their
-- fingerprint.
-- int_graph_metrics recomputes a crawl only when this fingerprint changes.

with

runs as (

    select * from {{ ref('stg_crawl__runs') }}

),

settings as (

    {{ equity_settings_rows() }}

),

configured as (

    select
        runs.site,
        runs.crawl_id,
        runs.started_at,
        runs.finished_at,
        runs.pages_crawled,
        runs.links_found,
        coalesce(runs.start_urls, []::varchar[]) as start_urls,
        coalesce(site_settings.eligibility, default_settings.eligibility) as eligibility,
        coalesce(site_settings.nofollow_mode, default_settings.nofollow_mode) as nofollow_mode,
        coalesce(site_settings.is_position_weighted, default_settings.is_position_weighted)
            as is_position_weighted,
        coalesce(site_settings.weight_content, default_settings.weight_content) as weight_content,
        coalesce(site_settings.weight_aside, default_settings.weight_aside) as weight_aside,
        coalesce(site_settings.weight_header, default_settings.weight_header) as weight_header,
        coalesce(site_settings.weight_nav, default_settings.weight_nav) as weight_nav,
        coalesce(site_settings.weight_footer, default_settings.weight_footer) as weight_footer,
        {{ sponsored_ugc_as_nofollow('runs.site') }} as sponsored_ugc_as_nofollow

    from runs
    left join settings as site_settings
        on runs.site = site_settings.site
    cross join (select * from settings where site is null) as default_settings

),

labelled as (

    select
        *,
        'eligibility=' || eligibility
        || ';nofollow=' || nofollow_mode
        || ';weights=' || case
            when is_position_weighted
                then printf(
                    'content:%g,aside:%g,header:%g,nav:%g,footer:%g',
                    weight_content, weight_aside, weight_header, weight_nav, weight_footer
                )
            else 'none'
        end as equity_variant,
        eligibility = 'all' and nofollow_mode = 'ignore' and not is_position_weighted as is_plain_equity

    from configured

),

final as (

    select
        site,
        crawl_id,
        start_urls,
        eligibility,
        nofollow_mode,
        is_position_weighted,
        weight_content,
        weight_aside,
        weight_header,
        weight_nav,
        weight_footer,
        equity_variant,
        is_plain_equity,
        sponsored_ugc_as_nofollow,
        md5(concat_ws(
            '|',
            'graph_version={{ var("graph_version") }}',
            started_at,
            finished_at,
            pages_crawled,
            links_found,
            array_to_string(start_urls, ' '),
            equity_variant,
            'sponsored_ugc_as_nofollow=' || sponsored_ugc_as_nofollow
        )) as graph_fingerprint

    from labelled

)

select * from final

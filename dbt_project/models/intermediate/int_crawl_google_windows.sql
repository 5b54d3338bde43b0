-- One row per published crawl: the window of GA4 / Search Console days joined to it - the
-- `google_window_days` (28) days ending the day before the crawl started (UTC) - how many
-- of those days each source has data for (0 = no data: the page metrics are null, not 0) and
-- how many Search Console days of it Google had not finalised yet (provisional numbers).

with

crawls as (

    select
        site,
        crawl_id,
        cast(timezone('UTC', started_at) as date) - {{ var('google_window_days') }} as window_start,
        cast(timezone('UTC', started_at) as date) - 1 as window_end

    from {{ ref('int_crawls_sequenced') }}

),

ga4_days as (

    select distinct site, report_date
    from {{ ref('stg_ga4__pages') }}

),

gsc_days as (

    select
        site,
        report_date,
        bool_or(is_provisional) as is_provisional

    from {{ ref('stg_gsc__pages') }}
    group by site, report_date

),

ga4_coverage as (

    select crawls.site, crawls.crawl_id, count(ga4_days.report_date) as ga4_days
    from crawls
    left join ga4_days
        on crawls.site = ga4_days.site
        and ga4_days.report_date between crawls.window_start and crawls.window_end
    group by crawls.site, crawls.crawl_id

),

gsc_coverage as (

    select
        crawls.site,
        crawls.crawl_id,
        count(gsc_days.report_date) as gsc_days,
        count(gsc_days.report_date) filter (where gsc_days.is_provisional) as gsc_provisional_days

    from crawls
    left join gsc_days
        on crawls.site = gsc_days.site
        and gsc_days.report_date between crawls.window_start and crawls.window_end
    group by crawls.site, crawls.crawl_id

),

final as (

    select
        crawls.site,
        crawls.crawl_id,
        crawls.window_start,
        crawls.window_end,
        ga4_coverage.ga4_days,
        gsc_coverage.gsc_days,
        gsc_coverage.gsc_provisional_days

    from crawls
    inner join ga4_coverage
        on crawls.site = ga4_coverage.site
        and crawls.crawl_id = ga4_coverage.crawl_id
    inner join gsc_coverage
        on crawls.site = gsc_coverage.site
        and crawls.crawl_id = gsc_coverage.crawl_id

)

select * from final

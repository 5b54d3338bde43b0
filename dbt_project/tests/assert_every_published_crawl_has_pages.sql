-- A published crawl (crawl/runs row) without any page row means its pages partition is
-- missing from the lake: the marts would silently drop the crawl.

select
    runs.site,
    runs.crawl_id

from {{ ref('stg_crawl__runs') }} as runs
anti join {{ ref('page_link_metrics') }} as metrics
    on runs.site = metrics.site
    and runs.crawl_id = metrics.crawl_id

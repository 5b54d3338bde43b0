-- Click depth counts from the crawl's start URLs, which the crawler always records as pages.
-- A crawl with pages but none at depth 0 has start URLs that match no page row (e.g. written
-- un-normalised): every page would look unreachable and every indexable page an orphan.

select
    site,
    crawl_id,
    count(*) as pages

from {{ ref('int_graph_metrics') }}
group by site, crawl_id
having count(*) filter (where click_depth = 0) = 0

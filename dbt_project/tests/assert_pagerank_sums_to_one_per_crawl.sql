-- Internal PageRank is a probability distribution over each crawl's pages.

select
    site,
    crawl_id,
    sum(internal_pagerank) as pagerank_total

from {{ ref('page_link_metrics') }}
group by site, crawl_id
having abs(sum(internal_pagerank) - 1) > 1e-9

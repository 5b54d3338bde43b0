-- One row per distinct followed edge per crawl, as node ids; edges whose target has no
-- crawl/pages row (never fetched) are not part of the graph.

with

followed_edges as (

    select distinct site, crawl_id, source_url, target_url
    from {{ ref('int_link_graph') }}
    where is_followed

),

nodes as (

    select site, crawl_id, url, node_id
    from {{ ref('int_graph_nodes_indexed') }}

),

final as (

    select
        followed_edges.site,
        followed_edges.crawl_id,
        source_nodes.node_id as source_node_id,
        target_nodes.node_id as target_node_id

    from followed_edges
    inner join nodes as source_nodes
        on followed_edges.site = source_nodes.site
        and followed_edges.crawl_id = source_nodes.crawl_id
        and followed_edges.source_url = source_nodes.url
    inner join nodes as target_nodes
        on followed_edges.site = target_nodes.site
        and followed_edges.crawl_id = target_nodes.crawl_id
        and followed_edges.target_url = target_nodes.url

)

select * from final

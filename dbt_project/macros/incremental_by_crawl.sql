{#
    Materialization `incremental_by_crawl`: a table of per-crawl rows in which each crawl is
    computed once, in its own statement, and recomputed only when its fingerprint changes.

    Why not dbt's `incremental`: a full rebuild (first build, changed definitions) would compute
    every crawl in one statement, holding all their graphs in memory at once; one statement per
    crawl bounds memory by the largest crawl. The model SQL must filter every crawl-partitioned
    input with `{{ crawl_scope(alias) }}` and carry the fingerprint column.

    Config:
      crawls       model listing every crawl that must be present: site, crawl_id, <fingerprint>
      fingerprint  name of the fingerprint column in both (default `fingerprint`)

    Each run: (1) recreate the table when it is missing, on --full-refresh or when the model's
    columns changed; (2) delete crawls that are no longer listed or whose fingerprint changed;
    (3) insert each listed crawl that is absent, one statement per crawl.
#}
{% materialization incremental_by_crawl, adapter='duckdb' %}
    {%- set target_relation = this.incorporate(type='table') -%}
    {%- set existing_relation = load_cached_relation(this) -%}
    {%- set crawls_relation = ref(config.require('crawls')) -%}
    {%- set fingerprint = adapter.quote(config.get('fingerprint', 'fingerprint')) -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}

    {%- set rebuild = existing_relation is none or should_full_refresh() or existing_relation.is_view -%}
    {%- if not rebuild -%}
        {%- set wanted = [] -%}
        {%- set present = [] -%}
        {%- call statement('model_columns', fetch_result=True) -%}
            {{ set_crawl_scope('', '') }}
            select * from ({{ sql }}) as model_rows limit 0
        {%- endcall -%}
        {%- for column in load_result('model_columns')['table'].column_names -%}
            {%- do wanted.append(column | lower) -%}
        {%- endfor -%}
        {%- for column in adapter.get_columns_in_relation(existing_relation) -%}
            {%- do present.append(column.name | lower) -%}
        {%- endfor -%}
        {%- set rebuild = wanted != present -%}
    {%- endif -%}

    {%- if rebuild -%}
        {%- if existing_relation is not none -%}
            {{ adapter.drop_relation(existing_relation) }}
        {%- endif -%}
        {%- call statement('create_empty') -%}
            {{ set_crawl_scope('', '') }}
            create table {{ target_relation }} as select * from ({{ sql }}) as model_rows
        {%- endcall -%}
    {%- endif -%}

    {%- call statement('delete_stale') -%}
        delete from {{ target_relation }} as existing
        where not exists (
            select 1
            from {{ crawls_relation }} as crawls
            where crawls.site = existing.site
                and crawls.crawl_id = existing.crawl_id
                and crawls.{{ fingerprint }} = existing.{{ fingerprint }}
        )
    {%- endcall -%}

    {%- set missing = run_query(
        "select site, crawl_id from " ~ crawls_relation ~ " as crawls where not exists ("
        ~ "select 1 from " ~ target_relation ~ " as existing "
        ~ "where existing.site = crawls.site and existing.crawl_id = crawls.crawl_id) "
        ~ "order by site, crawl_id"
    ) -%}
    {%- for crawl in missing.rows -%}
        {%- do log("incremental_by_crawl " ~ this ~ ": site " ~ crawl[0] ~ " crawl " ~ crawl[1]) -%}
        {%- call statement('crawl_' ~ loop.index) -%}
            {{ set_crawl_scope(crawl[0], crawl[1]) }}
            insert into {{ target_relation }} by name select * from ({{ sql }}) as model_rows
        {%- endcall -%}
    {%- endfor -%}

    {%- call statement('main') -%}
        {{ reset_crawl_scope() }}
        select {{ missing.rows | length }} as crawls_computed
    {%- endcall -%}

    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {% do persist_docs(target_relation, model) %}
    {{ adapter.commit() }}
    {{ run_hooks(post_hooks, inside_transaction=False) }}

    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}

{#
    Restrict a model to the crawl being computed by the `incremental_by_crawl` materialization.

    The materialization sets the DuckDB variables `lw_crawl_site` / `lw_crawl_id` before each
    crawl's insert; DuckDB folds `getvariable()` to a constant, so the predicate prunes the lake's
    hive partitions (only that crawl's Parquet files are read). Unset (a plain `dbt run` of the
    SQL, dbt unit tests) the predicate is true and every crawl is computed in one statement.
#}
{% macro crawl_scope(alias) -%}
    (
        getvariable('lw_crawl_site') is null
        or (
            {{ alias }}.site = getvariable('lw_crawl_site')
            and {{ alias }}.crawl_id = getvariable('lw_crawl_id')
        )
    )
{%- endmacro %}


{% macro set_crawl_scope(site, crawl_id) -%}
    set variable lw_crawl_site = '{{ site | replace("'", "''") }}';
    set variable lw_crawl_id = '{{ crawl_id | replace("'", "''") }}';
{%- endmacro %}


{% macro reset_crawl_scope() -%}
    reset variable lw_crawl_site;
    reset variable lw_crawl_id;
{%- endmacro %}

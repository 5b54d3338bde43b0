{#
    dbt unit tests compare every value exactly. PageRank comes from an iterative approximation
    (power iteration to an L1 change below 1e-12, leaving an error below ~6e-12), so in this
    project's unit tests DOUBLE columns of both the actual and the expected rows are rounded to
    10 decimals before the comparison: hand-computed PageRanks are written with 10 decimals,
    and every other double here (scores with 2 decimals, shares) is exact at that precision.
    Overrides dbt's default__get_unit_test_sql for DuckDB; the rest of the comparison is dbt's.
#}
{% macro duckdb__get_unit_test_sql(main_sql, expected_fixture_sql, expected_column_names) -%}
    {%- set doubles = [] -%}
    {%- for column in adapter.get_column_schema_from_query(main_sql) -%}
        {%- if column.dtype | upper in ['DOUBLE', 'FLOAT', 'REAL'] -%}
            {%- do doubles.append(column.name | lower) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set selected = [] -%}
    {%- for name in expected_column_names -%}
        {%- if name | replace('"', '') | lower in doubles -%}
            {%- do selected.append('round(' ~ name ~ ', 10) as ' ~ name) -%}
        {%- else -%}
            {%- do selected.append(name) -%}
        {%- endif -%}
    {%- endfor %}
with dbt_internal_unit_test_actual as (
    select {{ selected | join(', ') }}, 'actual' as "actual_or_expected"
    from ({{ main_sql }}) as _dbt_internal_unit_test_actual
),

dbt_internal_unit_test_expected as (
    select {{ selected | join(', ') }}, 'expected' as "actual_or_expected"
    from ({{ expected_fixture_sql }}) as _dbt_internal_unit_test_expected
)

select * from dbt_internal_unit_test_actual
union all
select * from dbt_internal_unit_test_expected
{%- endmacro %}

{#
    Use a model's custom schema verbatim (`staging`, `intermediate`) instead of dbt's default
    `<target>_<custom>`, so marts stay in the target schema (`main`) that BI clients open.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}

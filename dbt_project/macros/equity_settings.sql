{#
    The equity variant of every configured site as SQL rows (site, eligibility, nofollow_mode,
    weight_<position>...; positions a weighting leaves out weigh 1), from the vars
    `equity_default` and `site_equity` (the latter is what linkwarehouse.warehouse passes from
    each site's `warehouse.equity` block in sites.yaml).
    The row with site null is the default for sites without a block. Unknown values are a
    compile error naming the site and key.
#}
{% macro equity_settings_rows() -%}
    {%- set positions = ['content', 'aside', 'header', 'nav', 'footer'] -%}
    {%- set default = var('equity_default') -%}
    {%- set rows = [(none, default)] -%}
    {%- for site, settings in var('site_equity', {}).items() | sort -%}
        {%- do rows.append((site, settings)) -%}
    {%- endfor -%}
    select * from (values
    {%- for site, settings in rows %}
        {%- set where = 'equity_default' if site is none else "site_equity['" ~ site ~ "']" -%}
        {%- set eligibility = settings.get('eligibility', default.get('eligibility', 'all')) -%}
        {%- set nofollow = settings.get('nofollow', default.get('nofollow', 'ignore')) -%}
        {%- set weights = settings.get('position_weights', default.get('position_weights')) -%}
        {%- if eligibility not in ['all', 'screaming_frog'] -%}
            {{ exceptions.raise_compiler_error(where ~ ".eligibility: expected all or screaming_frog, got " ~ eligibility) }}
        {%- endif -%}
        {%- if nofollow not in ['ignore', 'dilute'] -%}
            {{ exceptions.raise_compiler_error(where ~ ".nofollow: expected ignore or dilute, got " ~ nofollow) }}
        {%- endif -%}
        {%- for position, weight in (weights or {}).items() -%}
            {%- if position not in positions -%}
                {{ exceptions.raise_compiler_error(where ~ ".position_weights: unknown position " ~ position) }}
            {%- elif weight is not number or weight < 0 -%}
                {{ exceptions.raise_compiler_error(where ~ ".position_weights." ~ position ~ ": expected a number >= 0") }}
            {%- endif -%}
        {%- endfor %}
        (
            {{ "null" if site is none else "'" ~ (site | replace("'", "''")) ~ "'" }},
            '{{ eligibility }}',
            '{{ nofollow }}',
            {{ 'true' if weights else 'false' }},
            {%- for position in positions %}
            cast({{ (weights or {}).get(position, 1.0) }} as double){{ ',' if not loop.last }}
            {%- endfor %}
        ){{ ',' if not loop.last }}
    {%- endfor %}
    ) as settings(
        site, eligibility, nofollow_mode, is_position_weighted,
        {%- for position in positions %} weight_{{ position }}{{ ',' if not loop.last }}{% endfor %}
    )
{%- endmacro %}


{#
    Whether any site (or the default) uses an equity variant other than the plain PageRank.
    Without one, int_graph_metrics compiles without the equity path: it then neither collects
    per-occurrence nofollow/position lists nor calls lw_equity_pagerank.
#}
{% macro any_equity_variant() -%}
    {%- set default = var('equity_default') -%}
    {%- set ns = namespace(found=not equity_is_plain(default, default)) -%}
    {%- for settings in var('site_equity', {}).values() -%}
        {%- set ns.found = ns.found or not equity_is_plain(settings, default) -%}
    {%- endfor -%}
    {{ return(ns.found) }}
{%- endmacro %}


{% macro equity_is_plain(settings, default) -%}
    {{ return(
        settings.get('eligibility', default.get('eligibility', 'all')) == 'all'
        and settings.get('nofollow', default.get('nofollow', 'ignore')) == 'ignore'
        and not settings.get('position_weights', default.get('position_weights'))
    ) }}
{%- endmacro %}

{#
    Google's follow semantics (docs: link_definitions, "Followed links"), written once.

    The crawler keeps every reason a link is not followed (`nofollow_reason`: rel_nofollow,
    rel_sponsored, rel_ugc, meta_robots, x_robots_tag). Whether rel_sponsored / rel_ugc count is
    the site's switch `links.sponsored_ugc_as_nofollow` in sites.yaml, passed by
    linkwarehouse.warehouse as the var `site_links`; `links_default` applies to sites without
    it. stg_crawl__links derives `is_nofollow` with `is_unfollowed()`; every other model reads
    that column, and int_graph_crawls puts the switch in the graph fingerprint.
#}

{#- The reasons that always count, whatever the switch says. -#}
{% macro always_unfollowing_reasons() -%}
    ['rel_nofollow', 'meta_robots', 'x_robots_tag']
{%- endmacro %}


{#- (default value, sorted sites whose value differs from it), validated. -#}
{% macro _sponsored_ugc_switch() -%}
    {%- set key = 'sponsored_ugc_as_nofollow' -%}
    {%- set default = var('links_default', {}).get(key, true) -%}
    {%- if default is not sameas true and default is not sameas false -%}
        {{ exceptions.raise_compiler_error("links_default." ~ key ~ ": expected true or false, got " ~ default) }}
    {%- endif -%}
    {%- set differing = [] -%}
    {%- for site, settings in var('site_links', {}).items() | sort -%}
        {%- set value = settings.get(key, default) -%}
        {%- if value is not sameas true and value is not sameas false -%}
            {{ exceptions.raise_compiler_error("site_links['" ~ site ~ "']." ~ key ~ ": expected true or false, got " ~ value) }}
        {%- endif -%}
        {%- if value != default -%}
            {%- do differing.append(site) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return((default, differing)) }}
{%- endmacro %}


{#- SQL boolean: the site's `links.sponsored_ugc_as_nofollow`. -#}
{% macro sponsored_ugc_as_nofollow(site_column) -%}
    {%- set default, differing = _sponsored_ugc_switch() -%}
    {%- if differing -%}
        ({{ site_column }} in (
            {%- for site in differing %}'{{ site | replace("'", "''") }}'{{ ', ' if not loop.last }}{% endfor -%}
        ) != {{ default }})
    {%- else -%}
        {{ default }}
    {%- endif -%}
{%- endmacro %}


{#- SQL boolean: a link with these reasons passes no equity on this site. -#}
{% macro is_unfollowed(reasons, site_column) -%}
    {%- set default, differing = _sponsored_ugc_switch() -%}
    {%- set counting_all = 'len(' ~ reasons ~ ') > 0' -%}
    {%- set counting_some = 'list_has_any(' ~ reasons ~ ', ' ~ always_unfollowing_reasons() ~ ')' -%}
    {%- if differing -%}
        case when {{ sponsored_ugc_as_nofollow(site_column) }} then {{ counting_all }} else {{ counting_some }} end
    {%- elif default -%}
        {{ counting_all }}
    {%- else -%}
        {{ counting_some }}
    {%- endif -%}
{%- endmacro %}

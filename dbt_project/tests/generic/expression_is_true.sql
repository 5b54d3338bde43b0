{#
    Fails on every row where `expression` is not true (dbt_utils' test of the same name;
    packages are not available offline). Use it for row-level invariants.
#}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not coalesce(({{ expression }}), false)

{% endtest %}

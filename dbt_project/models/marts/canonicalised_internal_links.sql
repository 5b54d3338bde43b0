-- One row per internal link occurrence whose target declares another URL as canonical (grain:
-- site, crawl_id, source_url, ordinal): the link should point at the canonical directly.

{{ link_issue_occurrences("targets.is_canonicalised") }}

-- One row per internal link occurrence whose target answered another 4xx or a 5xx, or could
-- not be fetched (timeout, connection error; robots-blocked URLs are not errors) (grain: site,
-- crawl_id, source_url, ordinal).

{{ link_issue_occurrences(
    "(targets.status between 400 and 599 and targets.status not in (404, 410))"
    ~ " or (targets.status is null and targets.error is not null and targets.error != 'robots_disallowed')"
) }}

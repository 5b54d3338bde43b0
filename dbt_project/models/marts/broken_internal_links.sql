-- One row per internal link occurrence whose target answered 404 or 410 (grain: site,
-- crawl_id, source_url, ordinal), with where it sits on the linking page.

{{ link_issue_occurrences("targets.status in (404, 410)") }}

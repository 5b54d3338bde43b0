"""GA4 and Search Console extraction into the lake, plus a local stand-in for both APIs.

Modules, one job each: :mod:`credentials` (service-account keys from Airflow connections),
:mod:`services` (API clients from bundled discovery documents), :mod:`errors` (classified
retries), :mod:`ga4` / :mod:`gsc` (one day -> published partitions), :mod:`partitions`
(refresh windows, backfill ranges), :mod:`jobs` (what the DAGs call), :mod:`standin` and
:mod:`standin_data` (the local servers and their deterministic data), :mod:`demo` (the
stand-in wired up for the demo site), :mod:`cli` (backfill / stand-in from a shell).
"""

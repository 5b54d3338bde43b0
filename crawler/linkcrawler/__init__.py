"""The Link Warehouse crawler: a Scrapy project that crawls one site into the crawl lake tables.

Run it as a subprocess (``python -m linkcrawler --config ... --site ... --crawl-id ... --lake ...``):
Scrapy's reactor cannot be restarted in one process, and the exit code plus the JSON summary on
the last stdout line are the whole interface the orchestration layer needs.
"""

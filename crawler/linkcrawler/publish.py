"""Commit one crawl: staged part files of every crawl process -> published partitions + runs row.

Each crawl process (one, or several sharing a frontier) stages its rows under
``_staging/<run_id>-w<k>/``. Publishing, done once by whoever owns the frontier:

- crawl/pages is rewritten in one file, sorted by URL: ``final_url`` of every 3xx row follows the
  chain across all processes' rows (``redirect_issue='loop'`` when it loops), ``depth_seen`` /
  ``found_via`` come from the frontier's best discovery, and URLs a trap budget kept from being
  fetched get their rows (``error='trap_suspected: <reason>'``);
- crawl/redirects gets each hop number from the frontier's discovery of its URL;
- every other table's parts are moved into place as they are, unless index files were folded
  into their directories (folding.py): then every table is rewritten with the folds applied;
- the link rows also give the query keys whose value changes on every page (traps.py).

So the same site gives the same rows whatever the number of processes or the order in which
pages finished. Then each partition is published and, last, the crawl/runs row is written: it
is the commit marker the warehouse reads.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from linkcrawler.depths import recompute
from linkcrawler.folding import fold_table, index_folds
from linkcrawler.frontier import EXAMPLES, UNFETCHED_TRAPS, Discovery, Frontier
from linkcrawler.traps import volatile_params
from linkwarehouse.faults import kill_point
from linkwarehouse.lake import PartitionWriter, partition_dir, write_file_partition
from linkwarehouse.lake.schemas import (
    CRAWL_LINKS,
    CRAWL_PAGES,
    CRAWL_REDIRECTS,
    CRAWL_RUNS,
    CRAWL_TABLES,
    LakeTable,
)
from linkwarehouse.lake.writer import clean_staging, staging_root
from linkwarehouse.urls import UrlNormalizer

logger = logging.getLogger(__name__)

STOP_ORDER = (
    "max_pages",
    "max_depth",
    "trap_suspected",
    "robots_unavailable",
    "max_redirects",
    "max_sitemaps",
)


def resolve_final_urls(redirects: Mapping[str, str | None]) -> dict[str, str | None]:
    """For each 3xx URL, the end of its redirect chain as far as this crawl followed it.

    ``redirects`` maps every 3xx URL to its normalised Location (``None`` when unusable). The
    chain ends at the first URL that is not itself a 3xx of this crawl; a loop gives ``None``.
    """
    finals: dict[str, str | None] = {}
    for start in redirects:
        current: str | None = start
        visited = {start}
        while current in redirects:
            following = redirects[current]
            if following is None:
                break
            if following in visited:
                current = None
                break
            visited.add(following)
            current = following
        finals[start] = current
    return finals


@dataclass
class CrawlOutcome:
    """What the crawl processes report besides their rows (merged over processes)."""

    finish_reason: str = "finished"
    notes: dict[str, int] = field(default_factory=dict)
    robots: dict[str, str] = field(default_factory=dict)
    workers: int = 1


def _read_parts(parts: list[Path], columns: list[str] | None = None) -> pa.Table | None:
    tables = [pq.read_table(part, columns=columns) for part in parts]
    return pa.concat_tables(tables, promote_options="default") if tables else None


def _staged_parts(
    lake_root: Path, table: LakeTable, partition: Mapping[str, str], staged_runs: list[str]
) -> list[Path]:
    relative = partition_dir(lake_root, table, partition).relative_to(lake_root)
    return sorted(
        part
        for staged in staged_runs
        for part in (staging_root(lake_root, staged) / relative).glob("part-*.parquet")
    )


def _followed_edges(
    pages: pa.Table, links: pa.Table | None, redirects: pa.Table | None, follow_nofollow: bool
) -> pa.Table:
    """The edges the crawl followed: internal links of expanded pages, the redirect hops taken,
    and the step from each page recorded as a parameter variant to its canonical."""
    not_expanded = pc.filter(pages.column("url"), pc.is_valid(pages.column("trap_suspected")))
    too_many = pc.filter(
        pages.column("url"), pc.equal(pc.fill_null(pages.column("redirect_issue"), ""), "too_many_hops")
    )
    parts = []
    if links is not None and links.num_rows:
        keep = pc.and_(
            pc.fill_null(links.column("is_internal"), False), pc.is_valid(links.column("target_url"))
        )
        if not follow_nofollow:
            keep = pc.and_(keep, pc.invert(pc.fill_null(links.column("nofollow"), False)))
        keep = pc.and_(keep, pc.invert(pc.is_in(links.column("source_url"), value_set=not_expanded)))
        chosen = links.filter(keep)
        parts.append(
            pa.table(
                {
                    "source_url": chosen.column("source_url"),
                    "target_url": chosen.column("target_url"),
                    "kind": pa.array(["link"] * chosen.num_rows, pa.string()),
                }
            )
        )
    if redirects is not None and redirects.num_rows:
        keep = pc.and_(
            pc.is_valid(redirects.column("location")),
            pc.invert(pc.is_in(redirects.column("url"), value_set=too_many)),
        )
        chosen = redirects.filter(keep)
        kinds = pc.if_else(
            pc.equal(pc.fill_null(chosen.column("redirect_type"), "http"), "http"), "redirect", "meta_refresh"
        )
        parts.append(
            pa.table(
                {"source_url": chosen.column("url"), "target_url": chosen.column("location"), "kind": kinds}
            )
        )
    variants = pages.filter(pc.is_valid(pages.column("variant_of")))
    if variants.num_rows:
        parts.append(
            pa.table(
                {
                    "source_url": variants.column("url"),
                    "target_url": variants.column("variant_of"),
                    "kind": pa.array(["canonical"] * variants.num_rows, pa.string()),
                }
            )
        )
    if not parts:
        return pa.table(
            {
                "source_url": pa.array([], pa.string()),
                "target_url": pa.array([], pa.string()),
                "kind": pa.array([], pa.string()),
            }
        )
    return pa.concat_tables(parts)


def _finalize_pages(
    staged: pa.Table | None, found: Mapping[str, Discovery], edges_of: Any
) -> tuple[pa.Table, dict[str, int]]:
    """The publishable crawl/pages table and the redirect hop number of each page URL."""
    rows_urls = staged.column("url").to_pylist() if staged is not None else []
    record = sorted(url for url, seen in found.items() if seen.trap in UNFETCHED_TRAPS)
    if record:
        extra = pa.table(
            {
                "url": record,
                "final_url": record,
                "error": [f"trap_suspected: {found[url].trap}" for url in record],
                "trap_suspected": [found[url].trap for url in record],
            }
        )
        staged = extra if staged is None else pa.concat_tables([staged, extra], promote_options="default")
        rows_urls += record
    if staged is None:
        return CRAWL_PAGES.schema.empty_table(), {}
    status = staged.column("status").to_pylist()
    locations = staged.column("redirect_location").to_pylist()
    redirects = {
        url: location
        for url, code, location in zip(rows_urls, status, locations, strict=True)
        if code is not None and 300 <= code < 400
    }
    finals = resolve_final_urls(redirects)
    final_url = [finals.get(url, url) for url in rows_urls]
    issues = staged.column("redirect_issue").to_pylist()
    redirect_issue = [
        "loop"
        if url in finals and finals[url] is None and redirects[url] is not None and issue is None
        else issue
        for url, issue in zip(rows_urls, issues, strict=True)
    ]
    depths, vias, hops = recompute(staged, edges_of(staged), found)
    old_depths = staged.column("depth_seen").to_pylist()
    old_vias = staged.column("found_via").to_pylist()
    depth = [new if new is not None else old for new, old in zip(depths, old_depths, strict=True)]
    via = [new if new is not None else old for new, old in zip(vias, old_vias, strict=True)]
    hop_of = {url: hop for url, hop in zip(rows_urls, hops, strict=True) if hop is not None}
    for name, values, kind in (
        ("final_url", final_url, pa.string()),
        ("redirect_issue", redirect_issue, pa.string()),
        ("depth_seen", depth, pa.int32()),
        ("found_via", via, pa.string()),
    ):
        staged = staged.set_column(staged.column_names.index(name), name, pa.array(values, type=kind))
    return staged.sort_by("url"), hop_of


def _finalize_redirects(staged: pa.Table, hop_of: Mapping[str, int]) -> pa.Table:
    hops = [
        hop_of[url] + 1 if url in hop_of else hop
        for url, hop in zip(staged.column("url").to_pylist(), staged.column("hop").to_pylist(), strict=True)
    ]
    staged = staged.set_column(staged.column_names.index("hop"), "hop", pa.array(hops, type=pa.int32()))
    return staged.sort_by([("url", "ascending"), ("redirect_type", "ascending")])


def _examples(urls: list[str]) -> dict[str, Any]:
    return {"urls": len(urls), "examples": sorted(urls)[:EXAMPLES]}


def stop_summary(
    frontier: Frontier,
    outcome: CrawlOutcome,
    variants: list[str] | None = None,
    folds: Mapping[str, str] | None = None,
    volatile: Mapping[str, Any] | None = None,
) -> tuple[list[str], dict[str, Any]]:
    """``(stop_reasons, stop_details)`` of crawl/runs: every reason URLs were left unfetched,
    and what the URL rules did: pages recorded as parameter variants (not expanded), index
    files folded into their directory, query keys whose value changes on every page."""
    url_variants = _examples(variants or [])
    index_folds = _examples(list(folds or {}))
    volatile = dict(volatile or {})
    reasons = set(frontier.stop_reasons)
    if outcome.notes.get("robots_unavailable"):
        reasons.add("robots_unavailable")
    for note in ("max_redirects", "max_sitemaps"):
        if outcome.notes.get(note):
            reasons.add(note)
    details: dict[str, Any] = {
        "max_pages": {
            "urls": len(frontier.over_limit),
            "examples": frontier.stops.examples.get("max_pages", []),
        },
        "max_depth": {
            "urls": len(frontier.too_deep),
            "examples": frontier.stops.examples.get("max_depth", []),
        },
        "trap_suspected": {
            key.split("/", 1)[1]: {"urls": count, "examples": frontier.stops.examples.get(key, [])}
            for key, count in sorted(frontier.stops.counts.items())
            if key.startswith("trap_suspected/")
        },
        "robots": dict(sorted(outcome.robots.items())),
        "robots_unavailable_pages": outcome.notes.get("robots_unavailable", 0),
        "max_redirects_chains": outcome.notes.get("max_redirects", 0),
        "max_sitemaps_skipped": outcome.notes.get("max_sitemaps", 0),
        "refused_start_urls": dict(sorted(frontier.refused_seeds.items())),
        "url_variants": url_variants,
        "index_folds": index_folds,
        "volatile_params": volatile,
        "external_urls": frontier.external,
        "excluded_urls": frontier.excluded,
        "admitted_urls": frontier.admitted,
    }
    return [reason for reason in STOP_ORDER if reason in reasons], details


def publish_crawl(
    lake_root: Path,
    site: str,
    crawl_id: str,
    run_id: str,
    staged_runs: list[str],
    frontier: Frontier,
    outcome: CrawlOutcome,
    runs_extra: Mapping[str, Any],
    follow_nofollow: bool = True,
    normalize: UrlNormalizer | None = None,
    volatile_min_pages: int = 3,
) -> dict[str, Any]:
    """Publish the parts staged under each of ``staged_runs``; return the crawl/runs row written.

    ``normalize`` (the site's) decides index folding (folding.py); ``volatile_min_pages`` is
    ``crawl.trap_volatile_param_pages``.
    """
    partition = {"site": site, "crawl_id": crawl_id}
    # Withdraw an earlier runs row of this crawl id first: while partitions are swapped the
    # crawl is invisible rather than inconsistent.
    runs_dir = partition_dir(lake_root, CRAWL_RUNS, {"site": site})
    (runs_dir / f"{crawl_id}.parquet").unlink(missing_ok=True)
    kill_point("crawl.publish.start")
    counts: dict[str, int] = {}
    errors = 0
    parts = {table.name: _staged_parts(lake_root, table, partition, staged_runs) for table in CRAWL_TABLES}
    staged_pages = _read_parts(parts[CRAWL_PAGES.name])
    folds = index_folds(staged_pages, normalize) if normalize is not None else {}
    if folds and staged_pages is not None:
        staged_pages = fold_table(CRAWL_PAGES.name, staged_pages, folds)
    staged_redirects = _read_parts(parts[CRAWL_REDIRECTS.name])
    if folds and staged_redirects is not None:
        staged_redirects = fold_table(CRAWL_REDIRECTS.name, staged_redirects, folds)
    volatile: dict[str, Any] = {}

    def edges_of(pages: pa.Table) -> pa.Table:
        links = _read_parts(parts[CRAWL_LINKS.name], ["source_url", "target_url", "is_internal", "nofollow"])
        if links is not None:
            links = fold_table(CRAWL_LINKS.name, links, folds)
            volatile.update(volatile_params(links, volatile_min_pages))
        return _followed_edges(pages, links, staged_redirects, follow_nofollow)

    pages, hop_of = _finalize_pages(staged_pages, frontier.found, edges_of)
    variants = pc.filter(pages.column("url"), pc.is_valid(pages.column("variant_of"))).to_pylist()
    reasons, details = stop_summary(frontier, outcome, variants, folds, volatile)
    stop_reason = reasons[0] if reasons else "finished"
    for table in CRAWL_TABLES:
        writer = PartitionWriter(lake_root, table, partition, run_id=run_id)
        if table is CRAWL_PAGES:
            errors = pages.num_rows - pages.column("error").null_count
            writer.write_table(pages)
        elif table is CRAWL_REDIRECTS and staged_redirects is not None:
            writer.write_table(_finalize_redirects(staged_redirects, hop_of))
        elif folds:
            for part in parts[table.name]:
                writer.write_table(fold_table(table.name, pq.read_table(part), folds))
        else:
            for part in parts[table.name]:
                writer.adopt(part)
        extra: dict[str, Any] = {"crawl_id": crawl_id, "stop_reason": stop_reason}
        if table is CRAWL_PAGES:
            extra["folded_rows"] = len(folds)  # rows the warehouse reads as their directory's
        writer.publish(extra)
        counts[table.name] = writer.rows
        kill_point("crawl.publish.partition")
    row = {
        **runs_extra,
        "crawl_id": crawl_id,
        "finished_at": datetime.now(UTC),
        "pages": counts[CRAWL_PAGES.name],
        "links": counts[CRAWL_LINKS.name],
        "errors": errors,
        "stop_reason": stop_reason,
        "finish_reason": outcome.finish_reason,
        "stop_reasons": reasons,
        "stop_details": json.dumps(details, sort_keys=True),
        "workers": outcome.workers,
        "volatile_params": list(volatile),
    }
    for key, seen in volatile.items():
        logger.warning(
            "site %s: query key %r changes its value on every page (%d pages, e.g. %s): a session id? "
            "Add it to urls.strip_params",
            site,
            key,
            seen["pages"],
            seen["examples"][0],
        )
    write_file_partition(lake_root, CRAWL_RUNS, {"site": site}, [row])
    kill_point("crawl.publish.runs")
    # Rewritten tables leave their staged parts behind: the staging folders go as a whole.
    discard_staging(lake_root, [*staged_runs, run_id])
    return row


def discard_staging(lake_root: Path, staged_runs: list[str]) -> None:
    for staged in staged_runs:
        clean_staging(lake_root, staged)


__all__ = ["CrawlOutcome", "discard_staging", "publish_crawl", "resolve_final_urls", "stop_summary"]

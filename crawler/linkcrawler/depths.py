"""``depth_seen``, ``found_via`` and redirect hop numbers, recomputed from the crawl's own rows.

With concurrent downloads (and several crawl processes) a page may be fetched before the
shortest path to it is known, so the depth it was admitted with depends on timing. At publish
time the followed edges are all known: the link rows of expanded pages (internal, followable),
the redirect and meta refresh hops that were followed, and the step from a page recorded as a
parameter variant to the canonical it names. A breadth-first search over them,
phase by phase (start URLs first, then sitemap URLs nothing linked to, then URLs known from the
lake, each phase only through pages earlier phases did not reach), gives every page its depth;
its ``found_via`` is the best kind of edge arriving from one level up (``link`` > ``redirect`` >
``meta_refresh`` > ``canonical``) and a redirect target's hop is one more than its source's. The same rows
then give the same values whatever the order pages finished in. Vectorised with numpy so a
million pages and tens of millions of links stay cheap.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from linkcrawler.frontier import VIA_RANK, Discovery

EDGE_KINDS = ("link", "redirect", "meta_refresh", "canonical")
_UNSET = np.iinfo(np.int64).max


def _ids(urls: pa.Array, nodes: pa.Array) -> np.ndarray:
    """Node id of each URL (-1 when the URL is not a page of this crawl)."""
    return (
        pc.fill_null(pc.index_in(urls, value_set=nodes), -1).to_numpy(zero_copy_only=False).astype(np.int64)
    )


def _bfs(
    sources: np.ndarray, targets: np.ndarray, roots: np.ndarray, allowed: np.ndarray, depth: np.ndarray
) -> None:
    """Breadth-first levels from ``roots`` through ``allowed`` nodes, written into ``depth``."""
    order = np.argsort(sources, kind="stable")
    sorted_targets = targets[order]
    starts = np.searchsorted(sources[order], np.arange(len(depth) + 1))
    level = roots[allowed[roots] & (depth[roots] == _UNSET)]
    depth[level] = 0
    current = 0
    while len(level):
        begin, end = starts[level], starts[level + 1]
        counts = end - begin
        if counts.sum() == 0:
            break
        offsets = np.repeat(begin - np.cumsum(np.concatenate(([0], counts[:-1]))), counts)
        neighbours = sorted_targets[np.arange(counts.sum()) + offsets]
        neighbours = np.unique(neighbours[allowed[neighbours] & (depth[neighbours] == _UNSET)])
        current += 1
        depth[neighbours] = current
        level = neighbours


def recompute(
    pages: pa.Table,
    edges: pa.Table,
    found: Mapping[str, Discovery],
) -> tuple[list[int | None], list[str | None], list[int | None]]:
    """``(depth_seen, found_via, hop)`` per row of ``pages`` (None where no path reaches it).

    ``edges`` has ``source_url``, ``target_url`` and ``kind`` (one of :data:`EDGE_KINDS`): only
    edges the crawl followed. Roots are the URLs the frontier admitted from a seed or a late
    phase, with their phase.
    """
    nodes = pages.column("url").combine_chunks()
    urls = nodes.to_pylist()
    count = len(urls)
    depth = np.full(count, _UNSET, dtype=np.int64)
    phase = np.full(count, -1, dtype=np.int64)
    root_via: dict[int, str] = {}
    roots_by_phase: dict[int, list[int]] = {}
    for index, url in enumerate(urls):
        seen = found.get(url)
        if seen is not None and seen.via not in EDGE_KINDS:
            root_via[index] = seen.via
            roots_by_phase.setdefault(seen.phase, []).append(index)
    sources = _ids(edges.column("source_url"), nodes)
    targets = _ids(edges.column("target_url"), nodes)
    ranks = np.array([VIA_RANK[kind] for kind in EDGE_KINDS])
    kinds = ranks[
        pc.index_in(edges.column("kind"), value_set=pa.array(EDGE_KINDS)).to_numpy(zero_copy_only=False)
    ]
    keep = (sources >= 0) & (targets >= 0) & (sources != targets)
    sources, targets, kinds = sources[keep], targets[keep], kinds[keep]
    for number in sorted(roots_by_phase):
        before = depth == _UNSET
        _bfs(sources, targets, np.array(roots_by_phase[number], dtype=np.int64), before, depth)
        phase[before & (depth != _UNSET)] = number
    reached = depth != _UNSET
    via_rank = np.full(count, _UNSET, dtype=np.int64)
    on_level = reached[sources] & reached[targets] & (phase[sources] == phase[targets])
    on_level &= depth[sources] + 1 == depth[targets]
    np.minimum.at(via_rank, targets[on_level], kinds[on_level])
    hop = np.zeros(count, dtype=np.int64)
    hops = on_level & (kinds != VIA_RANK["link"]) & (kinds == via_rank[targets])
    hop_sources, hop_targets = sources[hops], targets[hops]
    if len(hop_targets):
        hop[np.unique(hop_targets)] = _UNSET
        for level in np.unique(depth[hop_targets]):
            at = depth[hop_targets] == level
            np.minimum.at(hop, hop_targets[at], hop[hop_sources[at]] + 1)
    names = {rank: kind for kind, rank in VIA_RANK.items()}
    depths: list[int | None] = []
    vias: list[str | None] = []
    hop_out: list[int | None] = []
    for index in range(count):
        if not reached[index]:
            depths.append(None)
            vias.append(None)
            hop_out.append(None)
            continue
        depths.append(int(depth[index]))
        vias.append(
            root_via[index] if depth[index] == 0 and index in root_via else names.get(int(via_rank[index]))
        )
        hop_out.append(int(hop[index]))
    return depths, vias, hop_out

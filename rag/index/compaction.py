"""Compaction: the live rows of several segments written into one, and the segments' checks.

Each reindex adds a segment and tombstones rows in older ones, so with time a search scans
more matrices and more dead rows. A compaction merges segments (vectors copied row by row,
term statistics merged without tokenizing again, dead rows left out), commits a manifest that
points their entries at the new segment, and leaves the old ones to the sweep one commit later.
It runs under the reindex lock: after a reindex when due (`compact_if_due`), or on
`rag compact`. A kill at any point leaves the last commit intact (the new segment is written
whole or not at all, and the manifest switches in one transaction).

The policy is tiered, as Lucene's is in spirit: more than MAX_SEGMENTS segments merge every
segment but the largest (a day's cost stays a day's); when dead rows pass DEAD_SHARE of all rows,
everything merges.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from rag.config import Settings
from rag.index.commit import commit, read_committed
from rag.index.faults import index_faults
from rag.index.lexical import build_postings
from rag.index.locks import reindex_lock
from rag.index.manifest import Manifest
from rag.index.pipeline import phase
from rag.index.postings import Postings
from rag.index.segments import (
    Segment,
    checksum,
    load_segment,
    make_coarse,
    segments_dir,
    size_of,
    sweep_segments,
    vectors_of,
    write_segment,
)
from rag.index.tokens import TOKENIZER_VERSION, TokenStore

MAX_SEGMENTS = 10
DEAD_SHARE = 0.25


def quick_problems(index_dir: Path, manifest: Manifest) -> list[str]:
    """The check before every commit, a few stats per segment whatever the index's size: each
    of the manifest's segments is there with the bytes it was written with (a zero-length or
    truncated file, a lost segment). `segment_problems` reads them whole (`rag doctor`)."""
    problems = []
    for name, info in sorted(manifest.segments.items()):
        try:
            size = size_of(segments_dir(index_dir) / name)
        except OSError as err:
            problems.append(f"segment {name}: missing or unreadable ({err.strerror or err})")
            continue
        if size != info.size:
            problems.append(f"segment {name}: {size:,} bytes where {info.size:,} were written")
    return problems


def segment_problems(index_dir: Path, manifest: Manifest) -> list[str]:
    """What is wrong with the manifest's segments, one line each: missing or unreadable,
    counts or checksum other than recorded, entries or chunks the manifest names not there."""
    problems, loaded = [], {}
    for name, info in sorted(manifest.segments.items()):
        try:
            seg = loaded[name] = load_segment(index_dir, name)
        except (OSError, ValueError, KeyError, EOFError) as err:
            problems.append(f"segment {name}: missing or unreadable ({type(err).__name__}: {err})")
            continue
        if (len(seg.entry_ids), len(seg.chunk_ids)) != (info.entries, info.chunks):
            problems.append(f"segment {name}: holds {len(seg.entry_ids)} entries and {len(seg.chunk_ids)} chunks, "
                            f"the manifest recorded {info.entries} and {info.chunks}")
        elif checksum(segments_dir(index_dir) / name) != info.checksum:
            problems.append(f"segment {name}: its checksum differs from the manifest's (the files changed)")
    missing = _unheld(manifest, loaded)
    if missing:
        problems.append(f"manifest: {missing} entries point at segments that do not hold them")
    return problems


def _unheld(manifest: Manifest, loaded: dict[str, Segment]) -> int:
    """How many entries (with their chunks) are not where the manifest says."""
    entries = {name: set(seg.entry_ids) for name, seg in loaded.items()}
    chunks = {name: set(seg.chunk_ids) for name, seg in loaded.items()}
    return sum(1 for eid, rec in manifest.entries.items()
               if rec.segment in loaded and not (eid in entries[rec.segment]
                                                 and chunks[rec.segment].issuperset(rec.chunks_of(eid))))


def _row_map(seg: Segment, live: set[str], row: dict[str, int]) -> np.ndarray:
    """Per row of a segment, the entry's row in the merged segment (-1: a tombstone)."""
    return np.array([row[eid] if eid in live else -1 for eid in seg.entry_ids], dtype=np.int64)


def due(manifest: Manifest) -> list[str]:
    """The segments the policy would merge now (none when nothing is due)."""
    segs = sorted(manifest.segments.values(), key=lambda s: s.seq)
    rows = sum(s.entries for s in segs)
    if len(segs) > 1 and rows and (rows - len(manifest.entries)) / rows > DEAD_SHARE:
        return [s.name for s in segs]
    if len(segs) > MAX_SEGMENTS:
        largest = max(segs, key=lambda s: s.entries)
        return [s.name for s in segs if s is not largest]
    return []


def compact_if_due(settings: Settings, committed: Manifest) -> Manifest:
    """Compact when the policy says so, or re-tokenize every segment when the tokenizer changed
    (nothing is embedded again); returns the committed manifest."""
    if committed.segments and committed.tokenizer != TOKENIZER_VERSION:
        return compact(settings, committed, list(committed.segments), retokenize=True)
    names = due(committed)
    return compact(settings, committed, names) if names else committed


def compact(settings: Settings, committed: Manifest, names: list[str], retokenize: bool = False) -> Manifest:
    """Merge these segments' live rows into one new segment and commit it (caller holds the lock).
    With `retokenize` (all segments), the term statistics are made again from the entries'
    tokens, and the manifest records this tokenizer's version; else it keeps the one it had."""
    index_dir = Path(settings.index_dir)
    phase("compact-write")
    segs = sorted((load_segment(index_dir, n) for n in names), key=lambda s: committed.segments[s.name].seq)
    live = [[eid for eid in seg.entry_ids if eid in committed.entries and committed.entries[eid].segment == seg.name]
            for seg in segs]
    order = [eid for ids in live for eid in ids]
    row = {eid: i for i, eid in enumerate(order)}
    maps = [_row_map(seg, set(ids), row) for seg, ids in zip(segs, live)]
    if retokenize:
        whole = read_committed(settings)[0]  # every entry is tokenized: read them at once
        postings = build_postings(index_dir, whole.entries_by_id(), whole.hashes(), order)
    else:
        postings = Postings.merge([(seg.postings, m) for seg, m in zip(segs, maps)], len(order))
    chunk_ids = [c for eid in order for c in committed.entries[eid].chunks_of(eid)]
    vectors = vectors_of(segs).vectors_of(chunk_ids) if chunk_ids else np.zeros((0, 0), np.float32)
    info = write_segment(index_dir, committed.next_seq(), order, postings, chunk_ids, vectors)
    phase("compact-commit")
    entries = {eid: replace(rec, segment=info.name) if eid in row else rec for eid, rec in committed.entries.items()}
    kept = {n: s for n, s in committed.segments.items() if n not in names}
    new = replace(committed, version=committed.version + 1, updated=datetime.now(UTC).isoformat(timespec="seconds"),
                  entries=entries, segments={**kept, info.name: info},
                  retired=sorted(set(committed.segments) - set(kept)),
                  tokenizer=TOKENIZER_VERSION if retokenize else committed.tokenizer)
    commit(settings, new, committed)
    TokenStore(index_dir).keep_only(set(new.hashes().values()))  # tokens of removed contents go with their rows
    return new


def compact_all(settings: Settings) -> str:
    """`rag compact`: every segment merged into one, under the reindex lock; says what it did."""
    index_dir = Path(settings.index_dir)
    with index_faults(index_dir), reindex_lock(index_dir):
        committed = read_committed(settings, with_entries=False)[0]
        rows = sum(s.entries for s in committed.segments.values())
        if len(committed.segments) <= 1 and rows == len(committed.entries):
            return f"Nothing to compact: {len(committed.segments)} segment, no rows of removed or changed entries."
        stale = committed.tokenizer != TOKENIZER_VERSION  # merging everything: count the words again
        new = compact(settings, committed, list(committed.segments), retokenize=stale)
        sweep_segments(index_dir, set(new.segments) | set(new.retired))
        make_coarse(index_dir, new.segments)
        phase("done")
    return (f"Merged {len(committed.segments)} segments into one: {len(new.entries)} entries, "
            f"{rows - len(new.entries)} rows of removed or changed entries dropped.")

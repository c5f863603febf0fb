"""Reindexing: data directory -> parsed entries -> diff against the manifest -> a new segment.

Only new and changed entries are embedded; an entry whose text reappears under another id
(moved to another day) takes its old vectors. Locally a reindex writes one small segment (the
new and changed entries' vectors and term statistics, `rag.index.segments`), then commits the
manifest rows that changed (`rag.index.catalog`) in one transaction: that is the commit point.
Entries removed or changed are tombstoned by the commit (the manifest no longer points at
their old rows). After the commit Chroma, the store of record, is brought in line in place
(`rag.index.mirror`), segments nothing names are deleted, and now and then the segments are
compacted into one (`rag.index.compaction`). A reindex killed at any moment leaves the last
committed state intact and readable, and the next run converges to what a clean full index of
the same files gives. With a Chroma server, chunks go straight into the collection, readers
ignore chunks the manifest does not own, and what nobody owns is deleted after the commit.
The term bridge (rag/index/bridge.py) follows the committed entries after each reindex.

Why not LangChain's indexing API (`langchain_core.indexing.index` with a `RecordManager`)?
It keeps one vector store in step with its record manager, but our lexical index must follow
the same changes, and a second record of what is indexed, beside the manifest the readers
need anyway, could drift from it. It has no commit point: each batch goes into the live store
and is recorded afterwards, stale chunks are deleted later, so a killed run leaves readers a
mix of old and new chunks (and a local Chroma store a SIGKILL may have corrupted). Its unit is
the chunk, hashed with its metadata, where ours is the entry: an entry's chunks come and go
together, and an entry moved to another day (new id and metadata, same text) reuses its
vectors instead of being embedded again. We keep its good idea, diffing by content hash.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from langchain_core.documents import Document

from rag.config import Settings
from rag.digest import PARSER_VERSION, check_data_dir
from rag.index.bridge import update_bridge
from rag.index.catalog import catalog_path
from rag.index.chunking import chunk_entry, chunk_id, entry_hash
from rag.index.commit import commit, read_committed
from rag.index.compaction import compact_if_due, quick_problems
from rag.index.faults import DAMAGED, fault, index_faults
from rag.index.locks import reindex_lock, server_lease
from rag.index.manifest import EntryRecord, Manifest, ManifestError
from rag.index.mirror import mirror
from rag.index.pipeline import Plan, Progress, embed_chunks, phase, phase_listener
from rag.index.postings import Postings
from rag.index.scan import scan
from rag.index.segments import (
    make_coarse,
    sweep_segments,
    vectors_in,
    write_segment,
)
from rag.index.store import is_local
from rag.index.tokens import TOKENIZER_VERSION, TokenStore
from rag.model import Entry, ReindexReport

log = logging.getLogger(__name__)

def fingerprint(settings: Settings) -> dict:
    """Everything that, when changed, makes existing vectors incomparable with new ones."""
    return {
        "embedder": settings.embedder,
        "chunk_chars": settings.chunk_chars,
        "chunk_overlap": settings.chunk_overlap,
        "chunk_version": settings.chunk_version,
    }


def _collection_name(settings: Settings, fp: dict) -> str:
    digest = hashlib.sha1(json.dumps(fp, sort_keys=True).encode()).hexdigest()[:10]
    return f"{settings.collection}-{digest}"


def _committed(settings: Settings, report: ReindexReport) -> Manifest:
    """The committed state, its entries read on first use; an unreadable manifest is rebuilt."""
    try:
        return read_committed(settings, with_entries=False)[0]
    except ManifestError as err:
        report.message = f"{err}: rebuilding the whole index."
        log.info(report.message)
        if is_local(settings):  # nothing can be read from it; the rebuild writes a new one
            catalog_path(Path(settings.index_dir)).unlink(missing_ok=True)
        return Manifest()


def _verify(settings: Settings, manifest: Manifest) -> None:
    """Refuse to build on, or commit, a local state whose segments are missing or not the bytes
    they were written with (a damaged segment must not be carried on; `rag doctor` reads them whole)."""
    if is_local(settings) and manifest.segments:
        problems = quick_problems(Path(settings.index_dir), manifest)
        if problems:
            raise fault(DAMAGED, Path(settings.index_dir), problems[0])


def _base(settings: Settings, old: Manifest, fp: dict, collection: str, report: ReindexReport) -> Manifest:
    """What the new state builds on: the committed one, or nothing when it must be rebuilt."""
    if old.version and (old.fingerprint != fp or old.collection != collection):
        report.rebuilt = True
        report.message = (
            f"Index settings changed ({_fp_diff(old.fingerprint, fp)}): rebuilding the whole index "
            "into a new collection; the old one is dropped once the new one is committed."
        )
        log.info(report.message)  # the report carries it to the CLI and the app
        return Manifest()
    return old


def _diff(settings: Settings, base: Manifest, current: Mapping[str, tuple[Entry | None, str]], new: Manifest,
          report: ReindexReport) -> tuple[list[Document], list[str]]:
    """Record every current entry in the new manifest; return the chunks of new and changed
    entries and their ids (an entry of None was taken over, unchanged, from the manifest)."""
    pending: list[Document] = []
    fresh: list[str] = []
    for eid, (entry, rel) in current.items():
        prev = base.entries.get(eid)
        if entry is None and prev is not None:
            report.unchanged += 1
            new.entries[eid] = prev
            continue
        assert entry is not None  # scan reads every entry the manifest does not have
        content = entry_hash(entry)
        if prev is not None and prev.hash == content:
            report.unchanged += 1
            new.entries[eid] = EntryRecord.of(entry, content, prev.chunk_count, rel, prev.segment)
            continue
        if prev is None:
            report.added += 1
        else:
            report.changed += 1
        docs = chunk_entry(entry, content, settings.chunk_chars, settings.chunk_overlap)
        new.entries[eid] = EntryRecord.of(entry, content, len(docs), rel)
        pending.extend(docs)
        fresh.append(eid)
    report.removed = sum(1 for eid in base.entries if eid not in current)
    return pending, fresh


def plan(settings: Settings, data_dir: Path, report: ReindexReport) -> Plan:
    """Compare the data directory with the committed state: what to embed, keep and drop."""
    old = _committed(settings, report)
    fp = fingerprint(settings)
    collection = _collection_name(settings, fp)
    base = _base(settings, old, fp, collection, report)
    files, current = scan(data_dir, base, report)
    new = Manifest(
        fingerprint=fp, collection=collection, version=old.version + 1,
        updated=datetime.now(UTC).isoformat(timespec="seconds"), files=files, parser=PARSER_VERSION,
        segments=dict(base.segments), data_dir=str(data_dir),
        # Entries read again by another parser may feed other words (tag labels): the segments'
        # term statistics are made again after the commit (0 is no tokenizer's version).
        tokenizer=TOKENIZER_VERSION if not base.segments else base.tokenizer if base.parser == PARSER_VERSION else 0,
    )
    pending, fresh = _diff(settings, base, current, new, report)
    return Plan(old, base, new, pending, fresh)


def _reuse(settings: Settings, p: Plan) -> dict[str, np.ndarray]:
    """Vectors of dropped chunks by text, for new chunks with the same text (a moved entry)."""
    gone = [eid for eid, rec in p.base.entries.items() if p.new.entries.get(eid) != rec]
    if not p.pending or not gone:
        return {}
    texts = {d.id: d.page_content for eid in gone for d in
             chunk_entry(p.base.entries[eid].entry, p.base.entries[eid].hash, settings.chunk_chars, settings.chunk_overlap)}
    vectors = vectors_in(Path(settings.index_dir), {p.base.entries[eid].segment for eid in gone})
    held = [cid for cid in texts if cid in vectors.row]
    return dict(zip((texts[c] for c in held), vectors.vectors_of(held))) if held else {}


def _write_segment(settings: Settings, p: Plan, on_progress: Progress | None, report: ReindexReport) -> None:
    """Embed the plan's chunks and write them, with the new entries' term statistics, as a new
    segment the new manifest names. The tokenizer works while the chunks are embedded."""
    index_dir = Path(settings.index_dir)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="reindex") as pool:
        tokens = pool.submit(_postings, index_dir, p)
        pool.submit(importlib.import_module, "chromadb")  # for the Chroma update after the commit
        batches = list(embed_chunks(settings, p.pending, _reuse(settings, p), report, on_progress))
        phase("tokens")
        postings = tokens.result()
    vectors = np.concatenate([v for _, v in batches]) if batches else np.zeros((0, 0), np.float32)
    phase("segment")
    info = write_segment(index_dir, p.new.next_seq(), p.fresh, postings, [chunk_id(d) for d in p.pending], vectors)
    p.new.segments[info.name] = info
    for eid in p.fresh:
        p.new.entries[eid].segment = info.name


def _postings(index_dir: Path, p: Plan) -> Postings:
    """Term statistics of the new segment's entries (tokens cached by content hash)."""
    records = [p.new.entries[eid] for eid in p.fresh]
    tokens = TokenStore(index_dir).complete({rec.hash: rec.entry for rec in records})
    return Postings.build([tokens[rec.hash] for rec in records])


def _finish_manifest(p: Plan) -> None:
    """Segments no live entry uses leave the manifest; they stay on disk one commit longer
    (readers of the commit before may be opening them)."""
    used = {rec.segment for rec in p.new.entries.values()}
    p.new.segments = {name: info for name, info in p.new.segments.items() if name in used}
    p.new.retired = sorted(set(p.old.segments) - set(p.new.segments))


def apply(settings: Settings, p: Plan, report: ReindexReport, on_progress: Progress | None,
          still_held: Callable[[], None]) -> Manifest:
    """Write what the plan needs and commit it; returns the committed manifest."""
    if not p.changes:
        report.message = report.message or "Nothing changed: no embedding done."
        return p.old
    if is_local(settings):
        _verify(settings, p.base)
        if p.fresh:
            _write_segment(settings, p, on_progress, report)
        _finish_manifest(p)
    else:
        from rag.index.server_write import write_server

        write_server(settings, p, on_progress, report)
    phase("commit")
    still_held()
    _verify(settings, p.new)  # what is about to be committed holds together
    commit(settings, p.new, p.old)
    return p.new


def reindex(
    settings: Settings, data_dir: Path | None = None, on_progress: Progress | None = None,
    lock_wait_s: float = 0.0, on_phase: Callable[[str], None] | None = None,
) -> ReindexReport:
    """Bring the index in line with the data directory, embedding only what changed.

    `on_progress(done, total)` hears of the chunks embedded, `on_phase(name)` of each phase
    (scan, embed, tokens, segment, commit, chroma, compact-*, sweep, ann, bridge, done).
    """
    token = phase_listener.set(on_phase)
    try:
        return _reindex(settings, data_dir, on_progress, lock_wait_s)
    finally:
        phase_listener.reset(token)


def _reindex(
    settings: Settings, data_dir: Path | None, on_progress: Progress | None, lock_wait_s: float,
) -> ReindexReport:
    started = time.perf_counter()
    data_dir = Path(data_dir or settings.data_dir)
    index_dir = Path(settings.index_dir)
    report = ReindexReport()
    check_data_dir(data_dir)  # before the lock: a typo must not create an index directory
    with index_faults(index_dir), reindex_lock(index_dir, lock_wait_s), \
            server_lease(settings, lock_wait_s) as still_held:
        phase("scan")
        p = plan(settings, data_dir, report)
        committed = apply(settings, p, report, on_progress, still_held)
        if is_local(settings):
            _after_local_commit(settings, committed)
        else:
            from rag.index.server_write import sweep_server

            phase("sweep")
            sweep_server(settings, committed, p.dropped if committed is p.new else set())
        if p.changes:
            phase("bridge")  # a few rows a day
            update_bridge(index_dir, _ByHash(committed))
    report.seconds = round(time.perf_counter() - started, 3)
    phase("done")
    return report


def _after_local_commit(settings: Settings, committed: Manifest) -> None:
    """Chroma brought in line, segments compacted when due, what no commit names deleted."""
    index_dir = Path(settings.index_dir)
    phase("chroma")
    mirror(settings, committed)
    committed = compact_if_due(settings, committed)
    phase("sweep")
    sweep_segments(index_dir, set(committed.segments) | set(committed.retired))
    phase("ann")  # large segments' coarse pass for the kNN, derived: made after their commit
    make_coarse(index_dir, committed.segments)


class _ByHash(Mapping[str, Entry]):
    """Committed entries by content hash, each read only when asked for (the bridge reads new ones)."""

    def __init__(self, manifest: Manifest) -> None:
        self._records = {rec.hash: rec for rec in manifest.entries.values()}

    def __getitem__(self, key: str) -> Entry:
        return self._records[key].entry

    def __contains__(self, key: object) -> bool:  # Mapping's would read the entry
        return key in self._records

    def __iter__(self):
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)


def _fp_diff(old: dict, new: dict) -> str:
    changed = [f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
    return ", ".join(changed) or "collection name"

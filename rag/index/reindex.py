"""Reindexing: data directory -> parsed entries -> diff against the manifest -> Chroma.

Only new and changed entries are embedded; an entry whose text reappears under another id
(moved to another day) takes its old vectors. The manifest is the commit point. Locally,
changes are written into a private copy of the committed store generation, which is closed and
fsynced, and only then does a new manifest name it (rag/index/store.py says why Chroma needs that);
the lexical index is derived from the manifest's entries, with tokens cached by content hash
before the commit. So a reindex killed at any moment leaves the last committed state intact and
readable, and the next run, which redoes whatever was not committed, converges to what a clean
full index of the same files gives. With a Chroma server, chunks go straight into the collection,
readers ignore chunks the manifest does not own, and what nobody owns is deleted after the commit.
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
import json
import logging
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from langchain_core.documents import Document

from rag.config import Settings
from rag.digest import PARSER_VERSION, check_data_dir
from rag.index.bridge import update_bridge
from rag.index.checks import generation_problems
from rag.index.chunking import chunk_entry, chunk_id, entry_hash
from rag.index.commit import commit, read_committed
from rag.index.embeddings import get_embedder
from rag.index.faults import DAMAGED, fault, index_faults
from rag.index.lexical import keep_lexical, lexical_key, lexical_path, open_lexical
from rag.index.locks import reindex_lock, server_lease
from rag.index.manifest import EntryRecord, Manifest, ManifestError
from rag.index.scan import scan
from rag.index.store import (
    Writer,
    begin_write,
    close_client,
    connect,
    generation_exists,
    generation_path,
    is_local,
    sweep,
)
from rag.index.tokens import TokenStore
from rag.index.vectors import has_vectors, write_vectors
from rag.model import Entry, ReindexReport

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
# Server mode only: present while the server collection may hold chunks no manifest owns.
DIRTY_NAME = "store.dirty"
ID_BATCH = 1000  # ids per Chroma get/delete call


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


# Who hears of each phase of the reindex running in this context (the app's progress line).
_phase_listener: ContextVar[Callable[[str], None] | None] = ContextVar("reindex_phase_listener", default=None)


def _phase(name: str) -> None:
    # Debug-level markers of where a reindex is; the crash tests aim their kills with them.
    log.debug("reindex phase: %s", name)
    listener = _phase_listener.get()
    if listener is not None:
        listener(name)


def _committed(settings: Settings, report: ReindexReport) -> Manifest:
    try:
        return read_committed(settings)[0]
    except ManifestError as err:
        report.message = f"{err}: rebuilding the whole index."
        log.info(report.message)
        return Manifest()


def _clear_temp_files(index_dir: Path) -> None:
    """Remove half-written manifests of a killed run (the renames that would commit them never ran)."""
    for tmp in index_dir.glob(".manifest-*.tmp"):
        tmp.unlink(missing_ok=True)


def _verify(settings: Settings, manifest: Manifest) -> None:
    """Refuse to build on or commit a local state whose generation does not hold exactly its
    chunks (a zero-length or truncated Chroma file opens as an empty store, silently)."""
    if not is_local(settings) or not manifest.generation:
        return
    path = generation_path(settings, manifest.generation)
    problems = generation_problems(path, manifest.collection, manifest.chunk_ids())
    if problems:
        raise fault(DAMAGED, Path(settings.index_dir), problems[0])


@dataclass
class Plan:
    """What a reindex will do, decided before anything is written."""

    old: Manifest                  # the committed state
    base: Manifest                 # what the new state builds on (empty when rebuilding)
    new: Manifest                  # the state to commit
    pending: list[Document]        # chunks to embed and store
    dropped: set[str]              # chunk ids the new state no longer uses
    upgrade: bool                  # a local generation made before vector matrices gets one

    @property
    def changes(self) -> bool:
        """Whether there is anything to commit."""
        return self.upgrade or not self.new.same_state(self.old)

    @property
    def writes_store(self) -> bool:
        """Whether the vector store must be written (else only the manifest changes)."""
        return bool(self.pending or self.dropped or self.upgrade)


def _base(settings: Settings, old: Manifest, fp: dict, collection: str, report: ReindexReport) -> Manifest:
    """What the new state builds on: the committed one, or nothing when it must be rebuilt."""
    if old.version and (old.fingerprint != fp or old.collection != collection):
        report.rebuilt = True
        report.message = (
            f"Index settings changed ({_fp_diff(old.fingerprint, fp)}): rebuilding the whole index "
            "into a new collection; the old one is dropped once the new one is committed."
        )
    elif is_local(settings) and old.generation and not generation_exists(settings, old.generation):
        report.rebuilt = True
        report.message = f"The vector store {generation_path(settings, old.generation)} is missing: rebuilding the whole index."
    if not report.rebuilt:
        return old
    log.info(report.message)  # the report carries it to the CLI and the app
    return Manifest()


def _diff(settings: Settings, base: Manifest, current: dict[str, tuple[Entry, str]], new: Manifest,
          report: ReindexReport) -> list[Document]:
    """Record every current entry in the new manifest; return the chunks of new and changed ones."""
    pending: list[Document] = []
    for eid, (entry, rel) in current.items():
        prev = base.entries.get(eid)
        # An entry taken over from the manifest is the very object hashed before.
        content = prev.hash if prev is not None and prev.entry is entry else entry_hash(entry)
        if prev is not None and prev.hash == content:
            report.unchanged += 1
            new.entries[eid] = EntryRecord(entry=entry, hash=content, chunks=prev.chunks, file=rel)
            continue
        if prev is None:
            report.added += 1
        else:
            report.changed += 1
        docs = chunk_entry(entry, content, settings.chunk_chars, settings.chunk_overlap)
        new.entries[eid] = EntryRecord(entry=entry, hash=content, chunks=[chunk_id(d) for d in docs], file=rel)
        pending.extend(docs)
    report.removed = sum(1 for eid in base.entries if eid not in current)
    return pending


def plan(settings: Settings, data_dir: Path, report: ReindexReport) -> Plan:
    """Compare the data directory with the committed state: what to embed, keep and drop."""
    old = _committed(settings, report)
    fp = fingerprint(settings)
    collection = _collection_name(settings, fp)
    base = _base(settings, old, fp, collection, report)
    files, current = scan(data_dir, base, report)
    new = Manifest(
        fingerprint=fp, collection=collection, generation=base.generation, previous=base.previous,
        version=old.version + 1, updated=datetime.now(UTC).isoformat(timespec="seconds"), files=files,
        parser=PARSER_VERSION,
    )
    pending = _diff(settings, base, current, new, report)
    upgrade = is_local(settings) and bool(base.generation) and not has_vectors(generation_path(settings, base.generation))
    return Plan(old, base, new, pending, base.chunk_ids() - new.chunk_ids(), upgrade)


def _write_generation(settings: Settings, p: Plan, on_progress: Progress | None, report: ReindexReport) -> None:
    """Embed and store the plan's chunks in a store generation (a private copy, locally) and
    name it in the new manifest; the tokens of new content are cached on the way."""
    index_dir = Path(settings.index_dir)
    if not is_local(settings):
        (index_dir / DIRTY_NAME).touch()
    # The tokens (Kiwi) and the lexical index do not depend on the vector store: they are
    # made while the chunks are embedded and stored, and loading the embedding model overlaps
    # with opening Chroma; on two cores a cold reindex of one day takes about half as long.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="reindex") as pool:
        tokens = pool.submit(_cache_tokens, index_dir, p.old, p.new)
        if p.pending:
            pool.submit(get_embedder(settings).embed_query, "warm-up")
        _verify(settings, p.base)
        # What killed runs left (their private copies) goes before a new copy is made.
        sweep(settings, settings.collection, {p.old.generation, p.old.previous} - {""})
        _phase("copy")
        writer = begin_write(settings, p.new.collection, p.new.version, p.base.generation or None)
        try:
            _write_chunks(writer, p.pending, p.dropped, settings, on_progress, report)
            if writer.path is not None:  # a private generation
                _phase("vectors")
                base_dir = generation_path(settings, p.base.generation) if p.base.generation else None
                write_vectors(writer.path, sorted(p.new.chunk_ids()), writer.collection, base_dir)
            _phase("tokens")
            tokens.result()
            _phase("finish")
            writer.finish()
            _verify(settings, replace(p.new, generation=writer.generation))
        except BaseException:
            close_client(writer.client)
            if writer.path is not None:  # a failed run leaves nothing behind (a killed one: the next sweeps)
                shutil.rmtree(writer.path, ignore_errors=True)
            raise
    p.new.generation = writer.generation
    # Readers may still be on the old generation (never on one of old settings).
    p.new.previous = "" if report.rebuilt else p.old.generation


def apply(settings: Settings, p: Plan, report: ReindexReport, on_progress: Progress | None,
          still_held: Callable[[], None]) -> Manifest:
    """Write what the plan needs and commit it; returns the committed manifest."""
    if not p.changes:
        report.message = report.message or "Nothing changed: no embedding done."
        if p.old.entries and not lexical_path(settings.index_dir, p.old.hashes()).is_dir():
            _phase("tokens")  # a new tokenizer version, or a lost copy: made once, here
            _cache_tokens(Path(settings.index_dir), p.old, p.old)
        return p.old
    if p.upgrade and not report.message:
        report.message = "Stored the index's vectors as a matrix beside it (once, for faster search)."
    if p.writes_store:
        _write_generation(settings, p, on_progress, report)
    else:  # entries moved between files, or lines shifted: nothing to embed
        _phase("tokens")
        _cache_tokens(Path(settings.index_dir), p.old, p.new)
    _phase("commit")
    still_held()
    if not p.writes_store:
        _verify(settings, p.new)  # the same generation under a new manifest: still sound?
    commit(settings, p.new)
    return p.new


def reindex(
    settings: Settings, data_dir: Path | None = None, on_progress: Progress | None = None,
    lock_wait_s: float = 0.0, on_phase: Callable[[str], None] | None = None,
) -> ReindexReport:
    """Bring the index in line with the data directory, embedding only what changed.

    `on_progress(done, total)` hears of the chunks embedded, `on_phase(name)` of each phase
    (scan, copy, embed, vectors, tokens, finish, commit, sweep, bridge, done).
    """
    token = _phase_listener.set(on_phase)
    try:
        return _reindex(settings, data_dir, on_progress, lock_wait_s)
    finally:
        _phase_listener.reset(token)


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
        _phase("scan")
        _clear_temp_files(index_dir)
        p = plan(settings, data_dir, report)
        committed = apply(settings, p, report, on_progress, still_held)
        _phase("sweep")
        _sweep(settings, committed, p.dropped if committed is p.new else set(), (index_dir / DIRTY_NAME).exists())
        if p.changes:
            _phase("bridge")  # a few rows a day
            update_bridge(index_dir, {rec.hash: rec.entry for rec in committed.entries.values()})
    report.seconds = round(time.perf_counter() - started, 3)
    _phase("done")
    return report


def _fp_diff(old: dict, new: dict) -> str:
    changed = [f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
    return ", ".join(changed) or "collection name"


def _write_chunks(
    writer: Writer, pending: list[Document], dropped: set[str], settings: Settings,
    on_progress: Progress | None, report: ReindexReport,
) -> None:
    """Embed and store the pending chunks, reusing vectors of identical dropped text; then,
    in a private generation, delete the dropped chunks."""
    coll = writer.collection
    if not writer.private and pending:
        # A killed run may already have stored some of these (same id = same content).
        there = set()
        ids = [chunk_id(d) for d in pending]
        for start in range(0, len(ids), ID_BATCH):
            there.update(coll.get(ids=ids[start : start + ID_BATCH], include=[])["ids"])
        pending = [d for d in pending if d.id not in there]
    reuse: dict[str, np.ndarray] = {}
    if pending and dropped:
        ids = sorted(dropped)
        for start in range(0, len(ids), ID_BATCH):
            got = coll.get(ids=ids[start : start + ID_BATCH], include=["documents", "embeddings"])
            reuse.update(zip(got["documents"] or [], np.asarray(got["embeddings"], dtype=np.float32)))
    _phase("embed")
    embedder = get_embedder(settings)
    total = len(pending)
    if on_progress:
        on_progress(0, total)
    for start in range(0, total, settings.embed_batch):
        part = pending[start : start + settings.embed_batch]
        fresh = [d.page_content for d in part if d.page_content not in reuse]
        vectors = iter(embedder.embed_documents(fresh) if fresh else [])
        embeddings = [reuse[d.page_content] if d.page_content in reuse else next(vectors) for d in part]
        coll.upsert(
            ids=[chunk_id(d) for d in part], embeddings=np.asarray(embeddings, dtype=np.float32),
            documents=[d.page_content for d in part], metadatas=[d.metadata for d in part],
        )
        report.embedded_chunks += len(fresh)
        report.reused_chunks += len(part) - len(fresh)
        if on_progress:
            on_progress(min(start + len(part), total), total)
    if writer.private and dropped:
        _phase("store-delete")
        _delete_ids(coll, sorted(dropped))


def _delete_ids(coll, ids: list[str]) -> None:
    for start in range(0, len(ids), ID_BATCH):
        coll.delete(ids=ids[start : start + ID_BATCH])


def _cache_tokens(index_dir: Path, old: Manifest, new: Manifest) -> None:
    """Tokenize new content and save the new state's lexical index, before the commit (like
    its vectors): a reader of the new state finds both ready. The old state's tokens and
    lexical index stay for readers still on it; anything older goes."""
    store = TokenStore(index_dir)
    keep = set(old.hashes().values()) | set(new.hashes().values())
    before = store.get(keep)
    store.complete({rec.hash: rec.entry for rec in new.entries.values() if rec.hash not in before})
    if len(before) < len(keep):
        store.keep_only(keep)
    new_key = lexical_key(new.hashes())
    if not lexical_path(index_dir, new.hashes()).is_dir():
        open_lexical(index_dir, new.entries_by_id(), new.hashes())
    keep_lexical(index_dir, {lexical_key(old.hashes()), new_key})


def _sweep(settings: Settings, committed: Manifest, dropped: set[str], dirty: bool) -> None:
    """Delete what the committed manifest does not use (after the commit, never before)."""
    if is_local(settings):
        sweep(settings, settings.collection, {committed.generation, committed.previous} - {""})
        return
    if not committed.collection:
        return
    if dropped or dirty:
        client = connect(settings)
        try:
            coll = client.get_or_create_collection(committed.collection)
            if dirty:  # a killed run may have left chunks nobody owns: find them all
                owned = committed.chunk_ids()
                dropped = {cid for cid in coll.get(include=[])["ids"] if cid not in owned}
            _delete_ids(coll, sorted(dropped))
        finally:
            close_client(client)
    sweep(settings, settings.collection, {committed.collection})
    (Path(settings.index_dir) / DIRTY_NAME).unlink(missing_ok=True)

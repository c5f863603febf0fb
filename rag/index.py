"""Reindexing: data directory -> parsed entries -> diff against the manifest -> Chroma.

Only new and changed entries are embedded; an entry whose text reappears under another id
(moved to another day) takes its old vectors. The manifest is the commit point. Locally,
changes are written into a private copy of the committed store generation, which is closed and
fsynced, and only then does a new manifest name it (rag/store.py says why Chroma needs that);
the lexical index is derived from the manifest's entries, with tokens cached by content hash
before the commit. So a reindex killed at any moment leaves the last committed state intact and
readable, and the next run, which redoes whatever was not committed, converges to what a clean
full index of the same files gives. With a Chroma server, chunks go straight into the collection,
readers ignore chunks the manifest does not own, and what nobody owns is deleted after the commit.

Why not LangChain's indexing API (`langchain_core.indexing.index` with a `RecordManager`)?
It keeps one vector store in step with its record manager, but our lexical index must follow
the same changes, and a second record of what is indexed, beside the manifest the readers
need anyway, could drift from it. It has no commit point: each batch goes into the live store
and is recorded afterwards, stale chunks are deleted later, so a killed run leaves readers a
mix of old and new chunks (and a local Chroma store a SIGKILL may have corrupted). Its unit is
the chunk, hashed with its metadata, where ours is the entry: an entry's chunks come and go
together, and an entry moved to another day (new id and metadata, same text) reuses its
vectors instead of being embedded again. We keep its good idea, diffing by content hash, in a
manifest of entries that commits vectors and lexical tokens together.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timezone
from functools import cached_property
from pathlib import Path

import numpy as np
from langchain_core.documents import Document

from rag.chunking import chunk_entry, entry_hash
from rag.config import Settings
from rag.digest import Entry, ParseError, Source, parse_day_file
from rag.embeddings import get_embedder
from rag.lexical import (
    LexicalIndex,
    build_lexical,
    entry_tokens,
    load_token_cache,
    save_token_cache,
)
from rag.question import Filters
from rag.manifest import (
    EntryRecord,
    Manifest,
    ManifestError,
    manifest_stamp,
    read_manifest,
    save_manifest,
)
from rag.locks import reindex_lock, server_lease
from rag.remote_manifest import read_remote, remote_stamp, save_remote
from rag.store import (
    StoreUnavailableError,
    Writer,
    begin_write,
    close_client,
    connect,
    generation_exists,
    generation_path,
    is_local,
    open_store,
    server_errors,
    sweep,
)
from rag.vectors import ChunkVectors, best_per_entry, has_vectors, load_vectors, write_vectors

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
# Server mode only: present while the server collection may hold chunks no manifest owns.
DIRTY_NAME = "store.dirty"
ID_BATCH = 1000  # ids per Chroma get/delete call


@dataclass
class ReindexReport:
    """What a reindex did; `to_dict` is the `rag reindex --json` shape (plus details)."""

    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    embedded_chunks: int = 0  # chunks sent to the embedder
    reused_chunks: int = 0  # new chunks whose vectors were copied from identical old text
    rebuilt: bool = False
    message: str = ""

    def to_dict(self) -> dict:
        """JSON-ready report."""
        return asdict(self)

    def summary(self) -> str:
        """One line for people."""
        head = self.message + " " if self.message else ""
        return (
            f"{head}added {self.added}, changed {self.changed}, removed {self.removed}, "
            f"unchanged {self.unchanged}, skipped {self.skipped}; embedded {self.embedded_chunks} "
            f"chunks in {self.seconds:.1f}s"
        )


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


def _phase(name: str) -> None:
    # Debug-level markers of where a reindex is; the crash tests aim their kills with them.
    log.debug("reindex phase: %s", name)


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:  # streamed: a huge stray file is not loaded whole
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _scan(data_dir: Path, old: Manifest, report: ReindexReport) -> tuple[dict[str, dict], dict[str, tuple[Entry, str]]]:
    """Files and entries now in the data directory, by entry id with their file.

    Files whose bytes did not change are not parsed again: their entries come from the manifest.
    """
    files: dict[str, dict] = {}
    entries: dict[str, tuple[Entry, str]] = {}
    for path in sorted(p for p in data_dir.rglob("*.txt") if p.is_file()):
        rel = path.relative_to(data_dir).as_posix()
        previous = old.files.get(rel)
        try:
            sha = _sha256(path)
            if previous and previous["sha"] == sha and all(e in old.entries for e in previous["entries"]):
                # Same bytes, same entries: only where the data directory is may have changed.
                parsed = [_moved(old.entries[e].entry, path) for e in previous["entries"]]
            else:
                parsed = parse_day_file(path)
        except (ParseError, OSError) as err:
            message = str(err) if isinstance(err, ParseError) else f"{path}:0: cannot read file: {err}"
            report.skipped += 1
            if previous:  # a file that broke keeps what it had: nothing indexed is lost
                kept = [e for e in previous["entries"] if e in old.entries and e not in entries]
                message += f" (its {len(kept)} indexed entries are kept until it is fixed)"
                files[rel] = {"sha": previous["sha"], "entries": kept}
                for eid in kept:
                    entries[eid] = (old.entries[eid].entry, rel)
            report.errors.append(message)
            continue
        kept = []
        for entry in parsed:
            if entry.id in entries:
                report.errors.append(
                    f"{entry.source.file}:{entry.source.line}: duplicate entry {entry.id!r} "
                    f"(already in {entries[entry.id][1]}); skipped"
                )
                report.skipped += 1
                continue
            entries[entry.id] = (entry, rel)
            kept.append(entry.id)
        files[rel] = {"sha": sha, "entries": kept}
    return files, entries


def _moved(entry: Entry, path: Path) -> Entry:
    """The entry with its source file as found now (the data directory may have moved)."""
    if entry.source.file == str(path):
        return entry
    return replace(entry, source=Source(str(path), entry.source.line))


def read_committed(settings: Settings) -> tuple[Manifest, object]:
    """The committed manifest and its stamp: the local file, or the server's copy."""
    if is_local(settings):
        return read_manifest(Path(settings.index_dir))
    client = connect(settings)
    try:
        return _remote_call(settings, read_remote, client)
    finally:
        close_client(client)


def committed_stamp(settings: Settings, client=None) -> object:
    """What changes whenever a new manifest is committed (cheap: a stat, or one get)."""
    if is_local(settings):
        return manifest_stamp(Path(settings.index_dir))
    return _remote_call(settings, remote_stamp, client)


def _commit(settings: Settings, manifest: Manifest) -> None:
    if is_local(settings):
        save_manifest(Path(settings.index_dir), manifest)
        return
    client = connect(settings)
    try:
        _remote_call(settings, save_remote, client, manifest)
    finally:
        close_client(client)


def _remote_call(settings: Settings, fn, client, *args):
    """Run a manifest call against the server."""
    with server_errors(settings):
        return fn(client if client is not None else connect(settings), settings, *args)


def _committed(settings: Settings, report: ReindexReport) -> Manifest:
    try:
        return read_committed(settings)[0]
    except ManifestError as err:
        report.message = f"{err}: rebuilding the whole index."
        log.info(report.message)
        return Manifest()


def _clear_temp_files(index_dir: Path) -> None:
    """Remove half-written temp files of a killed run (the renames that would commit them never ran)."""
    for pattern in (".manifest-*.tmp", ".tokens-*.tmp"):
        for tmp in index_dir.glob(pattern):
            tmp.unlink(missing_ok=True)


def _check_data_dir(data_dir: Path) -> None:
    if not data_dir.exists():
        raise FileNotFoundError(f"data directory {data_dir} does not exist")
    if not data_dir.is_dir():
        raise NotADirectoryError(f"data directory {data_dir} is not a directory")


def reindex(
    settings: Settings,
    data_dir: Path | None = None,
    on_progress: Progress | None = None,
    lock_wait_s: float = 0.0,
) -> ReindexReport:
    """Bring the index in line with the data directory, embedding only what changed."""
    started = time.perf_counter()
    data_dir = Path(data_dir or settings.data_dir)
    index_dir = Path(settings.index_dir)
    report = ReindexReport()
    _check_data_dir(data_dir)  # before the lock: a typo must not create an index directory
    with reindex_lock(index_dir, lock_wait_s), server_lease(settings, lock_wait_s) as still_held:
        _phase("scan")
        _clear_temp_files(index_dir)
        old = _committed(settings, report)
        fp = fingerprint(settings)
        collection = _collection_name(settings, fp)
        base = old
        if old.version and (old.fingerprint != fp or old.collection != collection):
            report.rebuilt, base = True, Manifest()
            report.message = (
                f"Index settings changed ({_fp_diff(old.fingerprint, fp)}): rebuilding the whole index "
                "into a new collection; the old one is dropped once the new one is committed."
            )
        elif is_local(settings) and old.generation and not generation_exists(settings, old.generation):
            report.rebuilt, base = True, Manifest()
            store_dir = generation_path(settings, old.generation)
            report.message = f"The vector store {store_dir} is missing: rebuilding the whole index."
        if report.rebuilt:
            log.info(report.message)  # the report carries it to the CLI and the app

        files, current = _scan(data_dir, base, report)
        new = Manifest(
            fingerprint=fp, collection=collection, generation=base.generation, previous=base.previous,
            version=old.version + 1,
            updated=datetime.now(timezone.utc).isoformat(timespec="seconds"), files=files,
        )
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
            new.entries[eid] = EntryRecord(entry=entry, hash=content, chunks=[d.id for d in docs], file=rel)
            pending.extend(docs)
        report.removed = sum(1 for eid in base.entries if eid not in current)
        dropped = base.chunk_ids() - new.chunk_ids()

        dirty = (index_dir / DIRTY_NAME).exists()
        committed = old
        # A local generation made before vector matrices existed gets one (once) in a new copy.
        upgrade = is_local(settings) and bool(base.generation) and not has_vectors(
            generation_path(settings, base.generation)
        )
        if new.same_state(old) and not upgrade:
            report.message = report.message or "Nothing changed: no embedding done."
        else:
            if upgrade and not report.message:
                report.message = "Stored the index's vectors as a matrix beside it (once, for faster search)."
            if pending or dropped or upgrade:
                if not is_local(settings):
                    (index_dir / DIRTY_NAME).touch()
                    dirty = True
                _phase("copy")
                writer = begin_write(settings, collection, new.version, base.generation or None)
                try:
                    _write_chunks(writer, pending, dropped, settings, on_progress, report)
                    if writer.private:
                        _phase("vectors")
                        base_dir = generation_path(settings, base.generation) if base.generation else None
                        write_vectors(writer.path, sorted(new.chunk_ids()), writer.collection, base_dir)
                    _phase("tokens")
                    _cache_tokens(index_dir, old, new)
                    _phase("finish")
                    writer.finish()
                except BaseException:
                    close_client(writer.client)  # an uncommitted copy is swept by the next run
                    raise
                new.generation = writer.generation
                # Readers may still be on the old generation (never on one of old settings).
                new.previous = "" if report.rebuilt else old.generation
            else:  # entries moved between files, or lines shifted: nothing to embed
                _phase("tokens")
                _cache_tokens(index_dir, old, new)
            _phase("commit")
            still_held()
            _commit(settings, new)
            committed = new
        _phase("sweep")
        _sweep(settings, committed, dropped if committed is new else set(), dirty)
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
        ids = [d.id for d in pending]
        for start in range(0, len(ids), ID_BATCH):
            there.update(coll.get(ids=ids[start : start + ID_BATCH], include=[])["ids"])
        pending = [d for d in pending if d.id not in there]
    reuse: dict[str, list[float]] = {}
    if pending and dropped:
        ids = sorted(dropped)
        for start in range(0, len(ids), ID_BATCH):
            got = coll.get(ids=ids[start : start + ID_BATCH], include=["documents", "embeddings"])
            reuse.update(zip(got["documents"], got["embeddings"]))
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
            ids=[d.id for d in part], embeddings=np.asarray(embeddings, dtype=np.float32),
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
    """Cache lexical tokens of new content before the commit, like its vectors.

    The cache keeps the old manifest's tokens too, so a reader still on the old manifest
    never has to tokenize (load Kiwi) again; older content is pruned when tokens are added.
    """
    cache = load_token_cache(index_dir)
    missing = {rec.hash: rec.entry for rec in new.entries.values() if rec.hash not in cache}
    if not missing:
        return
    for content, entry in missing.items():
        cache[content] = entry_tokens(entry)
    keep = set(new.hashes().values()) | set(old.hashes().values())
    save_token_cache(index_dir, {h: t for h, t in cache.items() if h in keep})


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


_NEVER = (-1, -1, -1)
# How often a reader asks a Chroma server whether a new manifest was committed.
REMOTE_POLL_S = 1.0


@dataclass(frozen=True, eq=False)
class IndexView:
    """One committed state of the index, read as a whole.

    A refresh builds a new view and swaps it in with one assignment; a search takes the view
    once and uses only it, so a reindex committed in the middle of a search can never mix two
    states under it (an entry id from the new lexical index missing from the old entries).
    """

    settings: Settings
    manifest: Manifest = field(default_factory=Manifest)
    entries: dict[str, Entry] = field(default_factory=dict)
    lexical: LexicalIndex = field(default_factory=lambda: LexicalIndex([], []))
    collection: object | None = None  # the chromadb collection, None when nothing is indexed
    vectors: ChunkVectors | None = None  # local generations: their vector matrix
    dense_ok: bool = True  # False when the index was built with another embedder
    days: list[date] = field(default_factory=list)
    tags: Counter[str] = field(default_factory=Counter)
    owner: dict[str, str] = field(default_factory=dict)  # committed chunk id -> entry id
    day_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # per lexical row
    tag_masks: dict[str, np.ndarray] = field(default_factory=dict)  # tag -> lexical rows carrying it

    @cached_property
    def by_day(self) -> dict[date, list[Entry]]:
        """Entries per day, in digest order (built on first use, once per committed state)."""
        out: dict[date, list[Entry]] = {}
        for entry in sorted(self.entries.values(), key=lambda e: (e.day, e.source.line)):
            out.setdefault(entry.day, []).append(entry)
        return out

    def dense(self, vector: list[float], n: int, where: dict | None = None) -> list[tuple[str, float]]:
        """(entry id, cosine similarity) of the nearest committed chunks, nearest first.

        Queries the collection for ids and distances only: documents and metadata would
        cost several times the kNN itself, and the manifest already maps chunks to entries.
        """
        owner, collection = self.owner, self.collection
        if collection is None or not owner or not self.dense_ok:
            return []
        # A server collection may hold chunks of a reindex in flight (or a killed one) that
        # no manifest owns: over-fetch, and fetch more while they crowd out owned ones.
        k = n + 16
        while True:
            with server_errors(self.settings):
                found = collection.query(query_embeddings=[vector], n_results=k, where=where, include=["distances"])
            ids, distances = found["ids"][0], found["distances"][0]
            hits = [(owner[cid], 1.0 - float(d)) for cid, d in zip(ids, distances) if cid in owner]
            if len(hits) >= n or len(ids) < k:
                return hits[:n]
            k *= 4

    def admitted(self, filters: Filters) -> np.ndarray:
        """Boolean mask over the lexical index's rows: entries that pass the filters.

        Vectorized (a Python loop over every entry cost ~7 ms per filtered question at 4k
        entries): day ordinals per row, and one cached row mask per tag.
        """
        days = self.day_rows
        mask = np.ones(len(days), dtype=bool)
        if filters.days:
            mask = np.zeros(len(days), dtype=bool)
            for lo, hi in filters.days:
                mask |= (days >= lo.toordinal()) & (days <= hi.toordinal())
        if filters.tags:
            tagged = np.zeros(len(days), dtype=bool)
            for tag in filters.tags:
                tagged |= self.tag_rows(tag)
            mask &= tagged
        if filters.ids:
            chosen = np.zeros(len(days), dtype=bool)
            rows = [self.lexical.position(eid) for eid in filters.ids if eid in self.entries]
            chosen[rows] = True
            mask &= chosen
        return mask

    def tag_rows(self, tag: str) -> np.ndarray:
        """Boolean mask over the lexical index's rows: entries carrying the tag (cached)."""
        rows = self.tag_masks.get(tag)
        if rows is None:
            entries, ids = self.entries, self.lexical.entry_ids
            rows = self.tag_masks[tag] = np.array([tag in entries[eid].tags for eid in ids], dtype=bool)
        return rows

    def similarities(self, vectors: list[list[float]], entry_ids: list[str]) -> list[dict[str, float]]:
        """Per query vector, the best cosine similarity of each given entry's chunks.

        Fusion needs both scores for every candidate: an entry found only lexically still
        gets its real semantic similarity instead of counting as 0. Each chunk's vector is
        read once for all query vectors.
        """
        collection, records = self.collection, self.manifest.entries
        if collection is None or not self.dense_ok:
            return [{} for _ in vectors]
        owner = {cid: eid for eid in entry_ids if eid in records for cid in records[eid].chunks}
        if not owner:
            return [{} for _ in vectors]
        if self.vectors is not None:
            return self.vectors.best(vectors, owner)
        with server_errors(self.settings):
            got = collection.get(ids=list(owner), include=["embeddings"])
        if not len(got["ids"]):
            return [{} for _ in vectors]
        sims = np.asarray(got["embeddings"], dtype=np.float32) @ np.asarray(vectors, dtype=np.float32).T
        return best_per_entry([owner[cid] for cid in got["ids"]], sims)


class Index:
    """Read side of an index directory: the committed manifest, its store and lexical index.

    `refresh()` is cheap (one stat) and picks up a reindex committed by any process, so a
    running app answers from new days without a restart: locally a new commit names a new
    store generation, which opens as a new Chroma client with nothing stale cached. Searches
    read one `view()`; `entries`, `days`, `tags` and `manifest` are the current view's.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.embedder = get_embedder(settings)
        self._view = IndexView(settings)
        self._stamp = _NEVER
        self._lock = threading.Lock()
        self._client = None
        # The LangChain vector store over the committed collection, for LangChain pipelines
        # (`index.vectorstore.as_retriever()`). Our own searches query the collection directly:
        # langchain-chroma always fetches documents, several times the cost of the kNN.
        self.vectorstore = None
        self._store_key: tuple[str, str] | None = None
        self._retired: list = []  # clients of replaced generations, closed one switch later
        self._poller = None  # server mode: the client that polls for new commits
        self._polled = 0.0
        self.unavailable = ""
        try:
            self.refresh()
        except StoreUnavailableError as err:
            # The app must start and say so; every later refresh tries again.
            self.unavailable = str(err)
            log.info("%s", err)  # callers show it: the app's Index panel, the CLI's error

    def view(self) -> IndexView:
        """The current committed state, for one search to use from start to end."""
        return self._view

    @property
    def manifest(self) -> Manifest:
        return self._view.manifest

    @property
    def entries(self) -> dict[str, Entry]:
        return self._view.entries

    @property
    def days(self) -> list[date]:
        return self._view.days

    @property
    def tags(self) -> Counter[str]:
        return self._view.tags

    def _current_stamp(self) -> object:
        """The committed stamp; on a server polled at most every REMOTE_POLL_S seconds."""
        if is_local(self.settings):
            return committed_stamp(self.settings)
        now = time.monotonic()
        if self._stamp is not _NEVER and now - self._polled < REMOTE_POLL_S:
            return self._stamp
        try:
            if self._poller is None:
                self._poller = connect(self.settings)
            stamp = committed_stamp(self.settings, self._poller)
        except StoreUnavailableError:
            close_client(self._poller)  # a restarted server gets a fresh client next time
            self._poller = None
            raise
        self._polled = now
        return stamp

    def refresh(self) -> bool:
        """Reload if a reindex committed a new manifest; True when it changed."""
        index_dir = Path(self.settings.index_dir)
        if self._current_stamp() == self._stamp:
            return False
        with self._lock:
            manifest, stamp = read_committed(self.settings)
            if stamp == self._stamp:
                return False
            key = (manifest.collection, manifest.generation)
            client, store = self._client, self.vectorstore
            if not manifest.entries:
                client, store = None, None
            elif key != self._store_key or store is None:
                client = connect(self.settings, manifest.generation)
                store = open_store(self.settings, self.embedder, manifest.collection, client)
            entries = manifest.entries_by_id()
            lexical = build_lexical(entries, manifest.hashes(), load_token_cache(index_dir))
            embedder_used = manifest.fingerprint.get("embedder", self.settings.embedder)
            dense_ok = embedder_used == self.settings.embedder
            if not dense_ok:
                log.warning(
                    "the index in %s was built with embedder %r but this process uses %r: "
                    "dense search is off until it is restarted with the same settings",
                    index_dir, embedder_used, self.settings.embedder,
                )
            if client is not self._client:
                # A query in another thread may still use the replaced client: close it later.
                for old in self._retired:
                    close_client(old)
                self._retired = [self._client] if self._client is not None else []
            self._client, self.vectorstore, self._store_key = client, store, key
            local = is_local(self.settings) and client is not None
            self._view = IndexView(
                settings=self.settings, manifest=manifest, entries=entries, lexical=lexical,
                collection=client.get_collection(manifest.collection) if client is not None else None,
                vectors=load_vectors(generation_path(self.settings, manifest.generation)) if local else None,
                dense_ok=dense_ok,
                days=sorted({e.day for e in entries.values()}),
                tags=Counter(t for e in entries.values() for t in e.tags),
                owner={cid: eid for eid, rec in manifest.entries.items() for cid in rec.chunks},
                day_rows=np.array([entries[eid].day.toordinal() for eid in lexical.entry_ids], dtype=np.int64),
            )
            self._stamp = stamp
            return True

    def close(self) -> None:
        """Release the store clients (the Index is unusable afterwards)."""
        with self._lock:
            for client in [*self._retired, self._client]:
                close_client(client)
            for client in (self._poller,):
                close_client(client)
            self._retired, self._client, self.vectorstore, self._poller = [], None, None, None
            self._view = IndexView(self.settings)

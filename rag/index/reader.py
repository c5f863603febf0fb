"""The read side of an index: one committed state at a time, swapped in when a reindex commits.

`Index.refresh()` is cheap (a stat, or one request to a Chroma server at most every
REMOTE_POLL_S) and picks up a reindex committed by any process; a search reads one
`IndexView` from start to end, so a commit in the middle of it cannot mix two states.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path

import numpy as np

from rag.config import Settings
from rag.index.commit import committed_stamp, read_committed
from rag.index.embeddings import get_embedder
from rag.index.lexical import LexicalIndex, build_lexical, load_token_cache
from rag.index.manifest import Manifest
from rag.index.reindex import reindex
from rag.index.store import (
    StoreUnavailableError,
    close_client,
    connect,
    generation_path,
    is_local,
    open_store,
    server_errors,
)
from rag.index.vectors import ChunkVectors, best_per_entry, load_vectors
from rag.model import Entry, Filters

log = logging.getLogger(__name__)

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


_indexes: dict[tuple, Index] = {}
_indexes_lock = threading.Lock()


def get_index(settings: Settings, build_if_empty: bool = True) -> Index:
    """The process-wide Index for these settings, indexing the data directory if it is empty."""
    key = (str(settings.index_dir), settings.chroma_url, settings.embedder, settings.collection)
    with _indexes_lock:
        index = _indexes.get(key)
        if index is None:
            if build_if_empty and not (Path(settings.index_dir) / "manifest.json").exists() and not settings.chroma_url:
                reindex(settings, lock_wait_s=600)
            index = _indexes[key] = Index(settings)
        return index

"""The read side of an index: one committed state at a time, swapped in when a reindex commits.

`Index.refresh()` is cheap (a stat, or one request to a Chroma server at most every
REMOTE_POLL_S) and picks up a reindex committed by any process; a search reads one
`IndexView` from start to end, so a commit in the middle of it cannot mix two states.

A local index is read without Chroma: a committed generation's vectors are one memory-mapped
matrix (`rag.index.vectors`), and an exact kNN over it costs a few milliseconds at the digest's
size, where opening Chroma costs seconds of imports and start-up. Chroma is connected only
when it is needed: on a server, for a generation too large to scan (BRUTE_FORCE_MAX_ROWS), or
for LangChain users of `Index.vectorstore`.
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
from typing import TYPE_CHECKING

import numpy as np

from rag.config import Settings
from rag.index.bridge import Bridge, load_bridge
from rag.index.collection import Collection
from rag.index.commit import committed_stamp, read_committed
from rag.index.embeddings import get_embedder
from rag.index.lexical import LexicalIndex, open_lexical
from rag.index.manifest import Manifest
from rag.index.store import (
    StoreUnavailableError,
    chroma_where,
    close_client,
    connect,
    generation_exists,
    generation_path,
    is_local,
    open_store,
    server_errors,
)
from rag.index.vectors import ChunkVectors, best_per_entry, load_vectors
from rag.model import Entry, Filters
from rag.names import Roster

if TYPE_CHECKING:  # chromadb and langchain_chroma are slow to import; a local search needs neither
    import chromadb
    from langchain_chroma import Chroma

log = logging.getLogger(__name__)

_NEVER = (-1, -1, -1)
# How often a reader asks a Chroma server whether a new manifest was committed.
REMOTE_POLL_S = 1.0
# Up to this many chunk vectors (~33k entries, 200 MB) a local kNN scans the matrix exactly;
# beyond, Chroma's HNSW index answers it.
BRUTE_FORCE_MAX_ROWS = 100_000


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
    lexical: LexicalIndex = field(default_factory=lambda: LexicalIndex.build([], []))
    collection: Collection | None = None  # None when nothing is indexed
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

    @cached_property
    def _chunk_entry_rows(self) -> np.ndarray:
        """Per row of the vector matrix, the lexical row of the entry owning it (-1: none)."""
        lexical, owner, vectors = self.lexical, self.owner, self.vectors
        assert vectors is not None  # dense() reads these rows only when the view has a matrix
        return np.fromiter(
            (lexical.position(owner[cid]) if cid in owner else -1 for cid in vectors.ids),
            dtype=np.int64, count=len(vectors),
        )

    def dense(self, vector: list[float], n: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """(entry id, cosine similarity) of the nearest committed chunks under the filters,
        nearest first."""
        if not self.owner or not self.dense_ok or self.collection is None:
            return []
        if self.vectors is not None and len(self.vectors) <= BRUTE_FORCE_MAX_ROWS:
            rows = self._chunk_entry_rows
            admitted = self.admitted(filters) if filters else np.ones(len(self.day_rows), dtype=bool)
            allowed = (rows >= 0) & admitted[np.maximum(rows, 0)]
            return [(self.owner[cid], sim) for cid, sim in self.vectors.nearest(vector, n, allowed)]
        if filters and filters.authors:  # Chroma's metadata holds no authors: name the entries
            rows = np.flatnonzero(self.admitted(filters))
            filters = Filters(ids=tuple(self.lexical.entry_ids[row] for row in rows) or ("",))
        return self._chroma_dense(self.collection, vector, n, chroma_where(filters) if filters else None)

    def _chroma_dense(
        self, store: Collection, vector: list[float], n: int, where: dict | None,
    ) -> list[tuple[str, float]]:
        """The kNN asked of Chroma, for ids and distances only (the manifest maps chunks to entries)."""
        owner, collection = self.owner, store.get()
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

        Vectorized: day ordinals per row, and one cached row mask per tag.
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
        if filters.authors:
            mask &= self.roster.mask(filters.authors)
        if filters.ids:
            chosen = np.zeros(len(days), dtype=bool)
            rows = [self.lexical.position(eid) for eid in filters.ids if eid in self.entries]
            chosen[rows] = True
            mask &= chosen
        return mask

    @cached_property
    def bridge(self) -> Bridge:
        """Korean<->English term pairs, brought up to date with this state on first use."""
        return load_bridge(self.settings.index_dir, {r.hash: r.entry for r in self.manifest.entries.values()})

    @cached_property
    def roster(self) -> Roster:
        """Every author, for author filters (built on first use, once per committed state)."""
        return Roster([self.entries[eid].authors for eid in self.lexical.entry_ids])

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
        records = self.manifest.entries
        if self.collection is None or not self.dense_ok:
            return [{} for _ in vectors]
        owner = {cid: eid for eid in entry_ids if eid in records for cid in records[eid].chunks}
        if not owner:
            return [{} for _ in vectors]
        if self.vectors is not None:
            return self.vectors.best(vectors, owner)
        with server_errors(self.settings):
            got = self.collection.get().get(ids=list(owner), include=["embeddings"])
        if not len(got["ids"]):
            return [{} for _ in vectors]
        sims = np.asarray(got["embeddings"], dtype=np.float32) @ np.asarray(vectors, dtype=np.float32).T
        return best_per_entry([owner[cid] for cid in got["ids"]], sims)


class Index:
    """Read side of an index directory: the committed manifest, its vectors and lexical index.

    `refresh()` is cheap (one stat) and picks up a reindex committed by any process, so a
    running app answers from new days without a restart: locally a new commit names a new
    store generation, read as a new matrix (and, if Chroma is ever needed, a new client with
    nothing stale cached). Searches read one `view()`; `entries`, `days`, `tags` and
    `manifest` are the current view's.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.embedder = get_embedder(settings)
        self._view = IndexView(settings)
        self._stamp: object = _NEVER  # opaque: compared only for equality (read_committed)
        self._lock = threading.Lock()
        self._retired: list[Collection] = []  # collections of replaced states, closed one switch later
        self._vectorstore: tuple[tuple[str, str], Chroma] | None = None
        self._poller: chromadb.ClientAPI | None = None  # server mode: the client that polls for new commits
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

    def fresh_view(self) -> IndexView:
        """The latest committed state: a refresh (cheap when nothing changed), then the view."""
        self.refresh()
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

    @property
    def vectorstore(self):
        """The LangChain (langchain-chroma) vector store over the committed collection, for
        LangChain pipelines; made on first use (our own searches never need it)."""
        view = self._view
        if view.collection is None:
            return None
        key = (view.manifest.collection, view.manifest.generation)
        if self._vectorstore is None or self._vectorstore[0] != key:
            from rag.index.embeddings import langchain_embeddings

            self._vectorstore = (key, open_store(self.settings, langchain_embeddings(self.embedder),
                                                 view.manifest.collection, view.collection.client()))
        return self._vectorstore[1]

    def warm_up(self) -> None:
        """Load what the first question would otherwise wait for: the embedding model, Kiwi
        (the Korean tokenizer) and the pages of the index a search touches."""
        from rag.index.tokens import analyse_query

        vector = self.embedder.embed_query("warm-up: 검색 준비")
        analyse_query("질문에 답할 준비를 합니다")
        view = self.view()
        view.dense(vector, 10)
        view.lexical.search(["warm"], 10)

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

    def _store_of(self, manifest: Manifest) -> tuple[Collection | None, ChunkVectors | None]:
        """The collection (connected lazily) and, locally, the vector matrix of a committed state."""
        if not manifest.entries:
            return None, None
        if not is_local(self.settings):
            collection = Collection(self.settings, manifest)
            collection.get()  # a server that is down must say so now, as before
            return collection, None
        path = generation_path(self.settings, manifest.generation)
        if not generation_exists(self.settings, manifest.generation):
            raise StoreUnavailableError(
                f"the vector store {path} of the committed index is missing; run `rag reindex` to rebuild it"
            )
        return Collection(self.settings, manifest), load_vectors(path)

    def refresh(self) -> bool:
        """Reload if a reindex committed a new manifest; True when it changed."""
        index_dir = Path(self.settings.index_dir)
        if self._current_stamp() == self._stamp:
            return False
        with self._lock:
            manifest, stamp = read_committed(self.settings)
            if stamp == self._stamp:
                return False
            collection, vectors = self._store_of(manifest)
            entries = manifest.entries_by_id()
            lexical = open_lexical(index_dir, entries, manifest.hashes())
            embedder_used = manifest.fingerprint.get("embedder", self.settings.embedder)
            dense_ok = embedder_used == self.settings.embedder
            if not dense_ok:
                log.warning(
                    "the index in %s was built with embedder %r but this process uses %r: "
                    "dense search is off until it is restarted with the same settings",
                    index_dir, embedder_used, self.settings.embedder,
                )
            # A query in another thread may still use the replaced collection: close it later.
            for old in self._retired:
                old.close()
            self._retired = [self._view.collection] if self._view.collection is not None else []
            self._view = IndexView(
                settings=self.settings, manifest=manifest, entries=entries, lexical=lexical,
                collection=collection, vectors=vectors, dense_ok=dense_ok,
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
            for collection in [*self._retired, self._view.collection]:
                if collection is not None:
                    collection.close()
            close_client(self._poller)
            self._retired, self._vectorstore, self._poller = [], None, None
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
                from rag.index.reindex import reindex

                reindex(settings, lock_wait_s=600)
            index = _indexes[key] = Index(settings)
        return index

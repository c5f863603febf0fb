"""The read side of an index: one committed state at a time, swapped in when a reindex commits.

`Index.refresh()` is cheap (one query, or one request to a Chroma server at most every
REMOTE_POLL_S) and picks up a reindex committed by any process; a search reads one `IndexView`
from start to end, so a commit in the middle of it cannot mix two states. A local index is
read without Chroma: its segments' vectors are memory-mapped matrices and their term counts
merge into one BM25 (`rag.index.lexical`); an exact kNN costs milliseconds at the digest's
size, where opening Chroma costs seconds. Chroma is connected on a server, or for
`Index.vectorstore`.
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
from rag.index.catalog import catalog_path
from rag.index.collection import Collection
from rag.index.commit import committed_stamp, read_committed
from rag.index.embeddings import get_embedder
from rag.index.lexical import LexicalIndex, open_lexical
from rag.index.manifest import Manifest
from rag.index.segments import load_segment, vectors_of
from rag.index.store import (
    StoreUnavailableError,
    chroma_where,
    close_client,
    connect,
    is_local,
    open_store,
    server_errors,
    store_stamp,
)
from rag.index.vectors import ChunkVectors, best_per_entry
from rag.model import Entry, Filters
from rag.names import Roster

if TYPE_CHECKING:  # chromadb and langchain_chroma are slow to import; a local search needs neither
    import chromadb
    from langchain_chroma import Chroma

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
    lexical: LexicalIndex = field(default_factory=lambda: LexicalIndex.build([], []))
    collection: Collection | None = None  # server mode (None when nothing is indexed)
    vectors: ChunkVectors | None = None  # local: the segments' vectors
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
        if not self.owner or not self.dense_ok:
            return []
        if self.vectors is not None:
            rows = self._chunk_entry_rows
            admitted = self.admitted(filters) if filters else np.ones(len(self.day_rows), dtype=bool)
            allowed = (rows >= 0) & admitted[np.maximum(rows, 0)]
            return [(self.owner[cid], sim) for cid, sim in self.vectors.nearest(vector, n, allowed)]
        if filters and filters.authors:  # Chroma's metadata holds no authors: name the entries
            rows = np.flatnonzero(self.admitted(filters))
            filters = Filters(ids=tuple(self.lexical.entry_ids[row] for row in rows) or ("",))
        if self.collection is None:
            return []
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
        if (self.collection is None and self.vectors is None) or not self.dense_ok:
            return [{} for _ in vectors]
        owner = {cid: eid for eid in entry_ids if eid in records for cid in records[eid].chunks_of(eid)}
        if not owner:
            return [{} for _ in vectors]
        if self.vectors is not None:
            return self.vectors.best(vectors, owner)
        assert self.collection is not None
        with server_errors(self.settings):
            got = self.collection.get().get(ids=list(owner), include=["embeddings"])
        if not len(got["ids"]):
            return [{} for _ in vectors]
        sims = np.asarray(got["embeddings"], dtype=np.float32) @ np.asarray(vectors, dtype=np.float32).T
        return best_per_entry([owner[cid] for cid in got["ids"]], sims)


class Index:
    """Read side of an index directory: the committed manifest, its vectors and lexical index.

    `refresh()` is cheap (one small query) and picks up a reindex committed by any process, so
    a running app answers from new days without a restart: locally a new commit names new
    segments, read as new matrices. Searches read one `view()`; `entries`, `days`, `tags` and
    `manifest` are the current view's.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.embedder = get_embedder(settings)
        self._view = IndexView(settings)
        self._stamp: object = _NEVER  # opaque: compared only for equality (read_committed)
        self._lock = threading.Lock()
        self._retired: list[Collection] = []  # collections of replaced states, closed one switch later
        self._vectorstore: tuple[tuple, Chroma] | None = None
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
        """LangChain's (langchain-chroma) store over the committed collection, made on first use."""
        view = self._view
        if not view.manifest.entries:
            return None
        # A client caches what the store held when it opened: a store changed since gets a new one.
        key = (view.manifest.collection, self._stamp, store_stamp(self.settings))
        if self._vectorstore is None or self._vectorstore[0] != key:
            from rag.index.embeddings import langchain_embeddings

            self._drop_vectorstore()
            client = view.collection.client() if view.collection is not None else connect(self.settings)
            self._vectorstore = (key, open_store(self.settings, langchain_embeddings(self.embedder),
                                                 view.manifest.collection, client))
        return self._vectorstore[1]

    def _drop_vectorstore(self) -> None:
        """Close the local store's client (on a server the view's collection owns it)."""
        if self._vectorstore is not None and is_local(self.settings):
            close_client(self._vectorstore[1]._client)
        self._vectorstore = None

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

    def _server_parts(self, manifest: Manifest, entries: dict[str, Entry]) -> tuple[Collection | None, None, LexicalIndex]:
        """A server's state: its collection (connected now: a server that is down says so), its lexical index."""
        lexical = open_lexical(Path(self.settings.index_dir), entries, manifest.hashes())
        if not manifest.entries:
            return None, None, lexical
        collection = Collection(self.settings, manifest)
        collection.get()
        return collection, None, lexical

    def _local_parts(self, manifest: Manifest) -> tuple[None, ChunkVectors, LexicalIndex]:
        """A local committed state read from its segments: vectors and term statistics, the
        rows of removed or changed entries masked."""
        index_dir = Path(self.settings.index_dir)
        order = sorted(manifest.segments, key=lambda n: manifest.segments[n].seq)
        try:
            segments = [load_segment(index_dir, name) for name in order]
        except (OSError, ValueError, KeyError, EOFError) as err:
            raise StoreUnavailableError(f"a segment of the committed index is unreadable ({err}); "
                                        "run `rag doctor --repair`, or `rag reindex`") from err
        ids = sorted(manifest.entries)
        row = {eid: i for i, eid in enumerate(ids)}
        records = manifest.entries
        parts = [(seg.postings, np.fromiter((row[e] if e in records and records[e].segment == seg.name else -1
                                             for e in seg.entry_ids), dtype=np.int64, count=len(seg.entry_ids)))
                 for seg in segments]
        return None, vectors_of(segments, coarse_in=index_dir), LexicalIndex(ids, parts)

    def refresh(self) -> bool:
        """Reload if a reindex committed a new manifest; True when it changed."""
        index_dir = Path(self.settings.index_dir)
        if self._current_stamp() == self._stamp:
            return False
        with self._lock:
            manifest, stamp = read_committed(self.settings)
            if stamp == self._stamp:
                return False
            entries = manifest.entries_by_id()
            collection, vectors, lexical = (self._local_parts(manifest) if is_local(self.settings)
                                            else self._server_parts(manifest, entries))
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
                owner=manifest.owner(),
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
            self._drop_vectorstore()
            self._retired, self._poller = [], None
            self._view = IndexView(self.settings)


_indexes: dict[tuple, Index] = {}
_indexes_lock = threading.Lock()


def get_index(settings: Settings, build_if_empty: bool = True) -> Index:
    """The process-wide Index for these settings, indexing the data directory if it is empty."""
    key = (str(settings.index_dir), settings.chroma_url, settings.embedder, settings.collection)
    with _indexes_lock:
        index = _indexes.get(key)
        if index is None:
            if build_if_empty and not catalog_path(Path(settings.index_dir)).exists() and not settings.chroma_url:
                from rag.index.reindex import reindex

                reindex(settings, lock_wait_s=600)
            index = _indexes[key] = Index(settings)
        return index

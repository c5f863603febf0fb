"""A reindex against a Chroma server: chunks go straight into the shared collection.

The server owns durability and every client sees the same data, so there are no segments:
new chunks are upserted before the commit (readers ignore chunks no manifest owns), dropped
ones deleted after it. A marker in the index directory says the collection may hold chunks
nobody owns (a run killed before its commit), so the next run looks for them all. The lexical
index is derived from the committed entries and saved before the commit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rag.config import Settings
from rag.index.chunking import chunk_id
from rag.index.lexical import keep_lexical, lexical_key, lexical_path, open_lexical
from rag.index.manifest import Manifest
from rag.index.pipeline import Plan, Progress, embed_chunks, phase
from rag.index.store import close_client, connect, server_collection, sweep_collections
from rag.index.tokens import TokenStore
from rag.model import ReindexReport

# Present while the server collection may hold chunks no manifest owns.
DIRTY_NAME = "store.dirty"
ID_BATCH = 1000  # ids per Chroma get/delete call


def write_server(settings: Settings, p: Plan, on_progress: Progress | None, report: ReindexReport) -> None:
    """Embed and upsert the plan's chunks into the server collection; save the new lexical index."""
    index_dir = Path(settings.index_dir)
    if p.pending or p.dropped:
        (index_dir / DIRTY_NAME).touch()
        client, coll = server_collection(settings, p.new.collection)
        try:
            pending = _not_stored(coll, p)
            reuse = _reuse(coll, p.dropped) if pending else {}
            for part, vectors in embed_chunks(settings, pending, reuse, report, on_progress):
                coll.upsert(ids=[chunk_id(d) for d in part], embeddings=vectors,
                            documents=[d.page_content for d in part], metadatas=[d.metadata for d in part])
        finally:
            close_client(client)
    phase("tokens")
    _cache_tokens(index_dir, p.old, p.new)


def _not_stored(coll, p: Plan) -> list:
    """The pending chunks a killed run has not stored already (same id = same content)."""
    ids = [chunk_id(d) for d in p.pending]
    there: set[str] = set()
    for start in range(0, len(ids), ID_BATCH):
        there.update(coll.get(ids=ids[start : start + ID_BATCH], include=[])["ids"])
    return [d for d in p.pending if d.id not in there]


def _reuse(coll, dropped: set[str]) -> dict[str, np.ndarray]:
    """Vectors of dropped chunks by text."""
    reuse: dict[str, np.ndarray] = {}
    ids = sorted(dropped)
    for start in range(0, len(ids), ID_BATCH):
        got = coll.get(ids=ids[start : start + ID_BATCH], include=["documents", "embeddings"])
        reuse.update(zip(got["documents"] or [], np.asarray(got["embeddings"], dtype=np.float32)))
    return reuse


def _cache_tokens(index_dir: Path, old: Manifest, new: Manifest) -> None:
    """Save the new state's lexical index before the commit (a reader of it finds it ready);
    the old state's stays for readers still on it, anything older goes."""
    store = TokenStore(index_dir)
    store.keep_only(set(old.hashes().values()) | set(new.hashes().values()))
    if not lexical_path(index_dir, new.hashes()).is_dir():
        open_lexical(index_dir, new.entries_by_id(), new.hashes())
    keep_lexical(index_dir, {lexical_key(old.hashes()), lexical_key(new.hashes())})


def sweep_server(settings: Settings, committed: Manifest, dropped: set[str]) -> None:
    """Delete what the committed manifest does not use (after the commit, never before)."""
    if not committed.collection:
        return
    dirty = (Path(settings.index_dir) / DIRTY_NAME).exists()
    if dropped or dirty:
        client = connect(settings)
        try:
            coll = client.get_or_create_collection(committed.collection)
            if dirty:  # a killed run may have left chunks nobody owns: find them all
                owned = committed.chunk_ids()
                dropped = {cid for cid in coll.get(include=[])["ids"] if cid not in owned}
            ids = sorted(dropped)
            for start in range(0, len(ids), ID_BATCH):
                coll.delete(ids=ids[start : start + ID_BATCH])
        finally:
            close_client(client)
    sweep_collections(settings, settings.collection, {committed.collection})
    (Path(settings.index_dir) / DIRTY_NAME).unlink(missing_ok=True)

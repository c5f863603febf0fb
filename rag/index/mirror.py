"""Chroma, the store of record, brought in line in place with the committed manifest.

It runs after each commit, under the reindex lock: the chunks the manifest owns and Chroma
lacks are upserted with their vectors from the segments (nothing is embedded again), the
chunks Chroma holds and nobody owns are deleted (a crashed run's, or replaced ones). The
commit stamp it matched is kept in `store.stamp`, so an unchanged index costs one file read.
A writer marks the store (`store.writing`) before opening it and unmarks it after closing:
a kill -9 in between may have damaged Chroma's HNSW files, so a marked store is deleted and
rebuilt from the segments.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from rag.config import Settings
from rag.index.catalog import catalog_stamp, read_catalog
from rag.index.checks import StoreCheckError, chroma_collections, chroma_ids
from rag.index.chunking import chunk_entry
from rag.index.manifest import Manifest
from rag.index.segments import vectors_in
from rag.index.store import HNSW, close_client, local_client, store_path

log = logging.getLogger(__name__)

MARK_NAME = "store.writing"
STAMP_NAME = "store.stamp"
BATCH = 1000  # chunks per Chroma call
LOAD_ALL = 200  # more entries to read than this: read the manifest whole, once


def mirror(settings: Settings, manifest: Manifest) -> tuple[int, int]:
    """Make Chroma hold exactly the manifest's chunks; returns (upserted, deleted)."""
    index_dir = Path(settings.index_dir)
    stamp = catalog_stamp(index_dir)
    mark, stamp_file = index_dir / MARK_NAME, index_dir / STAMP_NAME
    chroma_file = store_path(settings) / "chroma.sqlite3"
    if not mark.exists() and _read(stamp_file) == stamp and chroma_file.is_file() and chroma_file.stat().st_size:
        return 0, 0
    held = _held(settings, manifest, mark.exists())
    owner = manifest.owner()
    add, drop = sorted(set(owner) - held), sorted(held - set(owner))
    if add or drop:
        mark.touch()
        _write(settings, manifest, owner, add, drop)
        mark.unlink()
    stamp_file.write_text(stamp or "", encoding="utf-8")
    return len(add), len(drop)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def _held(settings: Settings, manifest: Manifest, marked: bool) -> set[str]:
    """The chunk ids Chroma holds; a store that is marked, damaged or holds another collection
    (index settings changed) is deleted first and rebuilt whole."""
    path = store_path(settings)
    if not path.exists():
        return set()
    try:
        sound = not marked and chroma_collections(path) <= {manifest.collection}
        if sound:
            return chroma_ids(path, manifest.collection)
    except StoreCheckError as err:
        log.info("rebuilding the Chroma store from the segments: %s", err)
    shutil.rmtree(path)
    return set()


def _write(settings: Settings, manifest: Manifest, owner: dict[str, str], add: list[str], drop: list[str]) -> None:
    index_dir = Path(settings.index_dir)
    client = local_client(settings)
    try:
        coll = client.get_or_create_collection(manifest.collection, configuration=HNSW)
        if add:
            wanted = {owner[c] for c in add}
            vectors = vectors_in(index_dir, {manifest.entries[eid].segment for eid in wanted})
            records = read_catalog(index_dir)[0].entries if len(wanted) > LOAD_ALL else manifest.entries
            docs = {d.id: d for eid in wanted
                    for d in chunk_entry(records[eid].entry, records[eid].hash, settings.chunk_chars, settings.chunk_overlap)}
            for start in range(0, len(add), BATCH):
                ids = add[start : start + BATCH]
                coll.upsert(ids=ids, embeddings=vectors.vectors_of(ids), documents=[docs[c].page_content for c in ids],
                            metadatas=[docs[c].metadata for c in ids])
        for start in range(0, len(drop), BATCH):
            coll.delete(ids=drop[start : start + BATCH])
    finally:
        close_client(client)

"""What a local Chroma store holds, read through sqlite3 directly, not chromadb.

A check costs tens of milliseconds and no import of Chroma (seconds), so every reindex that
writes runs it after its commit (`rag.index.mirror`), and `rag doctor` compares it with the
manifest. A zero-length or truncated `chroma.sqlite3` is the case that matters: Chroma opens it
as a new empty store, so without this check the loss would go unnoticed (searches read the
segments, not Chroma).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

CHROMA_FILE = "chroma.sqlite3"
_IDS_SQL = (
    "SELECT e.embedding_id FROM embeddings e JOIN segments s ON e.segment_id = s.id "
    "JOIN collections c ON s.collection = c.id WHERE c.name = ?"
)


class StoreCheckError(RuntimeError):
    """A local Chroma store cannot be read (missing, empty, truncated, not SQLite)."""


def chroma_ids(store_dir: Path, collection: str) -> set[str]:
    """The chunk ids a local Chroma store holds in a collection (read-only, no chromadb)."""
    path = Path(store_dir) / CHROMA_FILE
    if not path.is_file():
        raise StoreCheckError(f"{path} is missing")
    if path.stat().st_size == 0:
        raise StoreCheckError(f"{path} is empty (zero bytes)")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            return {row[0] for row in conn.execute(_IDS_SQL, (collection,))}
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise StoreCheckError(f"{path} cannot be read as a Chroma store ({exc})") from exc


def chroma_collections(store_dir: Path) -> set[str]:
    """The names of the collections a local Chroma store holds (read-only, no chromadb)."""
    path = Path(store_dir) / CHROMA_FILE
    if not path.is_file() or path.stat().st_size == 0:
        raise StoreCheckError(f"{path} is missing or empty")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            return {row[0] for row in conn.execute("SELECT name FROM collections")}
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise StoreCheckError(f"{path} cannot be read as a Chroma store ({exc})") from exc


def integrity(store_dir: Path) -> str:
    """SQLite's own full check of a store's file ("ok", or what it found); slow, for doctor."""
    conn = sqlite3.connect(f"file:{Path(store_dir) / CHROMA_FILE}?mode=ro", uri=True, timeout=30)
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.Error as exc:
        return str(exc)
    finally:
        conn.close()
    return "; ".join(str(row[0]) for row in rows[:3])


def difference(what: str, held: set[str], wanted: set[str]) -> list[str]:
    missing, extra = len(wanted - held), len(held - wanted)
    out = []
    if missing:
        out.append(f"{what}: {missing} of the manifest's {len(wanted)} chunks are missing")
    if extra:
        out.append(f"{what}: holds {extra} chunks the manifest does not name")
    return out

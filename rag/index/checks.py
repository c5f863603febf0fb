"""Does a committed state hold together: its manifest, its Chroma generation, its vector matrix?

Read through sqlite3 directly, not chromadb: a check costs tens of milliseconds and no import
of Chroma (seconds), so every reindex runs it before it builds on a generation and before it
commits a new one. A zero-length or truncated `chroma.sqlite3` is the case that matters: Chroma
opens it as a new empty store, so without this check a reindex would carry the loss into its
commit, and searches (which read the vector matrix) would not show it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from rag.index.vectors import IDS_NAME, load_vectors

CHROMA_FILE = "chroma.sqlite3"
_IDS_SQL = (
    "SELECT e.embedding_id FROM embeddings e JOIN segments s ON e.segment_id = s.id "
    "JOIN collections c ON s.collection = c.id WHERE c.name = ?"
)


class StoreCheckError(RuntimeError):
    """A Chroma generation cannot be read as a store (missing, empty, truncated, not SQLite)."""


def chroma_ids(generation_dir: Path, collection: str) -> set[str]:
    """The chunk ids a local Chroma generation holds in a collection (read-only, no chromadb)."""
    path = Path(generation_dir) / CHROMA_FILE
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


def integrity(generation_dir: Path) -> str:
    """SQLite's own full check of a generation's file ("ok", or what it found); slow, for doctor."""
    conn = sqlite3.connect(f"file:{Path(generation_dir) / CHROMA_FILE}?mode=ro", uri=True, timeout=30)
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.Error as exc:
        return str(exc)
    finally:
        conn.close()
    return "; ".join(str(row[0]) for row in rows[:3])


def generation_problems(generation_dir: Path, collection: str, chunk_ids: set[str]) -> list[str]:
    """What is wrong with a generation meant to hold exactly `chunk_ids`, one line each."""
    problems = []
    try:
        held = chroma_ids(generation_dir, collection)
    except StoreCheckError as err:
        problems.append(f"Chroma: {err}")
    else:
        problems += _difference("Chroma", held, chunk_ids)
    if (Path(generation_dir) / IDS_NAME).is_file():
        vectors = load_vectors(Path(generation_dir))
        if vectors is None:
            problems.append(f"vector matrix in {generation_dir}: unreadable, or its ids and rows disagree")
        else:
            problems += _difference("vector matrix", set(vectors.ids), chunk_ids)
    return problems


def _difference(what: str, held: set[str], wanted: set[str]) -> list[str]:
    missing, extra = len(wanted - held), len(held - wanted)
    out = []
    if missing:
        out.append(f"{what}: {missing} of the manifest's {len(wanted)} chunks are missing")
    if extra:
        out.append(f"{what}: holds {extra} chunks the manifest does not name")
    return out

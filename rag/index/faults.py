"""Faults of the index folder and its store, as one sentence that says what to do.

A reindex writes its segment under a temporary name before it commits, so a fault in the
middle of it (a read-only folder, a full disk, a damaged file) changes nothing a reader sees;
what it had written is removed before the error is raised (rag/index/segments.py). This module
turns the many shapes such a fault arrives in (OSError with an errno, shutil.Error with a list
of them, sqlite3 and chromadb errors with a message) into one IndexFaultError.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rag.index.store import StoreUnavailableError

READ_ONLY, FULL, DAMAGED = "read-only", "full", "damaged"

_ERRNOS = {errno.EROFS: READ_ONLY, errno.EACCES: READ_ONLY, errno.EPERM: READ_ONLY,
           errno.ENOSPC: FULL, errno.EDQUOT: FULL}
# What sqlite, chromadb (its Rust core words errors itself) and shutil.Error say.
_WORDS = (
    ("read-only file system", READ_ONLY), ("readonly database", READ_ONLY), ("permission denied", READ_ONLY),
    ("no space left", FULL), ("disk is full", FULL), ("disk quota", FULL),
    ("malformed", DAMAGED), ("not a database", DAMAGED), ("no such table", DAMAGED), ("disk i/o error", DAMAGED),
)
_SAY = {
    READ_ONLY: "cannot write to the index folder {dir} (read-only or not permitted): make it writable, "
               "or choose another folder with --index or RAG_INDEX_DIR; nothing was changed",
    FULL: "the disk holding the index folder {dir} is full: free some space and run the reindex again; "
          "nothing was changed",
    DAMAGED: "the vector store in {dir} is damaged ({why}): run `rag doctor --repair`; nothing was changed",
}


class IndexFaultError(StoreUnavailableError):
    """The index folder cannot be written, or its store is damaged; the message says what to do."""


def kind_of(exc: BaseException) -> str | None:
    """READ_ONLY, FULL or DAMAGED when the error (or one it came from) is such a fault."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _ERRNOS:
            return _ERRNOS[current.errno]
        if isinstance(current, (OSError, sqlite3.Error)) or type(current).__module__.startswith("chromadb"):
            text = str(current).lower()
            for words, kind in _WORDS:
                if words in text:
                    return kind
        current = current.__cause__ or current.__context__
    return None


def fault(kind: str, index_dir: Path, why: str = "") -> IndexFaultError:
    """The one-line error of a fault kind."""
    return IndexFaultError(_SAY[kind].format(dir=index_dir, why=why or "its files cannot be read"))


@contextmanager
def index_faults(index_dir: Path) -> Iterator[None]:
    """Raise faults of the index folder as IndexFaultError; anything else passes unchanged."""
    try:
        yield
    except IndexFaultError:
        raise
    except Exception as exc:
        kind = kind_of(exc)
        if kind is None:
            raise
        if kind == DAMAGED and _disk_full(index_dir):  # SQLite says "disk I/O error" when it cannot grow its journal
            kind = FULL
        raise fault(kind, index_dir, _first_line(exc) if kind == DAMAGED else "") from exc


def _disk_full(index_dir: Path) -> bool:
    try:
        return os.statvfs(index_dir).f_bavail == 0
    except OSError:
        return False


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]

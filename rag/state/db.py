"""The state file: one SQLite database, opened per operation, its schema made on first use.

A state file that another process holds locked, or that is not a database, raises StateError
with one sentence; callers show it and go on serving the index, which does not depend on it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from rag.config import Settings

FILE = "state.sqlite3"
LOCK_WAIT_S = 2.0
SCHEMA_VERSION = 1  # PRAGMA user_version; bump with a migration when the tables change

SCHEMA = """
CREATE TABLE IF NOT EXISTS follows (
    user TEXT NOT NULL, name TEXT NOT NULL, query TEXT NOT NULL, created TEXT NOT NULL,
    matched_run INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (user, name));
CREATE TABLE IF NOT EXISTS match_runs (run INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS seen_entries (entry_id TEXT PRIMARY KEY, run INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS follow_hits (
    user TEXT NOT NULL, name TEXT NOT NULL, entry_id TEXT NOT NULL, day TEXT NOT NULL, found TEXT NOT NULL,
    PRIMARY KEY (user, name, entry_id));
CREATE TABLE IF NOT EXISTS feed_tokens (user TEXT PRIMARY KEY, digest TEXT NOT NULL UNIQUE, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, user TEXT NOT NULL, good INTEGER NOT NULL,
    comment TEXT NOT NULL, question TEXT NOT NULL, history TEXT NOT NULL, cited TEXT NOT NULL,
    index_version INTEGER NOT NULL, stale INTEGER NOT NULL, lang TEXT NOT NULL, abstained INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS conversations (
    id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, title TEXT NOT NULL, created TEXT NOT NULL,
    updated TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS turns (
    conversation INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE, n INTEGER NOT NULL,
    question TEXT NOT NULL, answer TEXT NOT NULL, cited TEXT NOT NULL, PRIMARY KEY (conversation, n));
"""


class StateError(RuntimeError):
    """The state file cannot be used now (locked by another process, or corrupt)."""


def now() -> str:
    """The current time as ISO text (UTC, seconds), what every row records."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def inserted_id(cur: sqlite3.Cursor) -> int:
    """The rowid an INSERT just made. sqlite3 types it as optional (it is None before any
    insert on the cursor); after a successful INSERT it is always set, so None is a bug."""
    rowid = cur.lastrowid
    if rowid is None:
        raise RuntimeError("the INSERT made no row")
    return rowid


def state_file(settings: Settings) -> Path:
    """Where the state database lives."""
    return Path(settings.state_path) / FILE


@contextmanager
def connect(settings: Settings) -> Iterator[sqlite3.Connection]:
    """A connection in one transaction (committed on leaving, rolled back on an error); a
    locked or corrupt file becomes a StateError naming the file."""
    path = state_file(settings)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=LOCK_WAIT_S)
    except (OSError, sqlite3.Error) as err:
        raise StateError(f"cannot open the state file {path}: {err}") from None
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        _ensure_schema(conn, path)
        with conn:
            yield conn
    except sqlite3.OperationalError as err:
        what = "is locked by another process" if "locked" in str(err) else f"cannot be used ({err})"
        raise StateError(f"the state file {path} {what}; the index still serves") from None
    except sqlite3.DatabaseError as err:
        raise StateError(f"the state file {path} is damaged ({err}); move it aside to start afresh") from None
    finally:
        conn.close()


def _ensure_schema(conn: sqlite3.Connection, path: Path) -> None:
    """Make the tables on first use; refuse a file a newer version wrote (its tables may differ)."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == 0:
        conn.executescript(SCHEMA + f"PRAGMA user_version = {SCHEMA_VERSION};")
    elif version > SCHEMA_VERSION:
        raise StateError(f"the state file {path} was written by a newer digest-rag (schema {version})")

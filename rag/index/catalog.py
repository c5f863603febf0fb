"""The local manifest: a SQLite file, the commit point of every reindex and compaction.

One row per entry, per file and per segment, and a few settings (`meta`). A reindex reads the
rows it needs to plan (hashes, files, segments: no entry text; an entry is read when it is
used, `EntryRecord.entry`) and commits by writing only the rows that changed, in one
transaction: a new day costs a few rows, not a rewrite of every entry. SQLite's journal makes the
transaction all or nothing, also under kill -9, and a reader reads one committed state inside
one read transaction. Every commit stores a new random `commit` value, the stamp readers poll.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from contextlib import closing
from pathlib import Path

from rag.index.manifest import (
    FORMAT,
    EntryRecord,
    Manifest,
    ManifestError,
    entry_from_dict,
    entry_to_dict,
)
from rag.index.segments import SegmentInfo

CATALOG_NAME = "manifest.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (rel TEXT PRIMARY KEY, sha TEXT NOT NULL, entries TEXT NOT NULL, stat TEXT);
CREATE TABLE IF NOT EXISTS entries (id TEXT PRIMARY KEY, hash TEXT NOT NULL, file TEXT NOT NULL,
    segment TEXT NOT NULL, chunks INTEGER NOT NULL, entry TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS segments (name TEXT PRIMARY KEY, seq INTEGER NOT NULL, entries INTEGER NOT NULL,
    chunks INTEGER NOT NULL, checksum TEXT NOT NULL, size INTEGER NOT NULL);
"""


def catalog_path(index_dir: Path) -> Path:
    """Where an index directory keeps its manifest."""
    return Path(index_dir) / CATALOG_NAME


def _connect(index_dir: Path) -> sqlite3.Connection:
    db = sqlite3.connect(catalog_path(index_dir), timeout=60, isolation_level=None)
    db.execute("PRAGMA synchronous=FULL")
    return db


def _unreadable(index_dir: Path, exc: Exception) -> ManifestError:
    return ManifestError(f"{catalog_path(index_dir)}: unreadable index manifest ({exc}); run `rag reindex` to rebuild")


def _absent(index_dir: Path) -> bool:
    """No manifest yet: no file, or the empty file a first commit opens before its tables."""
    path = catalog_path(index_dir)
    return not path.is_file() or path.stat().st_size == 0


def catalog_stamp(index_dir: Path) -> str | None:
    """The committed state's stamp (one small query); None when nothing was committed."""
    if _absent(index_dir):
        return None
    try:
        with closing(_connect(index_dir)) as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'commit'").fetchone()
    except sqlite3.Error as exc:
        raise _unreadable(index_dir, exc) from exc
    return row[0] if row else None


def read_catalog(index_dir: Path, with_entries: bool = True) -> tuple[Manifest, str | None]:
    """The committed manifest and its stamp (an empty manifest for a new index directory).

    Without entries, each record reads its entry on first use (a reindex touches few).
    """
    if _absent(index_dir):
        return Manifest(), None
    try:
        with closing(_connect(index_dir)) as db:
            db.execute("BEGIN")  # one committed state from the first row to the last
            meta = dict(db.execute("SELECT key, value FROM meta"))
            if meta.get("format") != str(FORMAT):
                return Manifest(), meta.get("commit")  # an unknown layout is rebuilt, never misread
            manifest = _manifest(meta)
            manifest.files = {rel: {"sha": sha, "entries": json.loads(ids), "stat": json.loads(stat or "null")}
                              for rel, sha, ids, stat in db.execute("SELECT rel, sha, entries, stat FROM files")}
            manifest.segments = {row[0]: SegmentInfo(*row) for row in
                                 db.execute("SELECT name, seq, entries, chunks, checksum, size FROM segments")}
            manifest.entries = _records(db, index_dir, with_entries)
            db.execute("COMMIT")
    except (sqlite3.Error, ValueError, KeyError, TypeError) as exc:
        raise _unreadable(index_dir, exc) from exc
    return manifest, meta.get("commit")


def _manifest(meta: dict[str, str]) -> Manifest:
    return Manifest(
        fingerprint=json.loads(meta["fingerprint"]), collection=meta["collection"], version=int(meta["version"]),
        updated=meta["updated"], parser=int(meta["parser"]), retired=json.loads(meta["retired"]),
        data_dir=meta["data_dir"], tokenizer=int(meta.get("tokenizer", 0)),
    )


def _records(db: sqlite3.Connection, index_dir: Path, with_entries: bool) -> dict[str, EntryRecord]:
    if with_entries:
        return {eid: EntryRecord(h, n, f, seg, loaded=entry_from_dict(json.loads(raw)))
                for eid, h, f, seg, n, raw in db.execute("SELECT id, hash, file, segment, chunks, entry FROM entries")}
    return {eid: EntryRecord(h, n, f, seg, loader=_entry_loader(index_dir, eid))
            for eid, h, f, seg, n in db.execute("SELECT id, hash, file, segment, chunks FROM entries")}


def _entry_loader(index_dir: Path, entry_id: str):
    def load():
        with closing(_connect(index_dir)) as db:
            row = db.execute("SELECT entry FROM entries WHERE id = ?", (entry_id,)).fetchone()
        if row is None:
            raise ManifestError(f"entry {entry_id} is no longer in the manifest")
        return entry_from_dict(json.loads(row[0]))
    return load


def save_catalog(index_dir: Path, old: Manifest, new: Manifest) -> None:
    """Commit `new`, writing only the rows that differ from `old` (the committed state read
    under the same lock), in one transaction."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    with closing(_connect(index_dir)) as db:
        # The tables first, committed on their own: a reader polling a first build meanwhile
        # finds empty tables (nothing committed yet), never a file without them.
        for statement in _SCHEMA.strip().split(";\n"):
            db.execute(statement)
        db.execute("BEGIN IMMEDIATE")
        try:
            if not old.version or db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone() != (str(FORMAT),):
                for table in ("meta", "files", "entries", "segments"):
                    db.execute(f"DELETE FROM {table}")  # another layout: written whole below
                old = Manifest()
            _write_rows(db, old, new)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise


def _write_rows(db: sqlite3.Connection, old: Manifest, new: Manifest) -> None:
    meta = {
        "format": str(FORMAT), "fingerprint": json.dumps(new.fingerprint, sort_keys=True),
        "collection": new.collection, "version": str(new.version), "updated": new.updated,
        "parser": str(new.parser), "retired": json.dumps(new.retired),
        "data_dir": new.data_dir, "tokenizer": str(new.tokenizer), "commit": secrets.token_hex(8),
    }
    db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())
    db.executemany("DELETE FROM files WHERE rel = ?", [(r,) for r in old.files if r not in new.files])
    db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)", [
        (rel, f["sha"], json.dumps(f["entries"]), json.dumps(f.get("stat"))) for rel, f in new.files.items()
        if old.files.get(rel) != f])
    db.executemany("DELETE FROM entries WHERE id = ?", [(e,) for e in old.entries if e not in new.entries])
    moved = {eid for eid, rec in new.entries.items() if _moved_only(old.entries.get(eid), rec)}
    db.executemany("UPDATE entries SET segment = ? WHERE id = ?", [(new.entries[eid].segment, eid) for eid in moved])
    db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?, ?)", [
        (eid, rec.hash, rec.file, rec.segment, rec.chunk_count, json.dumps(entry_to_dict(rec.entry), ensure_ascii=False))
        for eid, rec in new.entries.items() if eid not in moved and _changed(old.entries.get(eid), rec)])
    db.executemany("DELETE FROM segments WHERE name = ?", [(s,) for s in old.segments if s not in new.segments])
    db.executemany("INSERT OR REPLACE INTO segments VALUES (?, ?, ?, ?, ?, ?)", [
        (s.name, s.seq, s.entries, s.chunks, s.checksum, s.size) for name, s in new.segments.items()
        if name not in old.segments])


def _moved_only(old: EntryRecord | None, new: EntryRecord) -> bool:
    """Whether only the entry's segment changed (a compaction): its row needs no entry text."""
    return (old is not None and new.loaded is old.loaded and old.segment != new.segment
            and (old.hash, old.chunk_count, old.file) == (new.hash, new.chunk_count, new.file))


def _changed(old: EntryRecord | None, new: EntryRecord) -> bool:
    """Whether an entry's row must be written: a new record, or one whose entry was read again
    (its file changed: the entry's line may have moved even when its content did not)."""
    return old is None or old != new or (new.loaded is not None and new.loaded is not old.loaded)

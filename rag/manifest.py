"""What is indexed: per file its hash and entries, per entry its content hash and chunk ids.

The manifest is the commit point of every reindex: Chroma may briefly hold chunks the
manifest does not list (a reindex in flight, or one that was killed), and readers ignore
them; the manifest is replaced atomically, so readers always see one consistent version.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from rag.digest import Entry, Source

MANIFEST_NAME = "manifest.json"
FORMAT = 1


@dataclass
class EntryRecord:
    """One indexed entry: the entry itself, its content hash and the chunk ids it owns."""

    entry: Entry
    hash: str
    chunks: list[str]
    file: str


@dataclass
class Manifest:
    """The committed state of an index directory."""

    fingerprint: dict = field(default_factory=dict)
    collection: str = ""
    version: int = 0
    updated: str = ""
    files: dict[str, dict] = field(default_factory=dict)  # rel path -> {"sha", "entries"}
    entries: dict[str, EntryRecord] = field(default_factory=dict)

    def entries_by_id(self) -> dict[str, Entry]:
        """Every entry by id."""
        return {eid: rec.entry for eid, rec in self.entries.items()}

    def chunk_ids(self) -> set[str]:
        """Every chunk id the committed state owns."""
        return {c for rec in self.entries.values() for c in rec.chunks}


def entry_to_dict(entry: Entry) -> dict:
    """JSON-ready form of an Entry."""
    data = asdict(entry)
    data["day"] = entry.day.isoformat()
    return data


def entry_from_dict(data: dict) -> Entry:
    """Inverse of entry_to_dict."""
    return Entry(
        id=data["id"],
        day=date.fromisoformat(data["day"]),
        title=data["title"],
        authors=tuple(data["authors"]),
        abstract=data["abstract"],
        comment_ko=data["comment_ko"],
        comment_en=data["comment_en"],
        tags=tuple(data["tags"]),
        links=tuple(data["links"]),
        source=Source(**data["source"]),
    )


def manifest_path(index_dir: Path) -> Path:
    """Where an index directory keeps its manifest."""
    return Path(index_dir) / MANIFEST_NAME


def load_manifest(index_dir: Path) -> Manifest:
    """The committed manifest, or an empty one for a new index directory."""
    path = manifest_path(index_dir)
    if not path.exists():
        return Manifest()
    raw = json.loads(path.read_text(encoding="utf-8"))
    if raw.get("format") != FORMAT:
        return Manifest()  # an unknown layout is rebuilt rather than misread
    return Manifest(
        fingerprint=raw["fingerprint"],
        collection=raw["collection"],
        version=raw["version"],
        updated=raw["updated"],
        files=raw["files"],
        entries={
            eid: EntryRecord(
                entry=entry_from_dict(rec["entry"]), hash=rec["hash"],
                chunks=rec["chunks"], file=rec["file"],
            )
            for eid, rec in raw["entries"].items()
        },
    )


def save_manifest(index_dir: Path, manifest: Manifest) -> None:
    """Write atomically: a temp file, fsync, then rename over the old one."""
    payload = {
        "format": FORMAT,
        "fingerprint": manifest.fingerprint,
        "collection": manifest.collection,
        "version": manifest.version,
        "updated": manifest.updated,
        "files": manifest.files,
        "entries": {
            eid: {"entry": entry_to_dict(rec.entry), "hash": rec.hash, "chunks": rec.chunks, "file": rec.file}
            for eid, rec in manifest.entries.items()
        },
    }
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=index_dir, prefix=".manifest-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, ensure_ascii=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, manifest_path(index_dir))
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

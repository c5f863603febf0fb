"""What is indexed: per file its hash and entries, per entry its content hash and chunk ids.

The manifest is the commit point of every reindex. It names the store generation that holds
exactly its chunks (see rag/index/store.py) and is replaced atomically, so a reader always sees one
consistent version: entries, chunks and the lexical index derived from them.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from rag.model import Entry, Source

MANIFEST_NAME = "manifest.json"
# 2: adds `generation` and `previous` (store directories). Older layouts are rebuilt, never misread.
FORMAT = 2

Stamp = tuple[int, int, int]


class ManifestError(RuntimeError):
    """The manifest file exists but cannot be read."""


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
    generation: str = ""  # local store directory under index_dir/chroma; "" on a server
    previous: str = ""  # the generation before it, kept for readers that have not refreshed
    version: int = 0
    updated: str = ""
    files: dict[str, dict] = field(default_factory=dict)  # rel path -> {"sha", "entries"}
    parser: int = 0  # the parser version its entries were read with (rag.digest.PARSER_VERSION)
    entries: dict[str, EntryRecord] = field(default_factory=dict)

    def entries_by_id(self) -> dict[str, Entry]:
        """Every entry by id."""
        return {eid: rec.entry for eid, rec in self.entries.items()}

    def chunk_ids(self) -> set[str]:
        """Every chunk id the committed state owns."""
        return {c for rec in self.entries.values() for c in rec.chunks}

    def hashes(self) -> dict[str, str]:
        """Content hash by entry id."""
        return {eid: rec.hash for eid, rec in self.entries.items()}

    def same_state(self, other: Manifest) -> bool:
        """True when both describe the same index (version and time aside)."""
        return (
            self.fingerprint == other.fingerprint
            and self.collection == other.collection
            and self.generation == other.generation
            and self.files == other.files
            and self.entries == other.entries
        )


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
        tag_labels=tuple(data.get("tag_labels", ())),
    )


def manifest_path(index_dir: Path) -> Path:
    """Where an index directory keeps its manifest."""
    return Path(index_dir) / MANIFEST_NAME


def _stamp(st: os.stat_result) -> Stamp:
    # Every commit is a new file renamed into place: a new inode, so equal sizes and a coarse
    # mtime clock cannot hide a change.
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def manifest_stamp(index_dir: Path) -> Stamp | None:
    """Cheap identity of the committed manifest (one stat); None when there is none."""
    try:
        return _stamp(os.stat(manifest_path(index_dir)))
    except FileNotFoundError:
        return None


def _parse(raw: dict) -> Manifest:
    if raw.get("format") != FORMAT:
        return Manifest()  # an unknown layout is rebuilt rather than misread
    return Manifest(
        fingerprint=raw["fingerprint"],
        collection=raw["collection"],
        generation=raw["generation"],
        previous=raw.get("previous", ""),
        version=raw["version"],
        updated=raw["updated"],
        files=raw["files"],
        parser=raw.get("parser", 0),
        entries={
            eid: EntryRecord(
                entry=entry_from_dict(rec["entry"]), hash=rec["hash"],
                chunks=rec["chunks"], file=rec["file"],
            )
            for eid, rec in raw["entries"].items()
        },
    )


def read_manifest(index_dir: Path) -> tuple[Manifest, Stamp | None]:
    """The committed manifest (empty for a new index directory) and its stamp.

    The stamp is taken from the open file, so it belongs to the manifest returned even when
    a reindex replaces the file meanwhile.
    """
    path = manifest_path(index_dir)
    try:
        with open(path, "rb") as fh:
            stamp = _stamp(os.fstat(fh.fileno()))
            raw = fh.read()
    except FileNotFoundError:
        return Manifest(), None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ManifestError(f"{path}: unreadable index manifest ({exc}); run `rag reindex` to rebuild") from exc
    return parse_manifest_json(text, str(path)), stamp


def load_manifest(index_dir: Path) -> Manifest:
    """The committed manifest, or an empty one for a new index directory."""
    return read_manifest(index_dir)[0]


def manifest_json(manifest: Manifest) -> str:
    """The manifest serialized (compact JSON), as stored in a file or on a Chroma server."""
    payload = {
        "format": FORMAT,
        "fingerprint": manifest.fingerprint,
        "collection": manifest.collection,
        "generation": manifest.generation,
        "previous": manifest.previous,
        "version": manifest.version,
        "updated": manifest.updated,
        "files": manifest.files,
        "parser": manifest.parser,
        "entries": {
            eid: {"entry": entry_to_dict(rec.entry), "hash": rec.hash, "chunks": rec.chunks, "file": rec.file}
            for eid, rec in manifest.entries.items()
        },
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def parse_manifest_json(text: str, where: str) -> Manifest:
    """Inverse of manifest_json; `where` names the source in the error."""
    try:
        return _parse(json.loads(text))
    except (ValueError, KeyError, TypeError) as exc:
        raise ManifestError(f"{where}: unreadable index manifest ({exc}); run `rag reindex` to rebuild") from exc


def save_manifest(index_dir: Path, manifest: Manifest) -> None:
    """Write atomically: a temp file, fsync, rename over the old one, fsync the directory."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    text = manifest_json(manifest)  # one write beats json.dump's many
    fd, tmp = tempfile.mkstemp(dir=index_dir, prefix=".manifest-", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes it private; readers may run as another user
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, manifest_path(index_dir))
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    # The rename itself must reach the disk before anything the old manifest named is deleted.
    dir_fd = os.open(index_dir, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)

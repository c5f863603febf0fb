"""What is indexed: per file its hash and entries, per entry its content hash, chunks and segment.

The manifest is the commit point of every reindex: readers see exactly what it names. Locally
it is a SQLite file (`rag.index.catalog`), on a Chroma server a JSON document beside the
vectors (`rag.index.remote`); this module holds what both describe, and the JSON form.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date

from rag.index.chunking import chunk_ids_of
from rag.index.segments import SegmentInfo
from rag.model import Entry, Source

# 3: segments and a SQLite manifest locally; older layouts are rebuilt, never misread.
FORMAT = 3


class ManifestError(RuntimeError):
    """The manifest exists but cannot be read."""


@dataclass
class EntryRecord:
    """One indexed entry: its content hash, how many chunks it has, its file and its segment.

    The entry itself is read on first use when the manifest was read without entries (a
    reindex needs only the few it changes).
    """

    hash: str
    chunk_count: int
    file: str
    segment: str = ""
    loaded: Entry | None = field(default=None, compare=False, repr=False)
    loader: Callable[[], Entry] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, entry: Entry, content_hash: str, chunk_count: int, file: str, segment: str = "") -> EntryRecord:
        """A record holding its entry."""
        return cls(content_hash, chunk_count, file, segment, loaded=entry)

    @property
    def entry(self) -> Entry:
        """The entry (read from the manifest on first use, when it was read without it)."""
        if self.loaded is None:
            assert self.loader is not None, "a record without its entry or a way to read it"
            self.loaded = self.loader()
        return self.loaded

    def chunks_of(self, entry_id: str) -> list[str]:
        """The ids of the entry's chunks."""
        return chunk_ids_of(entry_id, self.hash, self.chunk_count)


@dataclass
class Manifest:
    """The committed state of an index."""

    fingerprint: dict = field(default_factory=dict)
    collection: str = ""
    version: int = 0
    updated: str = ""
    files: dict[str, dict] = field(default_factory=dict)  # rel path -> {"sha", "entries"}
    parser: int = 0  # the parser version its entries were read with (rag.digest.PARSER_VERSION)
    entries: dict[str, EntryRecord] = field(default_factory=dict)
    segments: dict[str, SegmentInfo] = field(default_factory=dict)  # local: name -> segment
    retired: list[str] = field(default_factory=list)  # local: the commit before's segments, kept for readers
    data_dir: str = ""  # where the entries' files were read (their sources name it)
    tokenizer: int = 0  # local: the tokenizer version of the segments' term statistics

    def entries_by_id(self) -> dict[str, Entry]:
        """Every entry by id."""
        return {eid: rec.entry for eid, rec in self.entries.items()}

    def chunk_ids(self) -> set[str]:
        """Every chunk id the committed state owns."""
        return {c for eid, rec in self.entries.items() for c in rec.chunks_of(eid)}

    def owner(self) -> dict[str, str]:
        """Entry id by chunk id."""
        return {c: eid for eid, rec in self.entries.items() for c in rec.chunks_of(eid)}

    def hashes(self) -> dict[str, str]:
        """Content hash by entry id."""
        return {eid: rec.hash for eid, rec in self.entries.items()}

    def next_seq(self) -> int:
        """The sequence number of the next segment."""
        return max((s.seq for s in self.segments.values()), default=0) + 1


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


def manifest_json(manifest: Manifest) -> str:
    """The manifest serialized (compact JSON), as stored in a file or on a Chroma server."""
    payload = {
        "format": FORMAT,
        "fingerprint": manifest.fingerprint,
        "collection": manifest.collection,
        "version": manifest.version,
        "updated": manifest.updated,
        "files": manifest.files,
        "parser": manifest.parser,
        "data_dir": manifest.data_dir,
        "entries": {
            eid: {"entry": entry_to_dict(rec.entry), "hash": rec.hash, "chunks": rec.chunk_count, "file": rec.file}
            for eid, rec in manifest.entries.items()
        },
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def parse_manifest_json(text: str, where: str) -> Manifest:
    """Inverse of manifest_json; `where` names the source in the error."""
    try:
        raw = json.loads(text)
        if raw.get("format") != FORMAT:
            return Manifest()  # an unknown layout is rebuilt rather than misread
        return Manifest(
            fingerprint=raw["fingerprint"], collection=raw["collection"], version=raw["version"],
            updated=raw["updated"], files=raw["files"], parser=raw.get("parser", 0), data_dir=raw.get("data_dir", ""),
            entries={
                eid: EntryRecord.of(entry_from_dict(rec["entry"]), rec["hash"], rec["chunks"], rec["file"])
                for eid, rec in raw["entries"].items()
            },
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise ManifestError(f"{where}: unreadable index manifest ({exc}); run `rag reindex` to rebuild") from exc

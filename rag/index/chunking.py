"""Entries -> chunks: each chunk is one field of one entry, tied to it by id and metadata."""

from __future__ import annotations

import hashlib
import json

from langchain_core.documents import Document

from rag.model import Entry
from rag.text import split_sentences

# The fields an entry is embedded by, in ranking order of trust: the digest author's words
# and the paper's words stay separate so a question about either can match it.
KINDS = ("title", "abstract", "comment_ko", "comment_en")

TITLE_PREFIX_CHARS = 300



def _norm_ws(text: str | None) -> str:
    return " ".join((text or "").split())


def entry_hash(entry: Entry) -> str:
    """Content hash of what an entry says: whitespace and its file/line do not count."""
    payload = {
        "day": entry.day.isoformat(),
        "title": _norm_ws(entry.title),
        "authors": [_norm_ws(a) for a in entry.authors],
        "abstract": _norm_ws(entry.abstract),
        "comment_ko": _norm_ws(entry.comment_ko),
        "comment_en": _norm_ws(entry.comment_en),
        "tags": list(entry.tags),
    }
    if entry.labels != entry.tags:  # spelled otherwise in the file: shown so, so it counts
        payload["tag_labels"] = list(entry.labels)
    blob = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()


def windows(text: str, max_chars: int, overlap: int) -> list[str]:
    """Pack whole sentences into windows of at most ~max_chars, repeating ~overlap chars."""
    sentences = split_sentences(text)
    out: list[str] = []
    current: list[str] = []
    for sentence in sentences:
        if current and sum(len(s) + 1 for s in current) + len(sentence) > max_chars:
            out.append(" ".join(current))
            carry: list[str] = []
            for prev in reversed(current):
                if sum(len(s) + 1 for s in carry) + len(prev) > overlap:
                    break
                carry.insert(0, prev)
            current = carry
        current.append(sentence)
    if current:
        out.append(" ".join(current))
    # A single sentence longer than the window is cut hard so no chunk is unbounded.
    return [piece[i : i + max_chars] for piece in out for i in range(0, len(piece), max_chars)]


def chunk_metadata(entry: Entry, kind: str, content_hash: str) -> dict:
    """Metadata every chunk carries: enough to filter by day/tag and group back to its entry."""
    meta: dict = {
        "entry_id": entry.id,
        "hash": content_hash,
        "day": int(entry.day.strftime("%Y%m%d")),
        "kind": kind,
    }
    if entry.tags:  # Chroma rejects empty arrays
        meta["tags"] = list(entry.tags)
    return meta


def _chunk_id(entry_id: str, content_hash: str, n: int) -> str:
    return f"{entry_id}#{content_hash[:12]}#{n}"


def chunk_ids_of(entry_id: str, content_hash: str, count: int) -> list[str]:
    """The ids of an entry's chunks, knowing only how many it has (the manifest keeps the count)."""
    return [_chunk_id(entry_id, content_hash, n) for n in range(count)]


def chunk_entry(entry: Entry, content_hash: str, max_chars: int, overlap: int) -> list[Document]:
    """The chunks of one entry; ids embed the content hash so old and new versions can coexist."""
    # Every chunk starts with the title for context; a pathological title (100 kB) must not
    # make every chunk huge, so the prefix is capped (the title chunk keeps the full title).
    head = entry.title[:TITLE_PREFIX_CHARS]
    texts: list[tuple[str, str]] = [
        ("title", piece) for piece in windows(" ".join([entry.title, *("#" + t for t in entry.labels)]), max_chars, 0)
    ]
    for kind in KINDS[1:]:
        body = getattr(entry, kind) or ""
        texts.extend((kind, f"{head}\n{piece}") for piece in windows(body, max_chars, overlap))
    return [
        Document(
            id=_chunk_id(entry.id, content_hash, n),
            page_content=text,
            metadata=chunk_metadata(entry, kind, content_hash),
        )
        for n, (kind, text) in enumerate(texts)
    ]


def chunk_id(doc: Document) -> str:
    """A chunk's id. chunk_entry always sets one; langchain's Document types it optional."""
    if doc.id is None:
        raise ValueError(f"a chunk without an id: {doc.page_content[:60]!r}")
    return doc.id

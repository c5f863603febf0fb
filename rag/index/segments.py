"""Segments: what one reindex adds to a local index, written once and never changed.

A segment holds the entries a reindex added or changed (as Lucene and tantivy do): their
chunks' vectors (one matrix), their term statistics (`rag.index.postings`) and the ids of both
in row order. An entry removed or changed later is not touched in its old segment: the
manifest (`rag.index.catalog`) simply no longer points there, which is the tombstone, and
readers mask such rows. A compaction writes the live rows of several segments into one new
segment and the manifest switches to it in one transaction.

A segment is written under a temporary name, every file fsynced, then renamed into place, so a
directory with a segment's name is always whole; its checksum (SHA-256 over its files) goes into
the manifest, and `rag doctor` compares them. Nothing a reader might use is ever deleted before
a commit that no longer names it, and the segments of the commit before are kept one commit
longer for readers that read that manifest a moment ago.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.index.ann import ANN_DIR, ANN_MIN_ROWS, Reduced, ann_path, make_ann
from rag.index.postings import Postings
from rag.index.vectors import ChunkVectors

SEGMENTS_DIR = "segments"
VECTORS_NAME = "vectors.npy"
IDS_NAME = "ids.json"  # {"entries": [...], "chunks": [...]} in row order
TEMP_PREFIX = ".tmp-"
LEGACY = ("manifest.json", "chroma", "lexical")


@dataclass(frozen=True)
class SegmentInfo:
    """A segment as the manifest records it."""

    name: str
    seq: int
    entries: int
    chunks: int
    checksum: str
    size: int  # bytes of its files: a cheap check that none was truncated or emptied


@dataclass(frozen=True)
class Segment:
    """A committed segment, its arrays memory-mapped."""

    name: str
    entry_ids: list[str]
    chunk_ids: list[str]
    matrix: np.ndarray
    postings: Postings


def segments_dir(index_dir: Path) -> Path:
    """Where an index directory keeps its segments."""
    return Path(index_dir) / SEGMENTS_DIR


def segment_name(seq: int) -> str:
    """A new segment's name: its sequence number and a random tag (never reused, so a killed
    attempt's leftovers can never pass for a committed segment)."""
    return f"s{seq:06d}-{secrets.token_hex(3)}"


def write_segment(index_dir: Path, seq: int, entry_ids: list[str], postings: Postings,
                  chunk_ids: list[str], vectors: np.ndarray) -> SegmentInfo:
    """Write a whole segment durably under a new name; returns what the manifest records."""
    root = segments_dir(index_dir)
    root.mkdir(parents=True, exist_ok=True)
    name = segment_name(seq)
    tmp = root / f"{TEMP_PREFIX}{name}"
    tmp.mkdir()
    try:
        (tmp / IDS_NAME).write_text(json.dumps({"entries": entry_ids, "chunks": chunk_ids}), encoding="utf-8")
        np.save(tmp / VECTORS_NAME, np.asarray(vectors, dtype=np.float32))
        postings.save(tmp)
        for path in tmp.iterdir():
            _fsync(path)
        _fsync(tmp)
        os.rename(tmp, root / name)
        _fsync(root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return SegmentInfo(name, seq, len(entry_ids), len(chunk_ids), checksum(root / name), size_of(root / name))


def size_of(path: Path) -> int:
    """Bytes of a segment's files."""
    return sum(item.stat().st_size for item in Path(path).iterdir())


def checksum(path: Path) -> str:
    """SHA-256 over a segment's files (names and bytes, in name order)."""
    digest = hashlib.sha256()
    for item in sorted(Path(path).iterdir()):
        digest.update(item.name.encode() + b"\0")
        with open(item, "rb") as fh:
            digest.update(hashlib.file_digest(fh, "sha256").digest())
    return digest.hexdigest()


def load_segment(index_dir: Path, name: str) -> Segment:
    """A committed segment (raises OSError or ValueError when it is missing or unreadable)."""
    path = segments_dir(index_dir) / name
    ids = json.loads((path / IDS_NAME).read_text(encoding="utf-8"))
    matrix = np.load(path / VECTORS_NAME, mmap_mode="r")
    postings = Postings.load(path)
    if len(matrix) != len(ids["chunks"]) or postings.rows != len(ids["entries"]):
        raise ValueError(f"segment {name}: its ids and arrays disagree")
    return Segment(name, ids["entries"], ids["chunks"], matrix, postings)


def vectors_of(segments: list[Segment], coarse_in: Path | None = None) -> ChunkVectors:
    """The chunk vectors of these segments, one matrix after another; given the index
    directory, a large segment's reduction (`rag.index.ann`) where it has one, for readers' kNN."""
    reduced = [Reduced.load(ann_path(coarse_in, s.name), len(s.chunk_ids))
               if coarse_in is not None and len(s.chunk_ids) >= ANN_MIN_ROWS else None for s in segments]
    return ChunkVectors([c for s in segments for c in s.chunk_ids], [s.matrix for s in segments], reduced)


def vectors_in(index_dir: Path, names: Iterable[str]) -> ChunkVectors:
    """The vectors of the named segments, to look chunks up by id."""
    return vectors_of([load_segment(index_dir, name) for name in sorted(names)])


def make_coarse(index_dir: Path, segments: dict[str, SegmentInfo]) -> list[str]:
    """Make the reductions large segments lack (after the commit that names them); returns
    the segments that got one. A small or already reduced segment costs nothing to check."""
    lacking = [name for name, info in segments.items()
               if info.chunks >= ANN_MIN_ROWS and Reduced.load(ann_path(index_dir, name), info.chunks) is None]
    return [name for name in lacking
            if make_ann(index_dir, name, np.load(segments_dir(index_dir) / name / VECTORS_NAME, mmap_mode="r"))]


def sweep_segments(index_dir: Path, keep: set[str]) -> None:
    """Delete what no commit kept names: segments not in `keep` (and half-written ones), their
    coarse passes, and the files of the layout before segments."""
    for root in (segments_dir(index_dir), Path(index_dir) / ANN_DIR):
        for item in sorted(root.iterdir()) if root.is_dir() else []:
            if item.name not in keep:
                remove(item)
    for path in legacy_paths(index_dir):
        remove(path)


def legacy_paths(index_dir: Path) -> list[Path]:
    """What an index of the layout before segments left (one Chroma copy per commit, a JSON
    manifest, bm25s arrays): removed once a manifest of this layout is committed."""
    return [Path(index_dir) / name for name in LEGACY if (Path(index_dir) / name).exists()]


def remove(path: Path) -> None:
    """Delete a file or a directory tree."""
    shutil.rmtree(path) if path.is_dir() else path.unlink()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

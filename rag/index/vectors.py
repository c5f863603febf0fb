"""A local generation's chunk vectors as one memory-mapped matrix, beside its Chroma files.

Fusion needs the similarity of every lexical candidate, also of those the kNN did not return.
Asking Chroma for their embeddings by id cost more than the kNN itself (benchmarks/README.md);
reading the rows of a memory-mapped matrix costs microseconds, and only the rows
touched come into memory. A local generation never changes once committed, so the matrix its
writer leaves in it stays true for its whole life: the writer builds it before the fsync and
the commit, copying the rows of unchanged chunks from the base generation's matrix and fetching
only the others from the collection. On a Chroma server the collection can change under a
reader, so there is no matrix there and similarities are fetched from the server.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

VECTORS_NAME = "rag-vectors.npy"
IDS_NAME = "rag-vector-ids.json"
FILES = (VECTORS_NAME, IDS_NAME)
FETCH_BATCH = 1000  # ids per Chroma get
COPY_ROWS = 4096  # rows copied per step: bounds memory while the matrix is written


class ChunkVectors:
    """Read-only vectors of one committed generation, by chunk id."""

    def __init__(self, ids: list[str], matrix: np.ndarray) -> None:
        self.ids = ids
        self.row = {cid: i for i, cid in enumerate(ids)}
        self.matrix = matrix

    def __len__(self) -> int:
        return len(self.ids)

    def nearest(self, vector: list[float], n: int, allowed: np.ndarray | None = None) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the n nearest rows, nearest first: an exact kNN
        over the whole matrix (`allowed` masks rows out)."""
        if not self.ids or n <= 0:
            return []
        sims = self.matrix @ np.asarray(vector, dtype=np.float32)
        if allowed is not None:
            sims = np.where(allowed, sims, -np.inf)
        n = min(n, len(sims))
        top = np.argpartition(-sims, n - 1)[:n]
        top = top[np.argsort(-sims[top], kind="stable")]
        return [(self.ids[i], float(sims[i])) for i in top if sims[i] > -np.inf]

    def best(self, vectors: list[list[float]], owner: dict[str, str]) -> list[dict[str, float]]:
        """Per query vector, the best cosine similarity per entry over the given chunks
        (chunk id -> entry id); the rows are read once for all vectors."""
        present = [(self.row[cid], eid) for cid, eid in owner.items() if cid in self.row]
        if not present:
            return [{} for _ in vectors]
        rows = np.fromiter((r for r, _ in present), dtype=np.int64, count=len(present))
        sims = self.matrix[rows] @ np.asarray(vectors, dtype=np.float32).T
        return best_per_entry([eid for _, eid in present], sims)


def best_per_entry(owners: list[str], sims: np.ndarray) -> list[dict[str, float]]:
    """Column by column, the best similarity of each entry's rows (rows x query vectors)."""
    codes: dict[str, int] = {}
    rows = np.fromiter((codes.setdefault(eid, len(codes)) for eid in owners), dtype=np.int64, count=len(owners))
    if not len(rows):
        return [{} for _ in range(sims.shape[1])]
    order = np.argsort(rows, kind="stable")
    grouped = rows[order]
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])
    best = np.maximum.reduceat(sims[order], starts, axis=0)  # one row per entry, in code order
    return [dict(zip(codes, column)) for column in best.T.tolist()]


def load_vectors(generation_dir: Path) -> ChunkVectors | None:
    """The generation's matrix, or None when it has none (made before matrices existed)."""
    try:
        ids = json.loads((generation_dir / IDS_NAME).read_text(encoding="utf-8"))
        matrix = np.load(generation_dir / VECTORS_NAME, mmap_mode="r") if ids else np.zeros((0, 0), np.float32)
    except (OSError, ValueError):
        return None
    if len(ids) != len(matrix):
        return None
    return ChunkVectors(ids, matrix)


def has_vectors(generation_dir: Path) -> bool:
    """True when the generation carries its matrix."""
    return all((generation_dir / name).is_file() for name in FILES)


def write_vectors(generation_dir: Path, chunk_ids: list[str], collection, base_dir: Path | None) -> int:
    """Write the matrix of `chunk_ids` into a generation being written; returns rows fetched.

    Rows come from the base generation's matrix when it has them, else from the collection
    (new chunks, or a base made before matrices existed). Written in place: the generation is
    private until its commit, so a killed writer leaves nothing any reader opens.
    """
    base = load_vectors(base_dir) if base_dir is not None else None
    copied = {cid: base.row[cid] for cid in chunk_ids if cid in base.row} if base is not None else {}
    missing = [cid for cid in chunk_ids if cid not in copied]
    fetched: dict[str, np.ndarray] = {}
    for start in range(0, len(missing), FETCH_BATCH):
        got = collection.get(ids=missing[start : start + FETCH_BATCH], include=["embeddings"])
        fetched.update(zip(got["ids"], np.asarray(got["embeddings"], dtype=np.float32)))
    lost = [cid for cid in missing if cid not in fetched]
    if lost:
        raise RuntimeError(f"{len(lost)} chunks to index are not in the collection (first: {lost[0]})")
    (generation_dir / IDS_NAME).write_text(json.dumps(chunk_ids), encoding="utf-8")
    path = generation_dir / VECTORS_NAME
    if not chunk_ids:
        np.save(path, np.zeros((0, 0), np.float32))
        return 0
    # Rows are copied only from a base, so without one nothing indexes this empty stand-in.
    matrix = base.matrix if base is not None else np.zeros((0, 0), np.float32)
    dim = matrix.shape[1] if copied else len(next(iter(fetched.values())))
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(len(chunk_ids), dim))
    for start in range(0, len(chunk_ids), COPY_ROWS):
        part = chunk_ids[start : start + COPY_ROWS]
        out[start : start + len(part)] = [
            matrix[copied[cid]] if cid in copied else fetched[cid] for cid in part
        ]
    out.flush()
    return len(missing)

"""Chunk vectors as memory-mapped matrices, one per segment (`rag.index.segments`).

Fusion needs the similarity of every lexical candidate, also of those the kNN did not return.
Asking Chroma for their embeddings by id cost more than the kNN itself (benchmarks/README.md);
reading the rows of a memory-mapped matrix costs microseconds, and only the rows touched come
into memory. A segment never changes once committed, so its matrix stays true for its whole
life. On a Chroma server there are no segments: similarities are fetched from the server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from rag.index.ann import Reduced


class ChunkVectors:
    """Read-only chunk vectors of the committed segments, by chunk id: one matrix per segment,
    their rows numbered one after another (rows of removed chunks stay; readers mask them)."""

    def __init__(self, ids: list[str], matrices: list[np.ndarray], reduced: list[Reduced | None] | None = None) -> None:
        self.ids = ids
        self.row = {cid: i for i, cid in enumerate(ids)}
        kept = [(m, r) for m, r in zip(matrices, reduced or [None] * len(matrices)) if len(m)]
        self.matrices = [m for m, _ in kept]
        self.reduced = [r for _, r in kept]  # per matrix, its coarse pass (`rag.index.ann`) or None
        self._starts = np.cumsum([0, *(len(m) for m in self.matrices)])

    def __len__(self) -> int:
        return len(self.ids)

    def _similarities(self, vectors: np.ndarray) -> np.ndarray:
        """Every row's similarity to each query vector (rows x vectors)."""
        return np.concatenate([m @ vectors for m in self.matrices]) if self.matrices else np.zeros((0, *vectors.shape[1:]))

    def _rows(self, rows: np.ndarray) -> np.ndarray:
        """The vectors of the given rows, in that order."""
        part = np.searchsorted(self._starts, rows, side="right") - 1
        out = np.empty((len(rows), self.matrices[0].shape[1]), dtype=np.float32)
        for p in np.unique(part):
            here = part == p
            out[here] = self.matrices[p][rows[here] - self._starts[p]]
        return out

    def nearest(self, vector: list[float], n: int, allowed: np.ndarray | None = None) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the n nearest rows, nearest first: an exact kNN
        over every segment's matrix, through its coarse pass where it has one (`allowed`
        masks rows out)."""
        if not self.ids or n <= 0:
            return []
        query = np.asarray(vector, dtype=np.float32)
        if any(r is not None for r in self.reduced):
            rows, sims = self._coarse(query, allowed)
        else:
            rows, sims = None, self._similarities(query)
            if allowed is not None:
                sims = np.where(allowed, sims, -np.inf)
        n = min(n, len(sims))
        top = np.argpartition(-sims, n - 1)[:n]
        top = top[np.argsort(-sims[top], kind="stable")]
        found = top if rows is None else rows[top]
        return [(self.ids[i], float(sims[t])) for i, t in zip(found, top) if sims[t] > -np.inf]

    def _coarse(self, query: np.ndarray, allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """(rows, exact similarities) of each matrix's candidates: every admitted row of a
        matrix without a coarse pass, the coarse pass's pool of one with."""
        rows, sims = [], []
        for matrix, reduced, start in zip(self.matrices, self.reduced, self._starts):
            mask = allowed[start : start + len(matrix)] if allowed is not None else None
            local = np.arange(len(matrix)) if reduced is None else np.sort(reduced.candidates(query, mask))
            if mask is not None:
                local = local[mask[local]]
            rows.append(local + start)
            sims.append(np.asarray(matrix[local]) @ query)
        return np.concatenate(rows), np.concatenate(sims)

    def vectors_of(self, chunk_ids: list[str]) -> np.ndarray:
        """The vectors of these chunks, in that order (each must be here)."""
        return self._rows(np.fromiter((self.row[c] for c in chunk_ids), dtype=np.int64, count=len(chunk_ids)))

    def best(self, vectors: list[list[float]], owner: dict[str, str]) -> list[dict[str, float]]:
        """Per query vector, the best cosine similarity per entry over the given chunks
        (chunk id -> entry id); the rows are read once for all vectors."""
        present = [(self.row[cid], eid) for cid, eid in owner.items() if cid in self.row]
        if not present:
            return [{} for _ in vectors]
        rows = np.fromiter((r for r, _ in present), dtype=np.int64, count=len(present))
        sims = self._rows(rows) @ np.asarray(vectors, dtype=np.float32).T
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

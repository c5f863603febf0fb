"""A coarse first pass for the dense kNN of a large segment: its vectors reduced by PCA.

An exact kNN reads every row of a segment's matrix: at the digest's size (11.5k chunks) that
costs a couple of milliseconds, at 100k entries (300k chunks, 600 MB) about 60 ms a query.
Here a large segment also gets its rows projected onto their first DIMS principal components
(an eighth of the bytes): a query scans those, keeps the best `pool` rows, and scores only
them exactly. Measured on the corpus's vectors (benchmarks/README.md), 64 dimensions and 2,000
candidates keep 99.9% of the exact top 50. Segments below ANN_MIN_ROWS are always scanned
exactly, so every figure on the corpus is the exact kNN's.

The reduction is derived data, kept beside the segments under `index_dir/ann/<segment>/`,
made after the commit that named the segment (a reindex or a compaction), written whole under a
temporary name; a reader without it (not made yet, damaged) scans exactly.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

ANN_DIR = "ann"
ANN_MIN_ROWS = 50_000  # chunks; below, exact scans cost a few milliseconds
DIMS = 64
SAMPLE_ROWS = 20_000  # rows the principal components are computed from
POOL_MIN, POOL_SHARE = 2_000, 0.01  # candidates scored exactly: max(POOL_MIN, rows * POOL_SHARE)
PROJECT_ROWS = 16_384  # rows projected per step while building: bounds memory
NAMES = ("mean", "basis", "low")


@dataclass(frozen=True)
class Reduced:
    """A segment's rows projected onto their principal components."""

    mean: np.ndarray  # (d,)
    basis: np.ndarray  # (d, DIMS)
    low: np.ndarray  # (rows, DIMS)

    @classmethod
    def build(cls, matrix: np.ndarray, seed: int = 0) -> Reduced:
        """The first DIMS principal components of a sample of the rows, and every row projected."""
        rng = np.random.default_rng(seed)
        sample = np.asarray(matrix[np.sort(rng.choice(len(matrix), min(len(matrix), SAMPLE_ROWS), replace=False))])
        mean = sample.mean(axis=0)
        basis = np.linalg.svd(sample - mean, full_matrices=False)[2][:DIMS].T.astype(np.float32)
        low = np.empty((len(matrix), basis.shape[1]), dtype=np.float32)
        for start in range(0, len(matrix), PROJECT_ROWS):
            low[start : start + PROJECT_ROWS] = (np.asarray(matrix[start : start + PROJECT_ROWS]) - mean) @ basis
        return cls(mean.astype(np.float32), basis, low)

    def candidates(self, vector: np.ndarray, allowed: np.ndarray | None) -> np.ndarray:
        """Rows worth scoring exactly for this query: the best of the reduced scan (admitted only)."""
        pool = max(POOL_MIN, int(len(self.low) * POOL_SHARE))
        if allowed is not None and int(allowed.sum()) <= pool:
            return np.flatnonzero(allowed)  # few admitted rows: score them all
        sims = self.low @ ((vector - self.mean) @ self.basis)
        if allowed is not None:
            sims = np.where(allowed, sims, -np.inf)
        return np.argpartition(-sims, pool - 1)[:pool] if pool < len(sims) else np.arange(len(sims))

    def save(self, path: Path) -> None:
        """Write under a temporary name, then rename: a reader finds a whole copy or none."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=".tmp-"))
        try:
            for name in NAMES:
                np.save(tmp / f"{name}.npy", getattr(self, name))
            tmp.rename(path)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    @classmethod
    def load(cls, path: Path, rows: int) -> Reduced | None:
        """A saved reduction of a segment of `rows` rows, or None (missing, damaged, stale)."""
        try:
            reduced = cls(**{name: np.load(path / f"{name}.npy", mmap_mode="r") for name in NAMES})
        except (OSError, ValueError, EOFError):
            return None
        return reduced if len(reduced.low) == rows else None


def ann_path(index_dir: Path, segment: str) -> Path:
    """Where a segment's reduction is kept."""
    return Path(index_dir) / ANN_DIR / segment


def make_ann(index_dir: Path, segment: str, matrix: np.ndarray) -> bool:
    """Make a segment's reduction (the caller decides which are large); True when made."""
    path = ann_path(index_dir, segment)
    shutil.rmtree(path, ignore_errors=True)
    try:
        Reduced.build(matrix).save(path)
    except OSError as err:  # derived data: the segment is searched exactly without it
        log.warning("no coarse index for segment %s (%s): its kNN stays exact", segment, err)
        return False
    return True

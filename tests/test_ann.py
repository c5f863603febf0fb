"""The coarse pass for large segments' kNN (`rag.index.ann`): it keeps the exact top results on
clustered vectors, falls back to scoring every admitted row under narrow filters, and is made
after the commit and read by the reader (threshold lowered so the seed index qualifies)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import seed_settings_for

from rag.ask.retrieve import search_index
from rag.index import segments
from rag.index.ann import Reduced, ann_path
from rag.index.commit import read_committed
from rag.index.reader import Index
from rag.index.reindex import reindex
from rag.index.vectors import ChunkVectors


def clustered(rows: int, dim: int = 96, centers: int = 150, seed: int = 7) -> np.ndarray:
    """Unit vectors in clusters, as sentence embeddings come (topics)."""
    rng = np.random.default_rng(seed)
    middle = rng.normal(size=(centers, dim))
    points = middle[rng.integers(0, centers, rows)] + rng.normal(scale=0.6, size=(rows, dim))
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)


def test_the_coarse_pass_keeps_the_exact_nearest_rows():
    matrix = clustered(30_000)
    ids = [f"c{i}" for i in range(len(matrix))]
    exact, coarse = ChunkVectors(ids, [matrix]), ChunkVectors(ids, [matrix], [Reduced.build(matrix)])
    queries = clustered(60, seed=8)
    recall = [len({c for c, _ in exact.nearest(q, 20)} & {c for c, _ in coarse.nearest(q, 20)}) / 20 for q in queries]
    assert np.mean(recall) >= 0.97, np.mean(recall)
    # The similarities it reports are the exact ones.
    top, sim = coarse.nearest(queries[0], 1)[0]
    assert sim == pytest.approx(float(matrix[ids.index(top)] @ queries[0]), abs=1e-5)


def test_under_a_narrow_filter_every_admitted_row_is_scored():
    matrix = clustered(30_000)
    ids = [f"c{i}" for i in range(len(matrix))]
    allowed = np.zeros(len(matrix), dtype=bool)
    allowed[::100] = True  # 300 rows, fewer than the pool
    exact, coarse = ChunkVectors(ids, [matrix]), ChunkVectors(ids, [matrix], [Reduced.build(matrix)])
    for q in clustered(10, seed=9):
        assert coarse.nearest(q, 10, allowed) == exact.nearest(q, 10, allowed)


def test_a_reduction_of_another_segment_size_is_not_used(tmp_path):
    matrix = clustered(3_000)
    Reduced.build(matrix).save(tmp_path / "r")
    assert Reduced.load(tmp_path / "r", len(matrix)) is not None
    assert Reduced.load(tmp_path / "r", len(matrix) + 1) is None
    assert Reduced.load(tmp_path / "missing", len(matrix)) is None


def test_a_reindex_makes_the_coarse_pass_the_reader_then_uses(seed_index_copy, monkeypatch):
    monkeypatch.setattr(segments, "ANN_MIN_ROWS", 10)  # the seeds' 155 chunks count as large
    settings = seed_settings_for(seed_index_copy())
    question = "Which paper folds neighbouring image tokens into the channel dimension?"
    index = Index(settings)
    before = [h.entry.id for h in search_index(index, question, 5).hits]
    index.close()
    reindex(settings)  # nothing new, yet the large segment gets its reduction
    [name] = read_committed(settings)[0].segments
    assert (ann_path(settings.index_dir, name) / "low.npy").is_file()
    index = Index(settings)
    try:
        assert index.view().vectors.reduced[0] is not None
        assert [h.entry.id for h in search_index(index, question, 5).hits] == before
    finally:
        index.close()

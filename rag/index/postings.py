"""One segment's term statistics: per field, which rows hold each term and how often.

BM25 needs the document frequency of a term over the whole index, so a segment must not bake
IDF into its scores (bm25s does, which is why it cannot grow a corpus). A segment keeps raw
counts instead, per field: a CSR matrix term -> (row, term frequency) and each row's length.
Readers sum document frequencies over the live rows of every segment at query time
(`rag.index.lexical`), so IDF and the average length stay global, and the scores are those of
one BM25 over all entries. Saved as plain .npy arrays, memory-mapped when loaded.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.index.tokens import FIELDS

EMPTY_TOKEN = "\u2205"  # an empty field counts as one token, as in bm25s (no empty documents)
VOCAB_NAME = "terms.json"
ARRAYS = ("indptr", "rows", "tf", "lengths")


@dataclass(frozen=True)
class FieldPostings:
    """One field's counts: rows[indptr[t]:indptr[t+1]] hold term t, tf how often; lengths per row."""

    indptr: np.ndarray
    rows: np.ndarray
    tf: np.ndarray
    lengths: np.ndarray

    def postings(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows, term frequencies) of one term id."""
        start, end = int(self.indptr[term]), int(self.indptr[term + 1])
        return self.rows[start:end], self.tf[start:end]


class Postings:
    """Term statistics of a list of entries (row i is the i-th), per field over one vocabulary."""

    def __init__(self, vocab: list[str], fields: dict[str, FieldPostings]) -> None:
        self.vocab = vocab
        self.term_id = {term: i for i, term in enumerate(vocab)}
        self.fields = fields

    @property
    def rows(self) -> int:
        """How many entries the statistics cover."""
        return len(next(iter(self.fields.values())).lengths) if self.fields else 0

    @classmethod
    def build(cls, tokens: Sequence[dict[str, list[str]]]) -> Postings:
        """Count the tokens of each entry (one dict of field -> tokens per row)."""
        term_id: dict[str, int] = {}
        triples: dict[str, tuple[list[int], list[int], list[int]]] = {}
        lengths: dict[str, list[int]] = {}
        for field in FIELDS:
            terms, rows, tfs = triples[field] = ([], [], [])
            lengths[field] = []
            for row, entry_tokens in enumerate(tokens):
                words = entry_tokens[field] or [EMPTY_TOKEN]
                lengths[field].append(len(words))
                for word, tf in Counter(words).items():
                    terms.append(term_id.setdefault(word, len(term_id)))
                    rows.append(row)
                    tfs.append(tf)
        fields = {
            field: _csr(np.asarray(t, dtype=np.int64), np.asarray(r, dtype=np.int32), np.asarray(f, dtype=np.float32),
                        np.asarray(lengths[field], dtype=np.int32), len(term_id))
            for field, (t, r, f) in triples.items()
        }
        return cls(list(term_id), fields)

    def save(self, directory: Path) -> list[Path]:
        """Write the arrays and the vocabulary into a directory; returns the files written."""
        written = [directory / VOCAB_NAME]
        written[0].write_text(json.dumps(self.vocab, ensure_ascii=False), encoding="utf-8")
        for field, data in self.fields.items():
            for name in ARRAYS:
                path = directory / f"{field}.{name}.npy"
                np.save(path, getattr(data, name))
                written.append(path)
        return written

    @classmethod
    def load(cls, directory: Path) -> Postings:
        """Saved statistics, their arrays memory-mapped (raises on anything unreadable)."""
        vocab = json.loads((directory / VOCAB_NAME).read_text(encoding="utf-8"))
        fields = {
            field: FieldPostings(**{name: np.load(directory / f"{field}.{name}.npy", mmap_mode="r") for name in ARRAYS})
            for field in FIELDS
        }
        sizes = {len(f.lengths) for f in fields.values()}
        if len(sizes) != 1 or any(len(f.indptr) != len(vocab) + 1 for f in fields.values()):
            raise ValueError("term statistics disagree on the number of rows or terms")
        return cls(vocab, fields)

    @classmethod
    def merge(cls, parts: Sequence[tuple[Postings, np.ndarray]], rows: int) -> Postings:
        """The statistics of several segments' kept rows; per part, each local row's new row
        (-1: dropped). Terms no kept row holds are left out."""
        vocab: dict[str, int] = {}
        maps = [np.fromiter((vocab.setdefault(t, len(vocab)) for t in p.vocab), dtype=np.int64, count=len(p.vocab))
                for p, _ in parts]
        fields = {}
        for field in FIELDS:
            terms, new_rows, tfs = [], [], []
            lengths = np.zeros(rows, dtype=np.int32)
            for (part, row_map), term_map in zip(parts, maps):
                data = part.fields[field]
                local_terms = np.repeat(np.arange(len(part.vocab)), np.diff(np.asarray(data.indptr)))
                moved = row_map[np.asarray(data.rows)]
                keep = moved >= 0
                terms.append(term_map[local_terms[keep]])
                new_rows.append(moved[keep])
                tfs.append(np.asarray(data.tf)[keep])
                kept = row_map >= 0
                lengths[row_map[kept]] = np.asarray(data.lengths)[kept]
            fields[field] = (np.concatenate(terms), np.concatenate(new_rows), np.concatenate(tfs), lengths)
        used = np.unique(np.concatenate([t for t, _, _, _ in fields.values()]))
        renumber = np.full(len(vocab), -1, dtype=np.int64)
        renumber[used] = np.arange(len(used))
        words = list(vocab)
        return cls([words[i] for i in used], {
            field: _csr(renumber[t], r.astype(np.int32), f.astype(np.float32), lengths, len(used))
            for field, (t, r, f, lengths) in fields.items()
        })


def _csr(terms: np.ndarray, rows: np.ndarray, tf: np.ndarray, lengths: np.ndarray, n_terms: int) -> FieldPostings:
    """Triples (term, row, tf) as CSR by term, rows ascending within a term."""
    order = np.lexsort((rows, terms))
    indptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(np.bincount(terms, minlength=n_terms), out=indptr[1:])
    return FieldPostings(indptr, rows[order], tf[order], lengths)

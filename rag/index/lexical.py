"""The lexical half of hybrid search: BM25 per field over Korean morphemes and English stems.

It is derived from the committed entries and their tokens (`rag.index.tokens`), never
authoritative, so it cannot disagree with the manifest. Built once per committed state, it is
saved as memory-mapped arrays under `index_dir/lexical/<key>/` (bm25s's own format), the key
naming the entries' contents and the tokenizer version: a process that opens the index loads
it in milliseconds instead of indexing every entry again, and a lost or damaged copy is simply
rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import bm25s
import numpy as np

from rag.index.tokens import FIELDS, TOKENIZER_VERSION, TokenStore
from rag.model import Entry
from rag.text import HANGUL

log = logging.getLogger(__name__)
# bm25s sets its own logger to DEBUG on import, so every build said "Building index from
# tokens" in the app's log; its warnings still show.
logging.getLogger("bm25s").setLevel(logging.WARNING)

FIELD_WEIGHTS = {"title": 1.2, "abstract": 1.0, "comment": 1.0}
LEXICAL_DIR = "lexical"
_EMPTY = "\u2205"  # bm25s needs no empty documents
# Bump when the saved layout changes: older copies are rebuilt.
FORMAT = 1


class LexicalIndex:
    """One BM25 index per field over the same list of entries (row i is entry_ids[i])."""

    def __init__(self, entry_ids: list[str], indexes: Mapping[str, bm25s.BM25]) -> None:
        self.entry_ids = entry_ids
        self._position = {eid: i for i, eid in enumerate(entry_ids)}
        self._indexes = dict(indexes)
        self._postings_of: dict[str, np.ndarray] = {}

    @classmethod
    def build(cls, entry_ids: list[str], tokens: list[dict[str, list[str]]]) -> LexicalIndex:
        """Index the tokens of each entry (one dict of field -> tokens per entry id)."""
        indexes = {}
        for field in FIELDS:
            bm = bm25s.BM25()
            if tokens:
                bm.index([t[field] or [_EMPTY] for t in tokens], show_progress=False)
            indexes[field] = bm
        return cls(entry_ids, indexes)

    def save(self, directory: Path) -> None:
        """Write the index as arrays bm25s loads memory-mapped."""
        directory.mkdir(parents=True)
        for field, bm in self._indexes.items():
            bm.save(directory / field, show_progress=False)
        (directory / "meta.json").write_text(
            json.dumps({"format": FORMAT, "entry_ids": self.entry_ids}, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        """A saved index, its arrays memory-mapped (raises on anything unreadable)."""
        meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError(f"lexical index format {meta.get('format')!r}, expected {FORMAT}")
        indexes = {f: bm25s.BM25.load(directory / f, mmap=True, show_progress=False) for f in FIELDS}
        if any(bm.scores["num_docs"] != len(meta["entry_ids"]) for bm in indexes.values()):
            raise ValueError("lexical index fields disagree on the number of entries")
        return cls(meta["entry_ids"], indexes)

    def _postings(self, token: str) -> np.ndarray:
        """Rows of the entries holding the token in any field (sorted; cached per token)."""
        rows = self._postings_of.get(token)
        if rows is None:
            parts = []
            for bm in self._indexes.values():
                tid = bm.vocab_dict.get(token)
                if tid is not None and token:
                    indptr, indices = bm.scores["indptr"], bm.scores["indices"]
                    parts.append(np.asarray(indices[indptr[tid] : indptr[tid + 1]]))
            rows = np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)
            if len(self._postings_of) < 4096:
                self._postings_of[token] = rows
        return rows

    def rows_holding(self, token: str) -> np.ndarray:
        """Rows of the entries holding the token in any field, sorted."""
        return self._postings(token)

    def scores(self, query_tokens: list[str]) -> dict[str, np.ndarray]:
        """BM25 score of every entry, per field."""
        if not self.entry_ids or not query_tokens:
            return {f: np.zeros(len(self.entry_ids), dtype=np.float32) for f in FIELDS}
        return {f: bm.get_scores(query_tokens) for f, bm in self._indexes.items()}

    def totals(self, query_tokens: list[str]) -> np.ndarray:
        """Weighted BM25 of every entry, all fields summed."""
        per_field = self.scores(query_tokens)
        if not self.entry_ids:
            return np.zeros(0, dtype=np.float32)
        return np.sum([per_field[f] * FIELD_WEIGHTS[f] for f in FIELDS], axis=0)

    def search(self, query_tokens: list[str], n: int, allowed: np.ndarray | None = None) -> tuple[list[tuple[str, float]], np.ndarray]:
        """(entry id, score) of the n best entries, and every entry's score (by row).

        `allowed` masks entries out (filters).
        """
        total = self.totals(query_tokens)
        if allowed is not None:
            total = np.where(allowed, total, 0.0)
        order = np.argsort(-total)[:n]
        return [(self.entry_ids[i], float(total[i])) for i in order if total[i] > 0], total

    def position(self, entry_id: str) -> int:
        """Row of an entry in this index."""
        return self._position[entry_id]

    def df(self, token: str) -> int:
        """How many entries hold the token."""
        return len(self._postings(token))

    def idf(self, token: str) -> float:
        """Inverse document frequency over entries; a word no entry has is maximally rare."""
        n = len(self.entry_ids)
        df = self.df(token)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def idf_sum(self, query_tokens: list[str]) -> float:
        """The summed rarity (idf) of the question's English words that some entry has.

        It is the scale of the BM25 score of an entry holding all of them (Lucene BM25 gives a
        field of average length holding a word once 1/(1+k1) = 0.4 of its idf; title, abstract
        and commentary add up), so fusion can tell a real lexical match from a best candidate
        that shares only a few common words with the question, the usual case for an English
        question about a commentary written only in Korean. Left out: Korean words (most
        entries have English abstracts only, so a Korean question's best match covers mostly
        its Latin-script names) and words no entry has (a typo must not make every real match
        look weak).
        """
        return sum(self.idf(t) for t in query_tokens if self.df(t) and not HANGUL.search(t))


def lexical_key(hashes: Mapping[str, str]) -> str:
    """What names a lexical index: the entries (id and content) and the tokenizer version."""
    digest = hashlib.sha1(f"{TOKENIZER_VERSION}/{FORMAT}".encode())
    for eid in sorted(hashes):
        digest.update(f"\0{eid}\0{hashes[eid]}".encode())
    return digest.hexdigest()[:20]


def lexical_path(index_dir: Path, hashes: Mapping[str, str]) -> Path:
    """Where the lexical index of these entries is saved."""
    return Path(index_dir) / LEXICAL_DIR / lexical_key(hashes)


def open_lexical(index_dir: Path, entries: Mapping[str, Entry], hashes: Mapping[str, str]) -> LexicalIndex:
    """The lexical index of a committed state: loaded when saved, else built and saved.

    A damaged copy is rebuilt (it is derived data); tokens come from the token store, and
    only contents it lacks are tokenized.
    """
    if not entries:
        return LexicalIndex.build([], [])
    path = lexical_path(index_dir, hashes)
    if path.is_dir():
        try:
            return LexicalIndex.load(path)
        except (OSError, ValueError, KeyError) as err:
            log.warning("the lexical index in %s is unreadable (%s): rebuilding it", path, err)
            shutil.rmtree(path, ignore_errors=True)
    index = build_lexical(index_dir, entries, hashes)
    _save(index, path)
    return index


def build_lexical(index_dir: Path, entries: Mapping[str, Entry], hashes: Mapping[str, str]) -> LexicalIndex:
    """A lexical index over the entries, tokenizing only contents the token store lacks."""
    ids = sorted(entries)
    tokens = TokenStore(index_dir).complete({hashes[eid]: entries[eid] for eid in ids})
    return LexicalIndex.build(ids, [tokens[hashes[eid]] for eid in ids])


def _save(index: LexicalIndex, path: Path) -> None:
    """Save under a temporary name, then rename: a reader sees a whole copy or none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=".tmp-"))
    try:
        index.save(tmp / "index")
        (tmp / "index").rename(path)
    except OSError as err:  # another process saved it first, or the disk is full: it is a cache
        log.debug("lexical index not saved to %s: %s", path, err)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def keep_lexical(index_dir: Path, keys: Iterable[str]) -> None:
    """Delete saved lexical indexes other than these (and leftovers of killed saves)."""
    root = Path(index_dir) / LEXICAL_DIR
    if root.is_dir():
        for path in root.iterdir():
            if path.name not in set(keys):
                shutil.rmtree(path, ignore_errors=True)

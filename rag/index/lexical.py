"""The lexical half of hybrid search: BM25 per field over Korean morphemes and English stems.

Locally the term statistics live in the index's segments (`rag.index.segments`, counts in
`rag.index.postings`) and a reader merges them at query time. On a Chroma server the index
keeps no segments: the lexical index is derived from the committed entries and their tokens
(`rag.index.tokens`), saved once per committed state as memory-mapped arrays under
`index_dir/lexical/<key>/`, the key naming the entries' contents and the tokenizer version, so a
process that opens the index loads it in milliseconds, and a lost or damaged copy is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from rag.index.postings import Postings
from rag.index.tokens import FIELDS, TOKENIZER_VERSION, TokenStore
from rag.model import Entry
from rag.text import HANGUL

log = logging.getLogger(__name__)

FIELD_WEIGHTS = {"title": 1.2, "abstract": 1.0, "comment": 1.0}
K1, B = 1.5, 0.75  # bm25s's defaults, which the index used before it had segments
LEXICAL_DIR = "lexical"
META_NAME = "meta.json"
# Bump when the saved layout changes: older copies are rebuilt.
FORMAT = 2


class LexicalIndex:
    """BM25 per field over entries (row i is entry_ids[i]) held in one or more segments.

    Each part is a segment's term statistics with, per local row, the entry's row here (-1: a
    tombstone, an entry removed or changed since). Document frequencies and lengths are summed
    over the live rows of all parts, so the scores are those of one BM25 (bm25s's Lucene
    variant, k1 1.5, b 0.75, float32 sums in query-token order) over all entries.
    """

    def __init__(self, entry_ids: list[str], parts: Sequence[tuple[Postings, np.ndarray]]) -> None:
        self.entry_ids = entry_ids
        self._position = {eid: i for i, eid in enumerate(entry_ids)}
        self._parts = list(parts)
        self._postings_of: dict[str, np.ndarray] = {}
        self._hits_of: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        n = max(len(entry_ids), 1)
        self._avgdl = {
            field: float(sum(int(np.asarray(p.fields[field].lengths)[g >= 0].sum()) for p, g in self._parts)) / n
            for field in FIELDS
        }

    @classmethod
    def build(cls, entry_ids: list[str], tokens: list[dict[str, list[str]]]) -> LexicalIndex:
        """Index the tokens of each entry (one dict of field -> tokens per entry id)."""
        return cls(entry_ids, [(Postings.build(tokens), np.arange(len(entry_ids)))] if tokens else [])

    def _hits(self, field: str, token: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, term frequencies, field lengths) of the live entries holding a token in a field."""
        key = (field, token)
        hit = self._hits_of.get(key)
        if hit is None:
            rows, tfs, lengths = [], [], []
            for part, rows_here in self._parts:
                tid = part.term_id.get(token)
                if tid is None or not token:
                    continue
                data = part.fields[field]
                local, tf = data.postings(tid)
                mapped = rows_here[np.asarray(local)]
                live = mapped >= 0
                rows.append(mapped[live])
                tfs.append(np.asarray(tf)[live])
                lengths.append(np.asarray(data.lengths)[np.asarray(local)[live]])
            hit = (np.concatenate(rows), np.concatenate(tfs), np.concatenate(lengths)) if rows else (
                np.zeros(0, np.int64), np.zeros(0, np.float32), np.zeros(0, np.int32))
            if len(self._hits_of) < 8192:
                self._hits_of[key] = hit
        return hit

    def _field_scores(self, field: str, query_tokens: list[str]) -> np.ndarray:
        n, avgdl = len(self.entry_ids), self._avgdl[field]
        scores = np.zeros(n, dtype=np.float32)
        for token in query_tokens:  # a repeated token counts again, as in bm25s
            rows, tf, lengths = self._hits(field, token)
            if not len(rows):
                continue
            df = len(rows)
            idf = np.float64(np.float32(math.log(1 + (n - df + 0.5) / (df + 0.5))))
            tfc = tf.astype(np.float64) / (K1 * ((1 - B) + B * lengths / avgdl) + tf)
            scores[rows] += (idf * tfc).astype(np.float32)
        return scores

    def _postings(self, token: str) -> np.ndarray:
        """Rows of the entries holding the token in any field (sorted; cached per token)."""
        rows = self._postings_of.get(token)
        if rows is None:
            parts = [self._hits(field, token)[0] for field in FIELDS]
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
        return {f: self._field_scores(f, query_tokens) for f in FIELDS}

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
            return _load(path)
        except (OSError, ValueError, KeyError) as err:
            log.warning("the lexical index in %s is unreadable (%s): rebuilding it", path, err)
            shutil.rmtree(path, ignore_errors=True)
    ids = sorted(entries)
    postings = build_postings(index_dir, entries, hashes, ids)
    _save(ids, postings, path)
    return LexicalIndex(ids, [(postings, np.arange(len(ids)))])


def build_postings(index_dir: Path, entries: Mapping[str, Entry], hashes: Mapping[str, str],
                   ids: list[str]) -> Postings:
    """Term statistics of these entries in this order, tokenizing only contents the token
    store lacks (and storing their tokens)."""
    tokens = TokenStore(index_dir).complete({hashes[eid]: entries[eid] for eid in ids})
    return Postings.build([tokens[hashes[eid]] for eid in ids])


def _load(path: Path) -> LexicalIndex:
    meta = json.loads((path / META_NAME).read_text(encoding="utf-8"))
    if meta.get("format") != FORMAT:
        raise ValueError(f"lexical index format {meta.get('format')!r}, expected {FORMAT}")
    postings = Postings.load(path)
    if postings.rows != len(meta["entry_ids"]):
        raise ValueError("the lexical index's statistics and entry ids disagree")
    return LexicalIndex(meta["entry_ids"], [(postings, np.arange(postings.rows))])


def _save(ids: list[str], postings: Postings, path: Path) -> None:
    """Save under a temporary name, then rename: a reader sees a whole copy or none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=".tmp-"))
    try:
        (tmp / "index").mkdir()
        postings.save(tmp / "index")
        (tmp / "index" / META_NAME).write_text(json.dumps({"format": FORMAT, "entry_ids": ids}), encoding="utf-8")
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

"""The lexical half of hybrid search: BM25 per field over Korean morphemes and English stems.

It is derived from the committed entries (never stored on its own), so it cannot disagree
with the manifest; tokens are cached by entry content hash because Korean morpheme analysis
is the slow part.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

from rag.model import Entry
from rag.text import HANGUL

# Field -> how an entry's text feeds it. Commentary and abstract stay apart so a question
# about the digest author's opinion can match the commentary on its own.
FIELDS = {
    "title": lambda e: " ".join([e.title, *e.tags, *e.authors]),
    "abstract": lambda e: e.abstract or "",
    "comment": lambda e: f"{e.comment_ko}\n{e.comment_en}",
}
FIELD_WEIGHTS = {"title": 1.2, "abstract": 1.0, "comment": 1.0}

# Content-bearing morphemes: nouns, verb/adjective stems, roots, foreign words, numbers.
_KEEP_TAGS = {"NNG", "NNP", "NR", "VV", "VA", "XR", "SL", "SH", "SN", "MAG"}
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9\-]*|\d+(?:\.\d+)?")
_EN_STOP = set(
    """a an the of and or in on at to for with by from is are was were be been this that these
    those it its as which what who how does do did paper papers entry entries digest author
    we our their they into than then such using use used via can about say says said think
    thought describe described mention mentioned discuss discussed list show tell please""".split()
)
# Korean words about the digest or the asking, not about papers: they would only dilute a
# question's match (and its coverage) with words entries rarely contain.
_KO_STOP = set("논문 다이제스트 작성자 저자 목록 관련 내용 질문 항목 소개 무엇 어떤 생각".split())
TOKENS_NAME = "lexical-tokens.json"
COVERAGE_POWER = 3
# Bump when tokenization changes: cached tokens of another version are discarded.
TOKENIZER_VERSION = 3


# Korean connective endings that join two clauses ("바꿔서", "빼고", "하면서", "높이지만", "하며",
# "했는데"), as Kiwi tags them (EC). Not "-게"/"-도록"/"-어" alone: they bind an adverb or a purpose
# to its verb ("공유하게 한", "생각하도록 학습").
_CLAUSE_ENDINGS = {"어서", "아서", "여서", "서", "고", "면서", "으면서", "며", "으며", "지만", "는데", "ᆫ데", "은데"}
# Verbs that, with -어서, make a postposition: "에 대해서", "을 통해서" do not end a clause.
_POSTPOSITION_VERBS = {"대하", "통하", "관하", "의하", "인하", "위하", "따르"}


@dataclass(frozen=True)
class Analysis:
    """A text's tokens, where each starts, and where its Korean clauses end (offsets)."""

    tokens: tuple[str, ...]
    starts: tuple[int, ...]
    clause_ends: tuple[int, ...] = ()


class Tokenizer:
    """Kiwi morphemes for Korean, lowercased Snowball stems for English; Kiwi loads lazily."""

    def __init__(self) -> None:
        self._kiwi = None
        self._lock = threading.Lock()
        self._stem = Stemmer.Stemmer("english")

    def _english(self, text: str) -> tuple[list[str], list[int]]:
        words = [(m.group().lower(), m.start()) for m in _WORD.finditer(text)]
        kept = [(w, start) for w, start in words if w not in _EN_STOP]
        return self._stem.stemWords([w for w, _ in kept]), [start for _, start in kept]

    def analyse(self, text: str) -> Analysis:
        """Tokens of mixed Korean/English text, with their offsets and clause ends."""
        if not HANGUL.search(text):
            tokens, starts = self._english(text)
            return Analysis(tuple(tokens), tuple(starts))
        with self._lock:
            if self._kiwi is None:
                from kiwipiepy import Kiwi

                self._kiwi = Kiwi()  # ~1.5-3 s to build: once per process
            morphemes = self._kiwi.tokenize(text)
        tokens: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        for i, tok in enumerate(morphemes):
            # Irregular stems come tagged "VA-I", "VV-R": the part before "-" is the class.
            tag = tok.tag.split("-")[0]
            end = tok.start + tok.len
            if (
                tag == "EC" and tok.form in _CLAUSE_ENDINGS and text[end : end + 1].isspace()
                and (i == 0 or morphemes[i - 1].form not in _POSTPOSITION_VERBS)
            ):
                ends.append(end)
            if tag not in _KEEP_TAGS or tok.form in _KO_STOP:
                continue
            if tag in ("SL", "SN"):
                words, _ = self._english(tok.form)
                tokens.extend(words)
                starts.extend([tok.start] * len(words))
            else:
                tokens.append(tok.form)
                starts.append(tok.start)
        return Analysis(tuple(tokens), tuple(starts), tuple(ends))

    def tokenize(self, text: str) -> list[str]:
        """Tokens of mixed Korean/English text."""
        return list(self.analyse(text).tokens)


_tokenizer = Tokenizer()


def tokenize(text: str) -> list[str]:
    """Tokenize with the process-wide tokenizer."""
    return _tokenizer.tokenize(text)


@lru_cache(maxsize=256)
def analyse_query(text: str) -> Analysis:
    """A question's analysis, remembered: understanding it and searching both need it."""
    return _tokenizer.analyse(text)


def tokenize_query(text: str) -> tuple[str, ...]:
    """Tokens of a question (from its remembered analysis)."""
    return analyse_query(text).tokens


def english_stems(words: Iterable[str]) -> set[str]:
    """The stems `tokenize` gives these English words, stopwords included."""
    return set(_tokenizer._stem.stemWords([w.lower() for w in words]))


def entry_tokens(entry: Entry) -> dict[str, list[str]]:
    """Tokens of every field of one entry."""
    return {field: tokenize(get(entry)) for field, get in FIELDS.items()}


def load_token_cache(index_dir: Path) -> dict[str, dict]:
    """Cached tokens by entry content hash ({} when absent or unreadable: it is only a cache)."""
    try:
        raw = json.loads((Path(index_dir) / TOKENS_NAME).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    if not isinstance(raw, dict) or raw.get("version") != TOKENIZER_VERSION:
        return {}
    return raw.get("tokens", {})


def save_token_cache(index_dir: Path, cache: dict[str, dict]) -> None:
    """Atomically replace the token cache."""
    fd, tmp = tempfile.mkstemp(dir=index_dir, prefix=".tokens-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"version": TOKENIZER_VERSION, "tokens": cache}, fh, ensure_ascii=False)
        os.replace(tmp, Path(index_dir) / TOKENS_NAME)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class LexicalIndex:
    """One BM25 index per field over the same list of entries."""

    def __init__(self, entry_ids: list[str], tokens: list[dict[str, list[str]]]) -> None:
        self.entry_ids = entry_ids
        self._position = {eid: i for i, eid in enumerate(entry_ids)}
        self._vocab = [frozenset(t for field in FIELDS for t in toks[field]) for toks in tokens]
        self._df = Counter(t for vocab in self._vocab for t in vocab)
        self._indexes: dict[str, bm25s.BM25] = {}
        for field in FIELDS:
            docs = [t[field] or ["\u2205"] for t in tokens]  # bm25s needs no empty docs
            bm = bm25s.BM25()
            if docs:
                bm.index(docs, show_progress=False)
            self._indexes[field] = bm

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
        return self._df.get(token, 0)

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
        return sum(self.idf(t) for t in query_tokens if t in self._df and not HANGUL.search(t))

    def coverage(self, tokens: set[str], entry_id: str) -> float:
        """Share of the question's rare-word weight that the entry contains (0..1).

        Each token weighs idf**COVERAGE_POWER, so the rarest words of a question dominate:
        an entry that shares only its common words ("error", "model") with an off-topic
        question scores low. Unlike raw BM25 it does not grow with corpus size, so one
        threshold serves a 33-entry and a 4,000-entry index.
        """
        if not tokens or entry_id not in self._position:
            return 0.0
        vocab = self._vocab[self._position[entry_id]]
        weights = {t: self.idf(t) ** COVERAGE_POWER for t in tokens}
        total = sum(weights.values())
        return sum(w for t, w in weights.items() if t in vocab) / total if total else 0.0


def build_lexical(entries: dict[str, Entry], hashes: dict[str, str], cache: dict[str, dict]) -> LexicalIndex:
    """A lexical index over entries, tokenizing only those missing from the cache."""
    ids = sorted(entries)
    return LexicalIndex(ids, [cache.get(hashes[eid]) or entry_tokens(entries[eid]) for eid in ids])

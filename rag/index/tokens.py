"""Tokens for the lexical half of search: Kiwi morphemes for Korean, Snowball stems for English.

An entry's tokens depend only on its text, so they are stored by the entry's content hash in
a small SQLite table (`TokenStore`): a reindex tokenizes only new content and adds rows, and a
reader that finds tokens missing (another machine's reindex, a new tokenizer version)
tokenizes just those. Korean morpheme analysis is the slow part; Kiwi loads on first use.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import Stemmer

from rag.model import Entry
from rag.text import HANGUL

if TYPE_CHECKING:  # imported lazily at run time: loading Kiwi is slow
    from kiwipiepy import Kiwi

# Field -> how an entry's text feeds it. Commentary and abstract stay apart so a question
# about the digest author's opinion can match the commentary on its own.
FIELDS = {
    "title": lambda e: " ".join([e.title, *e.labels, *e.authors]),
    "abstract": lambda e: e.abstract or "",
    "comment": lambda e: f"{e.comment_ko}\n{e.comment_en}",
}

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
TOKENS_NAME = "tokens.sqlite"
# Bump when tokenization changes: cached tokens of another version are discarded.
TOKENIZER_VERSION = 4


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
        self._kiwi: Kiwi | None = None
        self._lock = threading.Lock()
        self._stem = Stemmer.Stemmer("english")

    def _english(self, text: str) -> tuple[list[str], list[int]]:
        words = [(m.group().lower(), m.start()) for m in _WORD.finditer(text)]
        kept = [(w, start) for w, start in words if w not in _EN_STOP]
        return self._stem.stemWords([w for w, _ in kept]), [start for _, start in kept]

    def analyse(self, text: str) -> Analysis:
        """Tokens of mixed Korean/English text, with their offsets and clause ends."""
        if not HANGUL.search(text):
            words, offsets = self._english(text)
            return Analysis(tuple(words), tuple(offsets))
        with self._lock:
            if self._kiwi is None:
                from kiwipiepy import Kiwi

                # Without the typo and multi-word dictionaries Kiwi starts in about half the
                # time and 190 MB less memory; over the corpus' 3,610 Korean texts its tokens
                # are the same but for 4 multi-word nouns, now split ("랜덤 워크": 랜덤, 워크).
                self._kiwi = Kiwi(load_typo_dict=False, load_multi_dict=False)
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


def english_tokens(text: str) -> list[str]:
    """The English stems of a text's Latin-script words (no Kiwi: fast on any text)."""
    return _tokenizer._english(text)[0]


def english_stems(words: Iterable[str]) -> set[str]:
    """The stems `tokenize` gives these English words, stopwords included."""
    return set(_tokenizer._stem.stemWords([w.lower() for w in words]))


def entry_tokens(entry: Entry) -> dict[str, list[str]]:
    """Tokens of every field of one entry."""
    return {field: tokenize(get(entry)) for field, get in FIELDS.items()}




class TokenStore:
    """Tokens of each entry's fields by content hash, in SQLite (one row per content)."""

    def __init__(self, index_dir: Path) -> None:
        self.path = Path(index_dir) / TOKENS_NAME

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE IF NOT EXISTS tokens (hash TEXT PRIMARY KEY, version INTEGER, fields TEXT)")
        return db

    def get(self, hashes: Iterable[str]) -> dict[str, dict[str, list[str]]]:
        """The stored tokens of these contents (of this tokenizer version); missing ones left out."""
        wanted = list(dict.fromkeys(hashes))
        out: dict[str, dict[str, list[str]]] = {}
        if not self.path.exists() or not wanted:
            return out
        with closing(self._connect()) as db:
            for start in range(0, len(wanted), 500):
                part = wanted[start : start + 500]
                rows = db.execute(
                    f"SELECT hash, fields FROM tokens WHERE version = ? AND hash IN ({','.join('?' * len(part))})",
                    [TOKENIZER_VERSION, *part],
                )
                out.update((h, json.loads(f)) for h, f in rows)
        return out

    def add(self, tokens: Mapping[str, dict[str, list[str]]]) -> None:
        """Store tokens by content hash (replacing rows of another tokenizer version)."""
        if not tokens:
            return
        with closing(self._connect()) as db, db:
            db.executemany(
                "INSERT OR REPLACE INTO tokens (hash, version, fields) VALUES (?, ?, ?)",
                [(h, TOKENIZER_VERSION, json.dumps(t, ensure_ascii=False)) for h, t in tokens.items()],
            )

    def keep_only(self, hashes: Iterable[str]) -> None:
        """Delete the rows of every other content (what no manifest in use still names)."""
        if not self.path.exists():
            return
        with closing(self._connect()) as db, db:
            db.execute("CREATE TEMP TABLE keep (hash TEXT PRIMARY KEY)")
            db.executemany("INSERT OR IGNORE INTO keep VALUES (?)", [(h,) for h in hashes])
            db.execute("DELETE FROM tokens WHERE hash NOT IN (SELECT hash FROM keep) OR version != ?",
                       [TOKENIZER_VERSION])

    def complete(self, entries: Mapping[str, Entry]) -> dict[str, dict[str, list[str]]]:
        """Tokens of every given entry (content hash -> entry), tokenizing and storing the missing."""
        have = self.get(entries)
        missing = {h: entry_tokens(e) for h, e in entries.items() if h not in have}
        self.add(missing)
        return {**have, **missing}

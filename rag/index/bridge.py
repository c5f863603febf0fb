"""Korean <-> English term pairs learned from the digest itself.

From 2024 on, each entry carries the digest author's Korean commentary and its English
translation side by side: the digest is its own parallel corpus. A Korean word and an English
stem that keep appearing in the same entry's two commentaries (추론 / reason, 정렬 / align,
압축 / compress) are a pair. Questions are expanded with the pairs of their words, so a Korean
question finds an English abstract by its words and an English question finds a Korean-only
entry by its commentary, without the embedder as the only bridge.

Counts are kept per content hash in SQLite (`bridge.sqlite` beside the token store): a
reindex adds the new entries' counts and takes the removed ones' away, so the pairs are rebuilt
incrementally with the index. A small bundled glossary (`glossary.tsv`) adds the common ML
terms the digest writes only in Latin letters even in Korean (it never writes 증류 or 환각, so
no mining could learn them); `rag terms WORD` shows both, each with its source.
"""

from __future__ import annotations

import logging
import sqlite3
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rag.index.tokens import TokenStore, english_tokens
from rag.model import Entry
from rag.text import HANGUL

log = logging.getLogger(__name__)

BRIDGE_NAME = "bridge.sqlite"
GLOSSARY = Path(__file__).with_name("glossary.tsv")
# A pair needs this many entries where both sides appear, and this Jaccard overlap of the
# entries holding each side: the word and its translation travel together, not just often.
MIN_PAIR_COUNT = 3
MIN_JACCARD = 0.3
MAX_PER_WORD = 3
# Bump when mining changes: stored counts of another version are rebuilt.
BRIDGE_VERSION = 2


@dataclass(frozen=True)
class Pair:
    """One learned or bundled translation of a word."""

    source_word: str
    translation: str
    score: float     # Jaccard overlap of the entries holding each side (1.0: glossary)
    together: int    # entries holding both (0: glossary)
    origin: str      # "digest" or "glossary"


def parallel_sides(entry: Entry, comment_tokens: Iterable[str]) -> tuple[set[str], set[str]]:
    """The Korean words and English stems of an entry's two commentaries ((), () without both).

    Latin words inside the Korean commentary are the same on both sides: they pair with
    themselves, not with the Korean words around them, so they leave the English side.
    """
    if not (entry.comment_ko and entry.comment_en):
        return set(), set()
    tokens = set(comment_tokens)
    korean = {t for t in tokens if HANGUL.search(t) and len(t) >= 2}  # not 있, 하, 수: grammar, not terms
    latin_in_korean = set(english_tokens(entry.comment_ko))
    return korean, set(english_tokens(entry.comment_en)) - latin_in_korean


class BridgeStore:
    """The co-occurrence counts behind the pairs, one row set per content hash."""

    def __init__(self, index_dir: Path) -> None:
        self.path = Path(index_dir) / BRIDGE_NAME

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(
            """CREATE TABLE IF NOT EXISTS docs (hash TEXT PRIMARY KEY, version INTEGER, ko TEXT, en TEXT);
               CREATE TABLE IF NOT EXISTS words (word TEXT PRIMARY KEY, n INTEGER);
               CREATE TABLE IF NOT EXISTS pairs (ko TEXT, en TEXT, n INTEGER, PRIMARY KEY (ko, en));"""
        )
        return db

    def update(self, entries: Mapping[str, Entry], tokens: TokenStore) -> tuple[int, int]:
        """Make the counts those of exactly these entries (content hash -> entry): add the
        new ones, subtract the gone ones. Returns (added, removed)."""
        with closing(self._connect()) as db:
            if self._current(db, entries):
                return 0, 0  # every new view asks: only a changed state takes the write lock
            db.isolation_level = None
            db.execute("BEGIN IMMEDIATE")  # two processes must not both add one new entry
            try:
                counts = self._update(db, entries, tokens)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        return counts

    @staticmethod
    def _current(db: sqlite3.Connection, entries: Mapping[str, Entry]) -> bool:
        """Whether the counts are already those of exactly these entries, at this version."""
        stored = dict(db.execute("SELECT hash, version FROM docs"))
        return stored.keys() == entries.keys() and all(v == BRIDGE_VERSION for v in stored.values())

    def _update(self, db: sqlite3.Connection, entries: Mapping[str, Entry], tokens: TokenStore) -> tuple[int, int]:
        """The counts made those of exactly these entries, inside the caller's transaction."""
        have = {h for (h,) in db.execute("SELECT hash FROM docs WHERE version = ?", [BRIDGE_VERSION])}
        if db.execute("SELECT 1 FROM docs WHERE version != ? LIMIT 1", [BRIDGE_VERSION]).fetchone():
            for table in ("docs", "words", "pairs"):
                db.execute(f"DELETE FROM {table}")
            have = set()
        new = [h for h in entries if h not in have]
        gone = [h for h in have if h not in entries]
        for h in gone:
            ko, en = db.execute("SELECT ko, en FROM docs WHERE hash = ?", [h]).fetchone()
            _count(db, ko.split(), en.split(), -1)
            db.execute("DELETE FROM docs WHERE hash = ?", [h])
        fields = tokens.complete({h: entries[h] for h in new})
        for h in new:
            korean, english = parallel_sides(entries[h], fields[h]["comment"])
            db.execute("INSERT INTO docs VALUES (?, ?, ?, ?)",
                       [h, BRIDGE_VERSION, " ".join(sorted(korean)), " ".join(sorted(english))])
            _count(db, korean, english, 1)
        db.execute("DELETE FROM pairs WHERE n <= 0")
        db.execute("DELETE FROM words WHERE n <= 0")
        return len(new), len(gone)

    def pairs(self) -> list[Pair]:
        """Every Korean -> English pair that clears the bar, best first per word."""
        if not self.path.exists():
            return []
        with closing(self._connect()) as db:
            words = dict(db.execute("SELECT word, n FROM words"))
            rows = db.execute("SELECT ko, en, n FROM pairs WHERE n >= ?", [MIN_PAIR_COUNT]).fetchall()
        out = []
        for ko, en, n in rows:
            jaccard = n / (words.get("ko:" + ko, n) + words.get("en:" + en, n) - n)
            if jaccard >= MIN_JACCARD:
                out.append(Pair(ko, en, round(jaccard, 3), n, "digest"))
        return sorted(out, key=lambda p: (p.source_word, -p.score, p.translation))


def _count(db: sqlite3.Connection, korean: Iterable[str], english: Iterable[str], sign: int) -> None:
    korean, english = list(korean), list(english)
    upsert = "INSERT INTO {t} VALUES ({v}, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n"
    db.executemany(upsert.format(t="words", v="?"),
                   [("ko:" + k, sign) for k in korean] + [("en:" + e, sign) for e in english])
    db.executemany(upsert.format(t="pairs", v="?, ?"), [(k, e, sign) for k in korean for e in english])


@lru_cache(maxsize=1)
def glossary() -> tuple[Pair, ...]:
    """The bundled pairs: Korean word(s) <TAB> English term, one per line, '#' comments."""
    out = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            ko, en = (part.strip() for part in line.split("\t", 1))
            out.append(Pair(ko, en, 1.0, 0, "glossary"))
    return tuple(out)


class Bridge:
    """Translations of question tokens both ways, from the mined pairs and the glossary."""

    def __init__(self, pairs: Iterable[Pair]) -> None:
        self.pairs = list(pairs)
        self.ko_to_en: dict[str, list[str]] = {}
        self.en_to_ko: dict[str, list[str]] = {}
        per_word: Counter[str] = Counter()
        for pair in self.pairs:  # best first per word
            if pair.origin == "digest":
                if per_word[pair.source_word] >= MAX_PER_WORD:
                    continue
                per_word[pair.source_word] += 1
                self._add(pair.source_word, pair.translation)
            else:
                # Word by word only when both sides have as many words ("강화 학습" /
                # "reinforcement learning"): every Korean word paired with every English one
                # would make 학습 mean "self-supervised" through "자기 지도 학습".
                korean, english = pair.source_word.split(), english_tokens(pair.translation)
                if len(korean) == len(english):
                    for ko, en in zip(korean, english):
                        self._add(ko, en)

    def _add(self, ko: str, en: str) -> None:
        self.ko_to_en.setdefault(ko, [])
        if en not in self.ko_to_en[ko]:
            self.ko_to_en[ko].append(en)
        self.en_to_ko.setdefault(en, [])
        if ko not in self.en_to_ko[en]:
            self.en_to_ko[en].append(ko)

    def english_of(self, korean_tokens: Sequence[str]) -> str | None:
        """The glossary's English for a Korean term given as tokens ("지식 증류"), if it has one."""
        wanted = " ".join(korean_tokens)
        return next((p.translation for p in self.pairs if p.origin == "glossary" and p.source_word == wanted), None)

    def translations(self, token: str) -> list[str]:
        """The other language's tokens for one token (Korean morpheme or English stem)."""
        return self.ko_to_en.get(token, []) if HANGUL.search(token) else self.en_to_ko.get(token, [])

    def terms(self, word: str) -> list[Pair]:
        """Every pair a word takes part in, either side, as `rag terms` shows them."""
        from rag.index.tokens import tokenize

        keys = set(tokenize(word)) | {word}
        out = []
        for pair in self.pairs:
            sides = {*pair.source_word.split(), *english_tokens(pair.translation), pair.translation}
            if keys & sides or word in (pair.source_word, pair.translation):
                out.append(pair)
        return out


def update_bridge(index_dir: Path, entries: Mapping[str, Entry]) -> None:
    """Bring the counts up to date with the committed entries (content hash -> entry); a store
    that cannot be written (a read-only index folder) keeps the counts it has, and says so."""
    try:
        BridgeStore(index_dir).update(entries, TokenStore(index_dir))
    except (sqlite3.Error, OSError) as exc:
        log.warning("the term bridge could not be updated (%s); using the pairs it has", exc)


def load_bridge(index_dir: Path, entries: Mapping[str, Entry] | None = None) -> Bridge:
    """The pairs mined for an index directory, with the glossary's; given the committed
    entries (content hash -> entry), the counts are brought up to date with them first.

    A store that cannot be written (a read-only index folder) keeps the pairs it has.
    """
    store = BridgeStore(index_dir)
    if entries is not None:
        update_bridge(index_dir, entries)
    try:
        mined = store.pairs()
    except sqlite3.Error as exc:
        log.warning("the term bridge could not be read (%s); using the glossary only", exc)
        mined = []
    return Bridge([*mined, *glossary()])

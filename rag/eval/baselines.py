"""Naive baselines for `rag eval`: fixed-size windows over the raw day files, ranked two ways.

Both baselines see the day files the way a generic RAG tutorial would: 1000-character
windows with 200 characters of overlap, cut with no regard for entries. A window credits
every entry its characters overlap (entry spans come from the parsed entries' title lines),
and a baseline ranks entries in order of their first appearance among the ranked windows.

- `bm25`: BM25 over lowercase word tokens (bm25s), no morphology, no fields.
- `dense_naive`: LangChain + Chroma similarity search with the project's own embedder, in a
  collection of its own, cached by a hash of the data files so a second run embeds nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import bm25s
import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings

from rag.digest import ParseError, check_data_dir, day_files, parse_day_file
from rag.model import Entry

WINDOW_CHARS = 1000
WINDOW_OVERLAP = 200
# Part of the cache key: bump when windowing or crediting changes, so old vectors are dropped.
BASELINE_VERSION = 1
COLLECTION_PREFIX = "naive-"

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Window:
    """One fixed-size window of a day file and the entries it overlaps, in file order."""

    id: str
    text: str
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class WindowCorpus:
    """Every window of a data directory, plus a hash of the files it was cut from."""

    windows: tuple[Window, ...]
    data_hash: str
    skipped: tuple[str, ...]  # one error per day file that did not parse


# ---- pure: windows and the entries they credit -------------------------------------------

def fixed_windows(length: int, size: int = WINDOW_CHARS, overlap: int = WINDOW_OVERLAP) -> list[tuple[int, int]]:
    """(start, end) character spans of fixed windows covering a text of this length."""
    if size <= overlap:
        raise ValueError(f"window size {size} must exceed its overlap {overlap}")
    spans = []
    start = 0
    while start < length:
        spans.append((start, min(start + size, length)))
        if start + size >= length:
            break
        start += size - overlap
    return spans


def line_starts(text: str) -> list[int]:
    """Character offset of every line (split on "\\n", as the parser numbers lines)."""
    starts = [0]
    for line in text.split("\n")[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    return starts


def entry_spans(text: str, title_lines: Sequence[int]) -> list[tuple[int, int]]:
    """Character span of each entry: from its title line to the next entry's (or the end)."""
    starts = line_starts(text)
    begins = [starts[line - 1] for line in title_lines]
    return [(b, begins[i + 1] if i + 1 < len(begins) else len(text)) for i, b in enumerate(begins)]


def overlapping(span: tuple[int, int], spans: Sequence[tuple[int, int]]) -> list[int]:
    """Indices of the spans that share at least one character with span."""
    lo, hi = span
    return [i for i, (start, end) in enumerate(spans) if start < hi and lo < end]


def entries_in_order(windows: Iterable[Window], n: int) -> list[Entry]:
    """The first n distinct entries credited by ranked windows, in order of first appearance."""
    seen: dict[str, Entry] = {}
    for window in windows:
        for entry in window.entries:
            seen.setdefault(entry.id, entry)
            if len(seen) >= n:
                return list(seen.values())
    return list(seen.values())


def day_file_windows(rel: str, text: str, entries: Sequence[Entry]) -> list[Window]:
    """The windows of one day file, each crediting the entries it overlaps."""
    ordered = sorted(entries, key=lambda e: e.source.line)
    spans = entry_spans(text, [e.source.line for e in ordered])
    return [
        Window(id=f"{rel}@{start}", text=text[start:end],
               entries=tuple(ordered[i] for i in overlapping((start, end), spans)))
        for start, end in fixed_windows(len(text))
    ]


# ---- I/O: the data directory -------------------------------------------------------------

def load_windows(data_dir: Path) -> WindowCorpus:
    """Windows of every day file under data_dir; files that do not parse are skipped."""
    data_dir = Path(data_dir)
    check_data_dir(data_dir)
    digest = hashlib.sha256(f"v{BASELINE_VERSION}/{WINDOW_CHARS}/{WINDOW_OVERLAP}".encode())
    windows: list[Window] = []
    skipped: list[str] = []
    for path in day_files(data_dir):
        rel = path.relative_to(data_dir).as_posix()
        raw = path.read_bytes()
        digest.update(f"\0{rel}\0".encode() + hashlib.sha256(raw).digest())
        try:
            entries = parse_day_file(path)
        except ParseError as err:
            skipped.append(str(err))
            continue
        # The parser drops a BOM before numbering lines; the windows are cut from the same text.
        text = raw.decode("utf-8").removeprefix("\ufeff")
        windows.extend(day_file_windows(rel, text, entries))
    return WindowCorpus(windows=tuple(windows), data_hash=digest.hexdigest(), skipped=tuple(skipped))


# ---- the two baselines -------------------------------------------------------------------

def bm25_tokens(texts: list[str]) -> list[list[str]]:
    """Lowercase word tokens (bm25s' default pattern, no stopwords, no stemming)."""
    return bm25s.tokenize(texts, lower=True, stopwords=None, return_ids=False, show_progress=False)


class BM25Baseline:
    """BM25 over the raw windows."""

    name = "bm25"

    def __init__(self, corpus: WindowCorpus) -> None:
        self.windows = corpus.windows
        self._bm25 = bm25s.BM25()
        if self.windows:
            self._bm25.index(bm25_tokens([w.text for w in self.windows]), show_progress=False)

    def rank(self, question: str, n: int = 10) -> list[Entry]:
        """Entries of the best-scoring windows, first appearance first."""
        if not self.windows:
            return []
        scores = self._bm25.get_scores(bm25_tokens([question])[0])
        order = np.argsort(-scores, kind="stable")
        # A window that shares no word with the question is no evidence at all.
        return entries_in_order((self.windows[i] for i in order if scores[i] > 0), n)


class DenseNaiveBaseline:
    """LangChain Chroma similarity search over the raw windows, with the project's embedder."""

    name = "dense_naive"

    def __init__(self, corpus: WindowCorpus, embedder: Embeddings, persist_dir: Path,
                 batch: int = 64, on_progress: Progress | None = None) -> None:
        self.windows = {w.id: w for w in corpus.windows}
        persist_dir = Path(persist_dir)
        persist_dir.mkdir(parents=True, exist_ok=True)
        client = chromadb.PersistentClient(path=str(persist_dir), settings=ChromaSettings(anonymized_telemetry=False))
        name = COLLECTION_PREFIX + corpus.data_hash[:16]
        existing = {c.name for c in client.list_collections()}
        # Windows of other data (an older hash) are dead weight: one cached corpus per dir.
        for stale in existing - {name}:
            if stale.startswith(COLLECTION_PREFIX):
                client.delete_collection(stale)
        reuse = name in existing and client.get_collection(name).count() == len(self.windows)
        if name in existing and not reuse:
            client.delete_collection(name)  # a killed build: start over
        self.store = Chroma(
            collection_name=name, embedding_function=embedder, client=client,
            collection_configuration={"hnsw": {"space": "cosine"}},
        )
        self.built = not reuse
        if self.built:
            self._add(list(corpus.windows), batch, on_progress)

    def _add(self, windows: list[Window], batch: int, on_progress: Progress | None) -> None:
        for start in range(0, len(windows), batch):
            part = windows[start : start + batch]
            self.store.add_texts(texts=[w.text for w in part], ids=[w.id for w in part],
                                 metadatas=[{"n_entries": len(w.entries)} for w in part])
            if on_progress:
                on_progress(min(start + batch, len(windows)), len(windows))

    def rank(self, question: str, n: int = 10) -> list[Entry]:
        """Entries of the nearest windows, fetching more windows until n entries are found."""
        total = len(self.windows)
        fetch = min(total, 2 * n)
        while True:
            docs = self.store.similarity_search(question, k=fetch) if fetch else []
            entries = entries_in_order((self.windows[d.id] for d in docs if d.id in self.windows), n)
            if len(entries) >= n or fetch >= total:
                return entries
            fetch = min(total, fetch * 2)

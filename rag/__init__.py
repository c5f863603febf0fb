"""digest-rag: ask a bilingual daily ML-paper digest, get answers that cite their entries.

The public API is three calls, shared by the CLI and the web app:

    from rag import answer, search, reindex
    a = answer("Which paper folds image tokens into channels?")
    a.text, a.citations, a.abstained
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

from rag.answer import Answer, Citation, QuestionError, answer_question, answer_stream as _answer_stream
from rag.config import Settings, load_settings
from rag.conversation import History
from rag.digest import Entry, ParseError
from rag.index import Index, ReindexReport, reindex as _reindex
from rag.locks import IndexLockedError
from rag.question import Filters
from rag.retrieve import Hit, search_index

__all__ = [
    "Answer", "Citation", "Entry", "Filters", "Hit", "Index", "IndexLockedError", "ParseError",
    "QuestionError", "ReindexReport", "Settings", "answer", "answer_stream", "get_index", "reindex", "search",
]

_indexes: dict[tuple, Index] = {}
_lock = threading.Lock()


def get_index(settings: Settings | None = None, build_if_empty: bool = True) -> Index:
    """The process-wide Index for these settings, indexing the data directory if it is empty."""
    settings = settings or load_settings()
    key = (str(settings.index_dir), settings.chroma_url, settings.embedder, settings.collection)
    with _lock:
        index = _indexes.get(key)
        if index is None:
            if build_if_empty and not (Path(settings.index_dir) / "manifest.json").exists() and not settings.chroma_url:
                _reindex(settings, lock_wait_s=600)
            index = _indexes[key] = Index(settings)
        return index


def search(question: str, k: int = 10, filters: Filters | None = None, settings: Settings | None = None) -> list[Hit]:
    """The k entries that best answer a question, best first."""
    from rag.answer import check_question

    hits = search_index(get_index(settings), check_question(question), k, filters).hits
    return hits[:k]


def answer(
    question: str, history: History | None = None, filters: Filters | None = None,
    settings: Settings | None = None, lang: str | None = None,
) -> Answer:
    """Answer a question from the digest, with [n] citations pointing at entries.

    `lang` ("en"/"ko") forces the answer language; by default it follows the question.
    """
    settings = settings or load_settings()
    return answer_question(get_index(settings), settings, question, history, filters, lang=lang)


def answer_stream(
    question: str, history: History | None = None, filters: Filters | None = None,
    settings: Settings | None = None, lang: str | None = None,
) -> Iterator[str | Answer]:
    """Yield the answer's text as it is written, then the final Answer."""
    settings = settings or load_settings()
    return _answer_stream(get_index(settings), settings, question, history, filters, lang=lang)


def reindex(data_dir: str | Path | None = None, settings: Settings | None = None, on_progress=None) -> ReindexReport:
    """Index new and changed day files, drop removed ones; returns what changed."""
    settings = settings or load_settings()
    report = _reindex(settings, Path(data_dir) if data_dir else None, on_progress=on_progress)
    return report

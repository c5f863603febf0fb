"""digest-rag: ask a bilingual daily ML-paper digest, get answers that cite their entries.

The public API, shared by the CLI, the web app and the MCP server:

    from rag import answer, search, reindex, understand, as_retriever
    a = answer("Which paper folds image tokens into channels?")
    a.text, a.citations, a.abstained

The package reads as the flow: `digest` parses day files into `model.Entry`; `index/` chunks,
embeds and stores them (reindex) and reads the committed state back (reader); `ask/` reads a
question, retrieves and writes the answer; `app/` is the CLI, the web app, the MCP server and the
day brief; `eval/` measures.

Importing `rag` (or any `rag.x`, which imports this first) loads nothing heavy: the API's
functions live in `rag.api` and the names below are imported on first use, so `rag reindex`
with nothing to do never loads the embedder, Kiwi, Chroma or LangChain.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# Public name -> the module that defines it.
_HOMES = {
    "answer": "rag.api", "answer_stream": "rag.api", "search": "rag.api", "understand": "rag.api",
    "reindex": "rag.api", "record_feedback": "rag.api", "get_index": "rag.index.reader", "Index": "rag.index.reader",
    "as_retriever": "rag.retriever", "DigestRetriever": "rag.retriever",
    "Answer": "rag.model", "Citation": "rag.model", "Entry": "rag.model", "Filters": "rag.model",
    "Hit": "rag.model", "ReindexReport": "rag.model", "Understanding": "rag.ask.question",
    "QuestionError": "rag.ask.prepare", "ParseError": "rag.digest", "IndexLockedError": "rag.index.locks",
    "Settings": "rag.config", "day_brief": "rag.app.brief", "DayError": "rag.app.brief",
}
__all__ = [
    "Answer", "Citation", "DayError", "DigestRetriever", "Entry", "Filters", "Hit", "Index", "IndexLockedError",
    "ParseError", "day_brief",
    "QuestionError", "ReindexReport", "Settings", "Understanding", "answer", "answer_stream", "as_retriever",
    "get_index", "record_feedback", "reindex", "search", "understand",
]

if TYPE_CHECKING:
    from rag.api import answer, answer_stream, record_feedback, reindex, search, understand
    from rag.app.brief import DayError, day_brief
    from rag.ask.prepare import QuestionError
    from rag.ask.question import Understanding
    from rag.config import Settings
    from rag.digest import ParseError
    from rag.index.locks import IndexLockedError
    from rag.index.reader import Index, get_index
    from rag.model import Answer, Citation, Entry, Filters, Hit, ReindexReport
    from rag.retriever import DigestRetriever, as_retriever


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'rag' has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name]), name)
    globals()[name] = value  # later lookups skip this function
    return value

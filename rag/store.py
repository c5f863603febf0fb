"""The Chroma side of the index: client, collection and the LangChain vector store over it."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings

from rag.config import Settings


class StoreUnavailableError(RuntimeError):
    """The Chroma server (RAG_CHROMA_URL) could not be reached."""


def _client(settings: Settings) -> chromadb.ClientAPI:
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if not settings.chroma_url:
        path = Path(settings.index_dir) / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    url = urlparse(settings.chroma_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ValueError(f"RAG_CHROMA_URL must look like http://host:port, got {settings.chroma_url!r}")
    try:
        return chromadb.HttpClient(
            host=url.hostname,
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
    except Exception as exc:  # chromadb raises bare ValueError/ConnectionError variants here
        raise StoreUnavailableError(
            f"cannot reach the Chroma server at {settings.chroma_url}: {exc}"
        ) from exc


def open_store(settings: Settings, embedder: Embeddings, collection: str) -> Chroma:
    """The LangChain Chroma store; the embedder is always passed so Chroma never downloads one."""
    return Chroma(
        collection_name=collection,
        embedding_function=embedder,
        client=_client(settings),
        collection_configuration={"hnsw": {"space": "cosine"}},
    )


def drop_collection(settings: Settings, collection: str) -> None:
    """Delete a collection that no committed manifest points at any more."""
    client = _client(settings)
    if collection in {c.name for c in client.list_collections()}:
        client.delete_collection(collection)

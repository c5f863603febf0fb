"""The Chroma side of the index: one local store updated in place, or a collection on a server.

Locally Chroma is the store of record the card asks for (entries are embedded into it, and
LangChain users read it through `Index.vectorstore`), but our own searches read the segments'
matrices (`rag.index.segments`), and the manifest says what is committed. Two facts about
Chroma's local store (checked with chromadb 1.5.9) shape how it is written:
- It is not crash-safe: a writer killed with SIGKILL while Chroma persists its HNSW files can
  leave them unreadable (the next process to open the store segfaults). So a writer marks the
  store before it opens it and unmarks it after closing; a marked store is rebuilt from the
  segments, which hold every committed vector (`rag.index.mirror`).
- A long-lived client does not see vectors another process added (it caches the HNSW index
  per path), so `Index.vectorstore` opens a new client once the store has changed.

With a Chroma server (RAG_CHROMA_URL) the server owns durability and every client sees the
same data, so writes go straight into the collection and the manifest says which chunks count.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from rag.config import Settings, secret
from rag.index.manifest import ManifestError
from rag.model import Filters

if TYPE_CHECKING:  # chromadb and langchain_chroma are slow to import; a no-op reindex needs neither
    import chromadb
    from chromadb.api.collection_configuration import CreateCollectionConfiguration
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_core.embeddings import Embeddings

STORE_DIR = "store"
HNSW: CreateCollectionConfiguration = {"hnsw": {"space": "cosine"}}


class StoreUnavailableError(RuntimeError):
    """The vector store cannot be used: the Chroma server is unreachable, or a local store or segment is missing."""


def is_local(settings: Settings) -> bool:
    """True when vectors live in index_dir (no RAG_CHROMA_URL)."""
    return not settings.chroma_url


def store_path(settings: Settings) -> Path:
    """The local Chroma store of an index directory."""
    return Path(settings.index_dir) / STORE_DIR


def store_stamp(settings: Settings) -> object:
    """What changes when the local Chroma store is written (() on a server)."""
    stamps = []
    for name in ("chroma.sqlite3", "chroma.sqlite3-wal") if is_local(settings) else ():
        try:
            st = (store_path(settings) / name).stat()
        except OSError:
            continue
        stamps.append((st.st_ino, st.st_mtime_ns, st.st_size))
    return tuple(stamps)


def _chroma_settings() -> ChromaSettings:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False)


def _persistent_client(path: Path) -> chromadb.ClientAPI:
    import chromadb

    return chromadb.PersistentClient(path=str(path), settings=_chroma_settings())


def _http_client(settings: Settings) -> chromadb.ClientAPI:
    import chromadb

    url = urlparse(settings.chroma_url or "")
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ValueError(f"RAG_CHROMA_URL must look like http://host:port, got {settings.chroma_url!r}")
    try:
        return chromadb.HttpClient(
            host=url.hostname,
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            # A deployment behind auth: the token rides in the standard header.
            headers={"Authorization": f"Bearer {secret(settings.chroma_token)}"} if settings.chroma_token else None,
            settings=_chroma_settings(),
        )
    except Exception as exc:  # chromadb raises bare ValueError/ConnectionError variants here
        raise StoreUnavailableError(
            f"cannot reach the Chroma server at {settings.chroma_url}: {exc}"
        ) from exc


def connect(settings: Settings) -> chromadb.ClientAPI:
    """A client of the local store or the server; close() it when done."""
    if not is_local(settings):
        return _http_client(settings)
    path = store_path(settings)
    if not (path / "chroma.sqlite3").is_file():
        raise StoreUnavailableError(f"the vector store {path} is missing; run `rag reindex` to rebuild it")
    return _persistent_client(path)


def local_client(settings: Settings) -> chromadb.ClientAPI:
    """A client of the local store, created when missing (writers only)."""
    path = store_path(settings)
    path.mkdir(parents=True, exist_ok=True)
    return _persistent_client(path)


def open_store(settings: Settings, embedder: Embeddings, collection: str, client: chromadb.ClientAPI) -> Chroma:
    """The LangChain Chroma store over an existing collection (readers never create one)."""
    from langchain_chroma import Chroma

    return Chroma(
        collection_name=collection,
        embedding_function=embedder,  # always passed, so Chroma never downloads a model
        client=client,
        create_collection_if_not_exists=False,
    )


def close_client(client: chromadb.ClientAPI | None) -> None:
    """Release a client (for a local store, its HNSW index in memory once nobody else uses it)."""
    close = getattr(client, "close", None)
    if close is not None:
        close()


def server_collection(settings: Settings, collection: str) -> tuple[chromadb.ClientAPI, chromadb.Collection]:
    """Where a reindex writes on a server: the collection, created when missing."""
    client = _http_client(settings)
    return client, client.get_or_create_collection(collection, configuration=HNSW)


def sweep_collections(settings: Settings, prefix: str, keep: set[str]) -> list[str]:
    """Delete the server's collections named `<prefix>-...` (of other index settings) not in `keep`."""
    removed: list[str] = []
    ours = re.compile(rf"{re.escape(prefix)}-[0-9a-f]{{10}}")
    client = _http_client(settings)
    try:
        for collection in client.list_collections():
            if ours.fullmatch(collection.name) and collection.name not in keep:
                client.delete_collection(collection.name)
                removed.append(collection.name)
    finally:
        close_client(client)
    return removed


@contextmanager
def server_errors(settings: Settings) -> Iterator[None]:
    """Turn any failure talking to a Chroma server into one StoreUnavailableError.

    httpx and chromadb raise many types when the server is away; locally an error is a real
    bug and passes through unchanged.
    """
    try:
        yield
    except (ManifestError, StoreUnavailableError):
        raise
    except Exception as exc:
        if is_local(settings):
            raise
        raise StoreUnavailableError(f"the Chroma server at {settings.chroma_url} failed: {exc}") from exc


def chroma_where(filters: Filters) -> dict | None:
    """The same constraints as a Chroma metadata filter."""
    conditions: list[dict] = []
    day_clauses = [
        {"$and": [{"day": {"$gte": int(lo.strftime("%Y%m%d"))}}, {"day": {"$lte": int(hi.strftime("%Y%m%d"))}}]}
        for lo, hi in filters.days
    ]
    tag_clauses = [{"tags": {"$contains": t}} for t in filters.tags]
    id_clauses = [{"entry_id": {"$in": list(filters.ids)}}] if filters.ids else []
    for group in (day_clauses, tag_clauses, id_clauses):
        if len(group) == 1:
            conditions.append(group[0])
        elif group:
            conditions.append({"$or": group})
    if not conditions:
        return None
    return conditions[0] if len(conditions) == 1 else {"$and": conditions}

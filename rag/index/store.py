"""The Chroma side of the index: immutable local generations, or a collection on a server.

Two facts about Chroma's local (PersistentClient) store shape this module, both checked
with chromadb 1.5.9:
- It is not crash-safe: a writer killed with SIGKILL while Chroma persists its HNSW files can
  leave them unreadable (the next process to open the store segfaults).
- A long-lived client does not see vectors another process added: it caches the HNSW index
  per path, and queries keep answering from that cache (count() and get() do see them).

So a local index is a series of *generations*, `index_dir/chroma/<generation>/`, each a
complete Chroma directory. A reindex copies the committed generation to a new one, writes
there, closes and fsyncs it; committing the manifest that names it is the switch. Nobody
writes a committed generation again, so a killed writer only ever damages an uncommitted copy,
and a reader that sees a new manifest opens a new path, which Chroma has never cached.

With a Chroma server (RAG_CHROMA_URL) the server owns durability and every client sees the
same data, so writes go straight into the collection and the manifest says which chunks count.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from rag.config import Settings, secret
from rag.index.manifest import ManifestError
from rag.index.vectors import FILES as VECTOR_FILES
from rag.model import Filters

if TYPE_CHECKING:  # chromadb and langchain_chroma are slow to import; a no-op reindex needs neither
    import chromadb
    from chromadb.api.collection_configuration import CreateCollectionConfiguration
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_core.embeddings import Embeddings

GENERATIONS_DIR = "chroma"
HNSW: CreateCollectionConfiguration = {"hnsw": {"space": "cosine"}}


class StoreUnavailableError(RuntimeError):
    """The vector store cannot be used: the Chroma server is unreachable or a generation is missing."""


def is_local(settings: Settings) -> bool:
    """True when vectors live in index_dir (no RAG_CHROMA_URL)."""
    return not settings.chroma_url


def generations_dir(settings: Settings) -> Path:
    """Where the local generations of an index directory live."""
    return Path(settings.index_dir) / GENERATIONS_DIR


def generation_path(settings: Settings, generation: str) -> Path:
    """The Chroma directory of one local generation (open it read-only: never write to it)."""
    return generations_dir(settings) / generation


def generation_exists(settings: Settings, generation: str) -> bool:
    """True when a local generation's Chroma directory is there."""
    return bool(generation) and (generation_path(settings, generation) / "chroma.sqlite3").is_file()


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


def connect(settings: Settings, generation: str = "") -> chromadb.ClientAPI:
    """A client for reading a committed generation (local) or the server; close() it when done."""
    if not is_local(settings):
        return _http_client(settings)
    path = generation_path(settings, generation)
    if not generation_exists(settings, generation):
        raise StoreUnavailableError(
            f"the vector store {path} of the committed index is missing; run `rag reindex` to rebuild it"
        )
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


@dataclass
class Writer:
    """Where one reindex writes: a private copy of the committed generation, or the server."""

    client: chromadb.ClientAPI
    collection: chromadb.Collection
    generation: str  # "" on a server
    path: Path | None  # the generation's directory, None on a server

    @property
    def private(self) -> bool:
        """True when no reader can see these writes before the commit."""
        return self.path is not None

    def finish(self) -> None:
        """Close the client, then make the generation durable before a manifest names it."""
        close_client(self.client)
        if self.path is not None:
            _fsync_tree(self.path)


def generation_name(collection: str, version: int) -> str:
    """A new local generation's directory name: collection, manifest version, random tag.

    Never reusing a name matters: Chroma caches one client system per path in a process, so
    a path that held a killed or failed attempt could hand a new writer a stale system.
    """
    return f"{collection}-v{version:06d}-{secrets.token_hex(4)}"


def begin_write(settings: Settings, collection: str, version: int, base_generation: str | None) -> Writer:
    """Open where a reindex writes; locally, a copy of `base_generation` (None: start empty)."""
    if not is_local(settings):
        client = _http_client(settings)
        return Writer(client, client.get_or_create_collection(collection, configuration=HNSW), "", None)
    root = generations_dir(settings)
    root.mkdir(parents=True, exist_ok=True)
    generation = generation_name(collection, version)
    path = root / generation
    try:
        if base_generation:
            _copy_generation(root / base_generation, path)
        else:
            path.mkdir()
        client = _persistent_client(path)
        return Writer(client, client.get_or_create_collection(collection, configuration=HNSW), generation, path)
    except BaseException:
        shutil.rmtree(path, ignore_errors=True)  # a copy cut short (a full disk) is not left behind
        raise


def _copy_generation(src: Path, dst: Path) -> None:
    """Copy a committed generation; its SQLite file through the backup API.

    Readers of a committed generation write a row to its SQLite file when they open it, so a
    plain file copy could tear; the HNSW files are only ever written by the writer that made
    the generation, which closed them before the commit.
    """
    if not (src / "chroma.sqlite3").is_file():
        raise StoreUnavailableError(f"the vector store {src} of the committed index is missing")
    dst.mkdir()
    for item in src.iterdir():
        if item.is_dir():
            shutil.copytree(item, dst / item.name)
        # SQLite goes through its backup API below; the writer rewrites the vector matrix.
        elif item.name not in (*VECTOR_FILES, "chroma.sqlite3") and not item.name.startswith("chroma.sqlite3-"):
            shutil.copy2(item, dst / item.name)
    source = sqlite3.connect(src / "chroma.sqlite3", timeout=30)
    target = sqlite3.connect(dst / "chroma.sqlite3")
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def _fsync_tree(path: Path) -> None:
    for folder, _, names in os.walk(path):
        for name in names:
            fd = os.open(os.path.join(folder, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def sweep(settings: Settings, prefix: str, keep: set[str]) -> list[str]:
    """Delete generations (local) or collections (server) named `<prefix>-...` not in `keep`.

    Locally everything else under `index_dir/chroma/` goes too: it can only be a copy left by
    a killed reindex, or the single-directory layout of older versions.
    """
    removed: list[str] = []
    if is_local(settings):
        root = generations_dir(settings)
        if not root.is_dir():
            return removed
        for item in sorted(root.iterdir()):
            if item.name in keep:
                continue
            if item.is_dir():
                shutil.rmtree(item)
            else:
                item.unlink()
            removed.append(item.name)
        return removed
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


def list_collections(settings: Settings) -> dict[str, list[str]]:
    """Collection names by generation ("" on a server): what the store holds, for checks."""
    if not is_local(settings):
        client = _http_client(settings)
        try:
            return {"": sorted(c.name for c in client.list_collections())}
        finally:
            close_client(client)
    out: dict[str, list[str]] = {}
    root = generations_dir(settings)
    for item in sorted(root.iterdir()) if root.is_dir() else []:
        if (item / "chroma.sqlite3").is_file():
            client = _persistent_client(item)
            try:
                out[item.name] = sorted(c.name for c in client.list_collections())
            finally:
                close_client(client)
    return out


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

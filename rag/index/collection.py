"""The Chroma collection of one committed index state, connected only when first used: a
local search reads the vector matrix and never pays Chroma's imports and start-up."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from rag.config import Settings
from rag.index.manifest import Manifest
from rag.index.store import close_client, connect, server_errors

if TYPE_CHECKING:  # chromadb is slow to import; a local search never needs it
    import chromadb


class Collection:
    """The Chroma collection of one committed state, connected on first use and closed by
    the Index one refresh after it is replaced (a search may still be using it)."""

    def __init__(self, settings: Settings, manifest: Manifest) -> None:
        self._settings, self._manifest = settings, manifest
        self._client: chromadb.ClientAPI | None = None
        self._collection: chromadb.Collection | None = None
        self._lock = threading.Lock()

    def get(self):
        """The chromadb collection (connecting the first time)."""
        return self._connected()[1]

    def client(self):
        """The chromadb client the collection is read through (connecting the first time)."""
        return self._connected()[0]

    def _connected(self) -> tuple:
        with self._lock:
            if self._collection is None:
                self._client = connect(self._settings)
                with server_errors(self._settings):
                    self._collection = self._client.get_collection(self._manifest.collection)
            return self._client, self._collection

    def close(self) -> None:
        """Release the client, if one was ever made."""
        with self._lock:
            close_client(self._client)
            self._client, self._collection = None, None

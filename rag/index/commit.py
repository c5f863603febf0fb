"""The commit point: the committed manifest, read or written, in the index directory (a SQLite
file, `rag.index.catalog`) or on a Chroma server.

Readers and reindexes meet only here: a reindex writes everything a manifest names before it
commits the manifest, and a reader sees a new state only when a new manifest is committed.
"""

from __future__ import annotations

from pathlib import Path

from rag.config import Settings
from rag.index.catalog import catalog_stamp, read_catalog, save_catalog
from rag.index.manifest import Manifest
from rag.index.remote import read_remote, remote_stamp, save_remote
from rag.index.store import close_client, connect, is_local, server_errors


def read_committed(settings: Settings, with_entries: bool = True) -> tuple[Manifest, object]:
    """The committed manifest and its stamp: the local file, or the server's copy (whole).

    Locally, without entries each record reads its entry on first use.
    """
    if is_local(settings):
        return read_catalog(Path(settings.index_dir), with_entries)
    client = connect(settings)
    try:
        return _remote_call(settings, read_remote, client)
    finally:
        close_client(client)


def committed_stamp(settings: Settings, client=None) -> object:
    """What changes whenever a new manifest is committed (cheap: a stat, or one get)."""
    if is_local(settings):
        return catalog_stamp(Path(settings.index_dir))
    return _remote_call(settings, remote_stamp, client)


def commit(settings: Settings, manifest: Manifest, committed: Manifest) -> None:
    """Make a manifest the committed state: the commit point of every reindex. `committed` is
    the state it replaces (read under the same lock): locally only the rows that differ are written."""
    if is_local(settings):
        save_catalog(Path(settings.index_dir), committed, manifest)
        return
    client = connect(settings)
    try:
        _remote_call(settings, save_remote, client, manifest)
    finally:
        close_client(client)


def _remote_call(settings: Settings, fn, client, *args):
    """Run a manifest call against the server."""
    with server_errors(settings):
        return fn(client if client is not None else connect(settings), settings, *args)

"""The commit point: the committed manifest, read or written, in the index directory or on a
Chroma server.

Readers and reindexes meet only here: a reindex writes everything a manifest names before it
commits the manifest, and a reader sees a new state only when a new manifest is committed.
"""

from __future__ import annotations

from pathlib import Path

from rag.config import Settings
from rag.index.manifest import Manifest, manifest_stamp, read_manifest, save_manifest
from rag.index.remote import read_remote, remote_stamp, save_remote
from rag.index.store import close_client, connect, is_local, server_errors


def read_committed(settings: Settings) -> tuple[Manifest, object]:
    """The committed manifest and its stamp: the local file, or the server's copy."""
    if is_local(settings):
        return read_manifest(Path(settings.index_dir))
    client = connect(settings)
    try:
        return _remote_call(settings, read_remote, client)
    finally:
        close_client(client)


def committed_stamp(settings: Settings, client=None) -> object:
    """What changes whenever a new manifest is committed (cheap: a stat, or one get)."""
    if is_local(settings):
        return manifest_stamp(Path(settings.index_dir))
    return _remote_call(settings, remote_stamp, client)


def commit(settings: Settings, manifest: Manifest) -> None:
    """Make a manifest the committed state: the commit point of every reindex."""
    if is_local(settings):
        save_manifest(Path(settings.index_dir), manifest)
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

"""With a Chroma server the manifest lives on the server too, beside the vectors.

Every app process sharing the server then reads one committed state and derives the same
lexical index from it, whatever its local index directory holds. The manifest is stored
compressed, in pieces, under a fresh tag per commit; one "head" record names the committed
tag. Writing the head is the commit: pieces of an unfinished commit are never named by it.
"""

from __future__ import annotations

import base64
import json
import uuid
import zlib

from rag.config import Settings
from rag.index.manifest import Manifest, ManifestError, manifest_json, parse_manifest_json

HEAD_ID = "head"
LEASE_ID = "lock"  # the reindex lease (rag/index/locks.py) lives beside the manifest
PIECE_CHARS = 512 * 1024
# Records here carry no meaning in vector space, but Chroma wants a vector per record.
_DUMMY = [1.0]


def manifest_collection(client, settings: Settings):
    """The collection holding the manifest (and the reindex lease) on the server."""
    return client.get_or_create_collection(f"{settings.collection}-manifest", embedding_function=None)


def read_record(coll, record_id: str) -> dict | None:
    """The JSON document of one record (head, lease), None when absent; ValueError if unreadable."""
    got = coll.get(ids=[record_id], include=["documents"])
    if not got["ids"]:
        return None
    try:
        return json.loads(got["documents"][0])
    except TypeError as exc:
        raise ValueError(str(exc)) from exc


def write_record(coll, record_id: str, document: str, tag: str) -> None:
    """Store one record; `tag` is what pruning keeps or deletes it by."""
    coll.upsert(ids=[record_id], documents=[document], embeddings=[_DUMMY], metadatas=[{"tag": tag}])


def _head(coll) -> dict | None:
    try:
        return read_record(coll, HEAD_ID)
    except ValueError as exc:
        raise ManifestError(f"the manifest head on the Chroma server is unreadable ({exc})") from exc


def remote_stamp(client, settings: Settings) -> str | None:
    """The committed tag (changes with every commit), None when nothing was committed."""
    head = _head(manifest_collection(client, settings))
    return head["tag"] if head else None


def read_remote(client, settings: Settings) -> tuple[Manifest, str | None]:
    """The committed manifest on the server and its tag (an empty manifest before any commit)."""
    coll = manifest_collection(client, settings)
    head = _head(coll)
    if head is None:
        return Manifest(), None
    ids = [f"{head['tag']}-{i}" for i in range(head["pieces"])]
    got = coll.get(ids=ids, include=["documents"])
    pieces = dict(zip(got["ids"], got["documents"]))
    if set(pieces) != set(ids):
        raise ManifestError(f"the manifest {head['tag']} on the Chroma server is incomplete")
    blob = base64.b64decode("".join(pieces[i] for i in ids))
    return parse_manifest_json(zlib.decompress(blob).decode("utf-8"), f"{settings.chroma_url} manifest"), head["tag"]


def save_remote(client, settings: Settings, manifest: Manifest) -> str:
    """Store the manifest's pieces, then point the head at them; returns the new tag."""
    coll = manifest_collection(client, settings)
    previous = _head(coll)
    tag = f"v{manifest.version}-{uuid.uuid4().hex[:8]}"
    text = base64.b64encode(zlib.compress(manifest_json(manifest).encode("utf-8"), 6)).decode("ascii")
    pieces = [text[i : i + PIECE_CHARS] for i in range(0, len(text), PIECE_CHARS)] or [""]
    for i, piece in enumerate(pieces):  # one at a time keeps each request small
        write_record(coll, f"{tag}-{i}", piece, tag)
    write_record(coll, HEAD_ID, json.dumps({"tag": tag, "pieces": len(pieces)}), HEAD_ID)
    # Keep the previous commit's pieces for readers in the middle of loading it.
    keep = [HEAD_ID, LEASE_ID, tag] + ([previous["tag"]] if previous else [])
    coll.delete(where={"tag": {"$nin": keep}})
    return tag

"""`rag doctor`: do the manifest, the segments and the Chroma store agree?

`check` reports what is wrong, one line each: the manifest (unreadable), each segment
(missing, unreadable, counts or checksum other than the manifest recorded, entries it should
hold and does not), the Chroma store (missing, empty, damaged, a write cut short, its chunk ids
against the manifest's, SQLite's own integrity check), and leftovers of killed runs. `repair`
rebuilds what is derived, without embedding: Chroma from the segments (which hold every
committed vector), a damaged segment from Chroma when Chroma holds its vectors (its term
statistics from the token cache), leftovers by deleting them. A segment neither copy can give
back is taken out of the manifest, so the next `rag reindex` embeds its entries again.

Every repair commits like a reindex (under the same lock, one transaction), so readers never
see a half-repaired index. The last check is kept in the index folder for the app's Index tab
(`last_check`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from rag.config import Settings
from rag.index.checks import StoreCheckError, chroma_ids, difference, integrity
from rag.index.commit import commit, read_committed
from rag.index.compaction import segment_problems
from rag.index.faults import index_faults
from rag.index.lexical import build_postings
from rag.index.locks import reindex_lock
from rag.index.manifest import Manifest, ManifestError
from rag.index.mirror import MARK_NAME, mirror
from rag.index.segments import (
    TEMP_PREFIX,
    legacy_paths,
    remove,
    segments_dir,
    write_segment,
)
from rag.index.store import close_client, is_local, local_client, store_path

log = logging.getLogger(__name__)

CHECK_NAME = "doctor.json"  # the last check, for the app


class NotLocalError(ValueError):
    """The index lives on a Chroma server, which keeps its own store."""


def check(settings: Settings) -> list[str]:
    """What is wrong with the index, one line each (empty when it is sound); kept for `last_check`."""
    if not is_local(settings):
        raise NotLocalError(
            f"`rag doctor` checks a local index; the Chroma server at {settings.chroma_url} keeps its own store, "
            "and readers there ignore chunks no manifest owns"
        )
    problems = _problems(settings)
    _remember(settings, problems)
    return problems


def _problems(settings: Settings) -> list[str]:
    try:
        manifest = read_committed(settings, with_entries=False)[0]
    except ManifestError as err:
        return [f"manifest: {err}"]
    index_dir = Path(settings.index_dir)
    problems = segment_problems(index_dir, manifest)
    if manifest.entries:
        problems += _chroma_problems(settings, manifest)
    leftovers = _leftovers(index_dir, manifest)
    if leftovers:
        problems.append(f"{len(leftovers)} leftovers of killed or failed runs or of an older layout (--repair deletes them)")
    return problems


def _chroma_problems(settings: Settings, manifest: Manifest) -> list[str]:
    path = store_path(settings)
    if (Path(settings.index_dir) / MARK_NAME).exists():
        return [f"Chroma: a write to {path} was cut short; it may be damaged (--repair rebuilds it from the segments)"]
    try:
        held = chroma_ids(path, manifest.collection)
    except StoreCheckError as err:
        return [f"Chroma: {err} (--repair rebuilds it from the segments)"]
    problems = difference("Chroma", held, manifest.chunk_ids())
    verdict = integrity(path)
    if verdict != "ok":
        problems.append(f"Chroma: SQLite integrity check of {path / 'chroma.sqlite3'}: {verdict}")
    return problems


def _leftovers(index_dir: Path, manifest: Manifest) -> list[Path]:
    root = segments_dir(index_dir)
    keep = set(manifest.segments) | set(manifest.retired)
    stray = [p for p in root.iterdir() if p.name not in keep or p.name.startswith(TEMP_PREFIX)] if root.is_dir() else []
    return stray + legacy_paths(index_dir)


def repair(settings: Settings) -> list[str]:
    """Rebuild what is derived, under the reindex lock; returns what was done, one line each."""
    index_dir = Path(settings.index_dir)
    if not is_local(settings):
        check(settings)  # says why there is nothing to do
    done: list[str] = []
    with index_faults(index_dir), reindex_lock(index_dir):
        manifest = read_committed(settings, with_entries=False)[0]
        manifest = _repair_segments(settings, manifest, done)
        if manifest.entries and _chroma_problems(settings, manifest):
            (index_dir / MARK_NAME).touch()  # rebuilt whole from the segments
            added, _ = mirror(settings, manifest)
            done.append(f"rebuilt the Chroma store from the segments ({added} chunks)")
        for path in _leftovers(index_dir, manifest):
            remove(path)
            done.append(f"deleted {path.name}, left by a killed or failed run or an older layout")
    _remember(settings, _problems(settings))
    return done


def _repair_segments(settings: Settings, manifest: Manifest, done: list[str]) -> Manifest:
    """Each damaged segment rewritten from Chroma (its vectors) and the token cache, or taken
    out of the manifest when Chroma does not hold its vectors; one commit for all."""
    index_dir = Path(settings.index_dir)
    bad = [name for name in manifest.segments if segment_problems(index_dir, _only(manifest, name))]
    if not bad:
        return manifest
    new = replace(manifest, version=manifest.version + 1, updated=datetime.now(UTC).isoformat(timespec="seconds"),
                  entries=dict(manifest.entries), segments=dict(manifest.segments))
    for name in bad:
        ids = sorted(eid for eid, rec in manifest.entries.items() if rec.segment == name)
        del new.segments[name]
        info = _segment_from_chroma(settings, manifest, ids, new.next_seq())
        for eid in ids:
            if info is None:
                del new.entries[eid]
            else:
                new.entries[eid] = replace(manifest.entries[eid], segment=info.name)
        if info is not None:
            new.segments[info.name] = info
            done.append(f"rebuilt segment {name} as {info.name} from the Chroma store")
        else:
            done.append(f"took segment {name} ({len(ids)} entries) out of the index, as no copy of its vectors "
                        "is left: run `rag reindex` to embed them again")
    new.retired = sorted(set(manifest.segments) - set(new.segments))
    new.files = {rel: f for rel, f in manifest.files.items() if all(e in new.entries for e in f["entries"])}
    commit(settings, new, manifest)
    return new


def _only(manifest: Manifest, name: str) -> Manifest:
    """The manifest narrowed to one segment and its entries (to check it alone)."""
    return replace(manifest, segments={name: manifest.segments[name]},
                   entries={e: r for e, r in manifest.entries.items() if r.segment == name})


def _segment_from_chroma(settings: Settings, manifest: Manifest, ids: list[str], seq: int):
    """A new segment of these entries with their vectors from Chroma; None when Chroma lacks any."""
    chunk_ids = [c for eid in ids for c in manifest.entries[eid].chunks_of(eid)]
    try:
        held = chroma_ids(store_path(settings), manifest.collection)
    except StoreCheckError:
        return None
    if not held.issuperset(chunk_ids) or (Path(settings.index_dir) / MARK_NAME).exists():
        return None
    client = local_client(settings)
    try:
        got = client.get_collection(manifest.collection).get(ids=chunk_ids, include=["embeddings"])
    finally:
        close_client(client)
    by_id = dict(zip(got["ids"], np.asarray(got["embeddings"], dtype=np.float32)))
    index_dir = Path(settings.index_dir)
    entries = {eid: manifest.entries[eid].entry for eid in ids}
    postings = build_postings(index_dir, entries, {eid: manifest.entries[eid].hash for eid in ids}, ids)
    vectors = np.asarray([by_id[c] for c in chunk_ids], dtype=np.float32) if chunk_ids else np.zeros((0, 0), np.float32)
    return write_segment(index_dir, seq, ids, postings, chunk_ids, vectors)


def _remember(settings: Settings, problems: list[str]) -> None:
    """Keep the check's result for the app; an index folder that cannot be written keeps none."""
    record = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "problems": problems}
    try:
        (Path(settings.index_dir) / CHECK_NAME).write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    except OSError as err:
        log.info("the doctor's result is not kept: %s", err)


def last_check(settings: Settings) -> tuple[str, list[str]] | None:
    """The last check (its time, its problems) for the app's Index tab; None when never run."""
    try:
        record = json.loads((Path(settings.index_dir) / CHECK_NAME).read_text(encoding="utf-8"))
        return str(record["at"]), [str(p) for p in record["problems"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None

"""`rag doctor`: do the manifest, the vector store and what is derived from them agree?

`check` reports what is wrong, one line each: the committed generation's Chroma file (missing,
empty, damaged, SQLite's own integrity check), its chunk ids against the manifest's, the
vector matrix against both, the lexical index, and leftovers of killed runs. `repair` fixes
what can be rebuilt without embedding: a damaged Chroma store from the vector matrix (the
chunks' text and metadata come from the manifest's entries), a damaged matrix from Chroma,
the lexical index from the token cache, leftovers by deleting them. When both copies of the
vectors are lost it removes the damaged store, so the next `rag reindex` rebuilds the index.

Every repair that touches vectors writes a new generation and commits it like a reindex
(under the same lock, checked before the commit), so readers never see a half-repaired
store. The last check is kept in the index folder for the app's Index tab (`last_check`).
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from rag.config import Settings
from rag.index.checks import StoreCheckError, chroma_ids, generation_problems, integrity
from rag.index.chunking import chunk_entry, chunk_id
from rag.index.commit import commit, read_committed
from rag.index.faults import index_faults
from rag.index.lexical import LexicalIndex, lexical_path, open_lexical
from rag.index.locks import reindex_lock
from rag.index.manifest import Manifest, ManifestError
from rag.index.store import (
    begin_write,
    close_client,
    generation_path,
    generations_dir,
    is_local,
    sweep,
)
from rag.index.vectors import IDS_NAME, load_vectors, write_vectors

log = logging.getLogger(__name__)

CHECK_NAME = "doctor.json"  # the last check, for the app
UPSERT_BATCH = 1000


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
        manifest = read_committed(settings)[0]
    except ManifestError as err:
        return [f"manifest: {err}"]
    problems = _store_problems(settings, manifest) if manifest.generation else []
    if manifest.entries and not _lexical_ok(settings, manifest):
        problems.append("lexical index: missing or unreadable (derived: --repair rebuilds it)")
    leftovers = _leftovers(settings, manifest)
    if leftovers:
        problems.append(f"{len(leftovers)} leftover store copies of killed or failed runs (--repair deletes them)")
    return problems


def _store_problems(settings: Settings, manifest: Manifest) -> list[str]:
    path = generation_path(settings, manifest.generation)
    problems = generation_problems(path, manifest.collection, manifest.chunk_ids())
    if not (path / IDS_NAME).is_file():
        problems.append(f"vector matrix in {path}: missing (derived: --repair rebuilds it)")
    if not any(p.startswith("Chroma:") for p in problems):
        verdict = integrity(path)
        if verdict != "ok":
            problems.append(f"Chroma: SQLite integrity check of {path / 'chroma.sqlite3'}: {verdict}")
    return problems


def _lexical_ok(settings: Settings, manifest: Manifest) -> bool:
    path = lexical_path(settings.index_dir, manifest.hashes())
    try:
        LexicalIndex.load(path)
    except (OSError, ValueError, KeyError):
        return False
    return True


def _leftovers(settings: Settings, manifest: Manifest) -> list[Path]:
    root = generations_dir(settings)
    keep = {manifest.generation, manifest.previous}
    stray = [p for p in root.iterdir() if p.name not in keep] if root.is_dir() else []
    return stray + list(Path(settings.index_dir).glob(".manifest-*.tmp"))


def repair(settings: Settings) -> list[str]:
    """Rebuild what is derived, under the reindex lock; returns what was done, one line each."""
    index_dir = Path(settings.index_dir)
    if not is_local(settings):
        check(settings)  # says why there is nothing to do
    done: list[str] = []
    with index_faults(index_dir), reindex_lock(index_dir):
        manifest = read_committed(settings)[0]
        if manifest.generation:
            manifest = _repair_store(settings, manifest, done)
        for path in _leftovers(settings, manifest):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
            done.append(f"deleted {path.name}, left by a killed or failed run")
        if manifest.entries and not _lexical_ok(settings, manifest):
            shutil.rmtree(lexical_path(index_dir, manifest.hashes()), ignore_errors=True)
            open_lexical(index_dir, manifest.entries_by_id(), manifest.hashes())
            done.append("rebuilt the lexical index")
    _remember(settings, _problems(settings))
    return done


def _repair_store(settings: Settings, manifest: Manifest, done: list[str]) -> Manifest:
    """A sound generation for the manifest: rebuilt from the surviving copy of its vectors."""
    path = generation_path(settings, manifest.generation)
    wanted = manifest.chunk_ids()
    try:
        chroma_ok = chroma_ids(path, manifest.collection) == wanted and integrity(path) == "ok"
    except StoreCheckError:
        chroma_ok = False
    vectors = load_vectors(path)
    matrix_ok = vectors is not None and set(vectors.ids) == wanted
    if chroma_ok and matrix_ok:
        return manifest
    if not chroma_ok and not matrix_ok:
        shutil.rmtree(path, ignore_errors=True)
        done.append(f"removed the damaged vector store {path.name} (no sound copy of its vectors is left): "
                    "run `rag reindex` to rebuild the index")
        return manifest
    fixed = _new_generation(settings, manifest, from_matrix=not chroma_ok)
    done.append(f"rebuilt the {'Chroma store' if not chroma_ok else 'vector matrix'} as {fixed.generation}")
    return fixed


def _new_generation(settings: Settings, manifest: Manifest, from_matrix: bool) -> Manifest:
    """Write a generation from the committed one's sound half, check it, commit it."""
    old = generation_path(settings, manifest.generation)
    ids = sorted(manifest.chunk_ids())
    writer = begin_write(settings, manifest.collection, manifest.version + 1,
                         None if from_matrix else manifest.generation)
    path = writer.path
    assert path is not None  # repair() runs on a local store only, whose writer has a directory
    try:
        if from_matrix:
            _fill_from_matrix(settings, manifest, writer.collection, old)
        write_vectors(path, ids, writer.collection, old if from_matrix else None)
        writer.finish()
        problems = generation_problems(path, manifest.collection, set(ids))
        if problems:
            raise StoreCheckError(f"the repaired store fails its own check: {problems[0]}")
    except BaseException:
        close_client(writer.client)
        shutil.rmtree(path, ignore_errors=True)
        raise
    fixed = replace(manifest, generation=writer.generation, previous=manifest.generation,
                    version=manifest.version + 1, updated=datetime.now(UTC).isoformat(timespec="seconds"))
    commit(settings, fixed)
    sweep(settings, settings.collection, {fixed.generation})  # the damaged one goes
    return fixed


def _fill_from_matrix(settings: Settings, manifest: Manifest, collection, old: Path) -> None:
    """Store every chunk of the manifest in Chroma with its vector from the matrix."""
    vectors = load_vectors(old)
    assert vectors is not None  # only a generation whose matrix passed the check is filled from it
    docs = [doc for rec in manifest.entries.values()
            for doc in chunk_entry(rec.entry, rec.hash, settings.chunk_chars, settings.chunk_overlap)]
    for start in range(0, len(docs), UPSERT_BATCH):
        part = docs[start : start + UPSERT_BATCH]
        collection.upsert(
            ids=[d.id for d in part], documents=[d.page_content for d in part], metadatas=[d.metadata for d in part],
            embeddings=vectors.matrix[[vectors.row[chunk_id(d)] for d in part]],
        )


def _remember(settings: Settings, problems: list[str]) -> None:
    """Keep the check's result for the app; an index folder that cannot be written keeps none."""
    record = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "problems": problems}
    try:
        (Path(settings.index_dir) / CHECK_NAME).write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    except OSError as err:
        log.info("the doctor's result is not kept: %s", err)


def last_check(settings: Settings) -> str | None:
    """The last check in one or more lines for people (the app's Index tab); None when never run."""
    try:
        record = json.loads((Path(settings.index_dir) / CHECK_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    problems = record.get("problems", [])
    head = f"Last check {record.get('at', '?')}: "
    if not problems:
        return head + "the manifest, the vector store and the lexical index agree."
    return head + f"{len(problems)} problem{'s' if len(problems) > 1 else ''} (`rag doctor --repair`):\n" + "\n".join(
        f"- {p}" for p in problems)

"""Reindexing: data directory -> parsed entries -> diff against the manifest -> Chroma.

Only new and changed entries are embedded. Chunk ids carry the entry's content hash, so new
chunks are written beside the old ones, the manifest is swapped in as the commit point, and
only then are chunks nobody owns deleted. A reindex killed at any moment leaves the last
committed state readable, and the next run converges.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from rag.chunking import chunk_entry, entry_hash
from rag.config import Settings
from rag.digest import Entry, ParseError, parse_day_file
from rag.embeddings import get_embedder
from rag.lexical import LexicalIndex, build_lexical, load_token_cache, save_token_cache
from rag.manifest import EntryRecord, Manifest, load_manifest, save_manifest
from rag.store import drop_collection, open_store

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
LOCK_NAME = "reindex.lock"


class IndexLockedError(RuntimeError):
    """Another reindex holds the lock on this index directory."""


@dataclass
class ReindexReport:
    """What a reindex did; `to_dict` is the `rag reindex --json` shape."""

    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    embedded_chunks: int = 0
    rebuilt: bool = False
    message: str = ""

    def to_dict(self) -> dict:
        """JSON-ready report."""
        return asdict(self)

    def summary(self) -> str:
        """One line for people."""
        if self.message:
            head = self.message + " "
        else:
            head = ""
        return (
            f"{head}added {self.added}, changed {self.changed}, removed {self.removed}, "
            f"unchanged {self.unchanged}, skipped {self.skipped} in {self.seconds:.1f}s"
        )


def fingerprint(settings: Settings) -> dict:
    """Everything that, when changed, makes existing vectors incomparable with new ones."""
    return {
        "embedder": settings.embedder,
        "chunk_chars": settings.chunk_chars,
        "chunk_overlap": settings.chunk_overlap,
        "chunk_version": settings.chunk_version,
    }


def _collection_name(settings: Settings, fp: dict) -> str:
    digest = hashlib.sha1(json.dumps(fp, sort_keys=True).encode()).hexdigest()[:10]
    return f"{settings.collection}-{digest}"


@contextmanager
def reindex_lock(index_dir: Path, wait_s: float = 0.0) -> Iterator[None]:
    """Hold the index's reindex lock; a second reindex waits up to wait_s, then refuses."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK_NAME, "a+") as fh:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexLockedError(
                        f"another reindex is running on {index_dir}; try again when it finishes"
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _scan(data_dir: Path, old: Manifest, report: ReindexReport) -> tuple[dict[str, dict], dict[str, tuple[Entry, str]]]:
    """Files and entries now in the data directory; unchanged files are not parsed again."""
    if not data_dir.exists():
        raise FileNotFoundError(f"data directory {data_dir} does not exist")
    if not data_dir.is_dir():
        raise NotADirectoryError(f"data directory {data_dir} is not a directory")
    files: dict[str, dict] = {}
    entries: dict[str, tuple[Entry, str]] = {}
    for path in sorted(data_dir.rglob("*.txt")):
        rel = path.relative_to(data_dir).as_posix()
        sha = _sha256(path)
        previous = old.files.get(rel)
        if previous and previous["sha"] == sha and all(e in old.entries for e in previous["entries"]):
            parsed = [old.entries[e].entry for e in previous["entries"]]
        else:
            try:
                parsed = parse_day_file(path)
            except ParseError as err:
                report.errors.append(str(err))
                report.skipped += 1
                if previous:  # a file that broke keeps what it had: nothing indexed is lost
                    files[rel] = previous
                    for eid in previous["entries"]:
                        if eid in old.entries and eid not in entries:
                            entries[eid] = (old.entries[eid].entry, rel)
                continue
        kept = []
        for entry in parsed:
            if entry.id in entries:
                report.errors.append(
                    f"{entry.source.file}:{entry.source.line}: duplicate entry {entry.id!r} "
                    f"(already in {entries[entry.id][1]}); skipped"
                )
                report.skipped += 1
                continue
            entries[entry.id] = (entry, rel)
            kept.append(entry.id)
        files[rel] = {"sha": sha, "entries": kept}
    return files, entries


def reindex(
    settings: Settings,
    data_dir: Path | None = None,
    on_progress: Progress | None = None,
    lock_wait_s: float = 0.0,
) -> ReindexReport:
    """Bring the index in line with the data directory, embedding only what changed."""
    started = time.perf_counter()
    data_dir = Path(data_dir or settings.data_dir)
    index_dir = Path(settings.index_dir)
    report = ReindexReport()
    with reindex_lock(index_dir, lock_wait_s):
        old = load_manifest(index_dir)
        fp = fingerprint(settings)
        if old.entries and old.fingerprint != fp:
            report.rebuilt = True
            report.message = (
                f"Index settings changed ({old.fingerprint} -> {fp}): rebuilding the whole index."
            )
            log.warning(report.message)
            old_for_diff = Manifest(files={}, entries={})
        else:
            old_for_diff = old
        files, current = _scan(data_dir, old_for_diff, report)

        new = Manifest(
            fingerprint=fp, collection=_collection_name(settings, fp), version=old.version + 1,
            updated=datetime.now(timezone.utc).isoformat(timespec="seconds"), files=files,
        )
        todo: list[tuple[Entry, str, str]] = []
        for eid, (entry, rel) in current.items():
            content = entry_hash(entry)
            prev = old_for_diff.entries.get(eid)
            if prev is not None and prev.hash == content:
                report.unchanged += 1
                new.entries[eid] = EntryRecord(entry=entry, hash=content, chunks=prev.chunks, file=rel)
            else:
                if prev is None:
                    report.added += 1
                else:
                    report.changed += 1
                todo.append((entry, content, rel))
        report.removed = sum(1 for eid in old_for_diff.entries if eid not in current)

        store = open_store(settings, get_embedder(settings), new.collection)
        existing = set(store.get(include=[])["ids"]) if todo else set()
        pending = []
        for entry, content, rel in todo:
            docs = chunk_entry(entry, content, settings.chunk_chars, settings.chunk_overlap)
            new.entries[entry.id] = EntryRecord(entry=entry, hash=content, chunks=[d.id for d in docs], file=rel)
            # Chunks already there come from a killed run with the same content: keep them.
            pending.extend(d for d in docs if d.id not in existing)
        _add_chunks(store, pending, settings.embed_batch, on_progress)
        report.embedded_chunks = len(pending)
        # Tokens for the lexical index are cached before the commit, like the vectors.
        hashes = {eid: rec.hash for eid, rec in new.entries.items()}
        cache = load_token_cache(index_dir)
        if any(h not in cache for h in hashes.values()):
            _, fresh = build_lexical(new.entries_by_id(), hashes, cache)
            save_token_cache(index_dir, fresh)

        if report.added or report.changed or report.removed or report.rebuilt or not old.collection:
            save_manifest(index_dir, new)
        else:
            report.message = report.message or "Nothing changed: no embedding done."
        _collect_garbage(store, new)
        if old.collection and old.collection != new.collection:
            drop_collection(settings, old.collection)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _add_chunks(store, docs: list, batch: int, on_progress: Progress | None) -> None:
    total = len(docs)
    if on_progress:
        on_progress(0, total)
    for start in range(0, total, batch):
        part = docs[start : start + batch]
        store.add_texts(
            texts=[d.page_content for d in part],
            metadatas=[d.metadata for d in part],
            ids=[d.id for d in part],
        )
        if on_progress:
            on_progress(min(start + batch, total), total)


def _collect_garbage(store, manifest: Manifest) -> None:
    """Delete chunks the committed manifest does not own (old versions, killed runs)."""
    owned = manifest.chunk_ids()
    stale = [cid for cid in store.get(include=[])["ids"] if cid not in owned]
    for start in range(0, len(stale), 1000):
        store.delete(ids=stale[start : start + 1000])


class Index:
    """Read side of an index directory: the committed manifest plus its Chroma collection.

    `refresh()` is cheap (one stat) and picks up a reindex done by another process, so a
    running app answers from new days without a restart.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.embedder = get_embedder(settings)
        self.manifest = Manifest()
        self.entries: dict[str, Entry] = {}
        self.lexical = LexicalIndex([], [])
        self.days: list[date] = []
        self.tags: Counter[str] = Counter()
        self._stamp: tuple[int, int] | None = None
        self._store = None
        self._owned: set[str] = set()
        self.refresh()

    def refresh(self) -> bool:
        """Reload the manifest if a reindex committed a new one; True when it changed."""
        path = Path(self.settings.index_dir) / "manifest.json"
        try:
            st = path.stat()
            stamp = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            stamp = None
        if stamp == self._stamp:
            return False
        manifest = load_manifest(Path(self.settings.index_dir))
        if manifest.collection != self.manifest.collection or self._store is None:
            self._store = (
                open_store(self.settings, self.embedder, manifest.collection) if manifest.collection else None
            )
        self.manifest, self._stamp = manifest, stamp
        self._owned = manifest.chunk_ids()
        self.entries = manifest.entries_by_id()
        hashes = {eid: rec.hash for eid, rec in manifest.entries.items()}
        self.lexical, _ = build_lexical(self.entries, hashes, load_token_cache(Path(self.settings.index_dir)))
        self.days = sorted({e.day for e in self.entries.values()})
        self.tags = Counter(t for e in self.entries.values() for t in e.tags)
        return True

    def dense(self, vector: list[float], n: int, where: dict | None = None) -> list[tuple[str, str, float]]:
        """(entry id, chunk kind, cosine similarity) of the nearest committed chunks."""
        if self._store is None or not self._owned:
            return []
        # Over-fetch a little: chunks of an uncommitted reindex may sit in the collection.
        results = self._store.similarity_search_by_vector_with_relevance_scores(
            vector, k=min(n + 16, len(self._owned) + 16), filter=where
        )
        hits = []
        for doc, distance in results:
            if doc.id in self._owned:
                hits.append((doc.metadata["entry_id"], doc.metadata["kind"], 1.0 - float(distance)))
        return hits[:n]

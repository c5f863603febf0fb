"""What a reindex decided and how it reports: the plan, the phase markers, the embedding loop.

Shared by the local path (`rag.index.reindex`, segments) and the server path
(`rag.index.server_write`), so neither imports the other.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from langchain_core.documents import Document

from rag.config import Settings
from rag.index.embeddings import get_embedder
from rag.index.manifest import Manifest
from rag.model import ReindexReport

log = logging.getLogger("rag.index.reindex")  # the crash tests and the app listen to this name

Progress = Callable[[int, int], None]


# Who hears of each phase of the reindex running in this context (the app's progress line).
phase_listener: ContextVar[Callable[[str], None] | None] = ContextVar("reindex_phase_listener", default=None)


def phase(name: str) -> None:
    # Debug-level markers of where a reindex is; the crash tests aim their kills with them.
    log.debug("reindex phase: %s", name)
    listener = phase_listener.get()
    if listener is not None:
        listener(name)


@dataclass
class Plan:
    """What a reindex will do, decided before anything is written."""

    old: Manifest                  # the committed state
    base: Manifest                 # what the new state builds on (empty when rebuilding)
    new: Manifest                  # the state to commit
    pending: list[Document]        # chunks to embed and store
    fresh: list[str] = field(default_factory=list)  # entry ids the new segment holds, in row order

    @cached_property
    def dropped(self) -> set[str]:
        """Chunk ids the new state no longer uses."""
        return self.base.chunk_ids() - self.new.chunk_ids() if self.base.entries else set()

    @property
    def changes(self) -> bool:
        """Whether there is anything to commit."""
        return (self.new.files != self.old.files or self.new.entries != self.old.entries
                or self.new.fingerprint != self.old.fingerprint or bool(self.fresh)
                or (self.new.parser, self.new.data_dir) != (self.old.parser, self.old.data_dir))


def embed_chunks(settings: Settings, pending: list[Document], reuse: Mapping[str, np.ndarray],
                 report: ReindexReport, on_progress: Progress | None) -> Iterator[tuple[list[Document], np.ndarray]]:
    """The pending chunks with their vectors, batch by batch (reused by identical text when it can)."""
    phase("embed")
    embedder = get_embedder(settings)
    total = len(pending)
    if on_progress:
        on_progress(0, total)
    for start in range(0, total, settings.embed_batch):
        part = pending[start : start + settings.embed_batch]
        texts = [d.page_content for d in part if d.page_content not in reuse]
        vectors = iter(embedder.embed_documents(texts) if texts else [])
        yield part, np.asarray([reuse[d.page_content] if d.page_content in reuse else next(vectors) for d in part],
                               dtype=np.float32)
        report.embedded_chunks += len(texts)
        report.reused_chunks += len(part) - len(texts)
        if on_progress:
            on_progress(min(start + len(part), total), total)

"""The app's reindexing: one run at a time, whoever starts it (the Reindex button, the start-up
check, the folder watcher), and what every open page shows of it: the phase it is in, the
chunks embedded so far, and the last run's report with the files it skipped."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from rag.app.follows import after_reindex
from rag.app.labels import label
from rag.config import Settings
from rag.index.locks import IndexLockedError
from rag.index.reader import Index
from rag.index.reindex import reindex
from rag.index.store import StoreUnavailableError
from rag.model import ReindexReport
from rag.progress import Bar

log = logging.getLogger(__name__)

# What a reindex may fail with that the page should say in one sentence.
USER_ERRORS = (IndexLockedError, FileNotFoundError, NotADirectoryError, StoreUnavailableError)


def run_reindex(settings: Settings, data_dir: Path | None = None) -> ReindexReport:
    """Reindex with a progress bar on stderr, failing at once when another process holds the
    index (`rag reindex`, `rag eval`)."""
    with Bar("Embedding") as bar:
        return reindex(settings, data_dir, on_progress=bar, lock_wait_s=0)


def report_line(report: ReindexReport, lang: str = "en") -> str:
    """What a reindex did, in one line of the given language."""
    head = f"{report.message} " if report.message else ""
    counts = {"added": report.added, "changed": report.changed, "removed": report.removed,
              "unchanged": report.unchanged, "skipped": report.skipped}
    return head + label("report", lang, **counts, embedded=report.embedded_chunks, seconds=report.seconds)


def report_text(report: ReindexReport, lang: str = "en") -> str:
    """A reindex report as people read it, wherever they read it (the CLI, the Index tab, the
    logs): its line, then each skipped file."""
    skipped = [label("skipped_file", lang, error=error) for error in report.errors]
    return "\n".join([report_line(report, lang), *skipped])


class Busy(RuntimeError):
    """A reindex is already running in this app."""


@dataclass
class Progress:
    """Where the current (or last) run is."""

    running: bool = False
    phase: str = ""
    done: int = 0
    total: int = 0
    report: ReindexReport | None = None
    error: str = ""
    runs: int = 0  # finished runs, so pages can tell a new report from an old one


class Reindexer:
    """Runs reindexes of one app's index, one at a time, and keeps their progress."""

    def __init__(self, settings: Settings, index: Index) -> None:
        self.settings, self.index = settings, index
        self._guard = threading.Lock()
        self._state = Progress()
        self._state_lock = threading.Lock()

    def progress(self) -> Progress:
        """A copy of where things are, for a page to render."""
        with self._state_lock:
            return replace(self._state)

    def _update(self, **changes: object) -> None:
        with self._state_lock:
            for key, value in changes.items():
                setattr(self._state, key, value)

    def run(self, lock_wait_s: float = 30.0, echo: Callable[[int, int], None] | None = None) -> ReindexReport:
        """Reindex now, in this thread; raises Busy when a run is already going, and the
        reindex's own errors (recorded for the pages too). `echo` also sees the progress."""
        if not self._guard.acquire(blocking=False):
            raise Busy("a reindex is already running")

        def on_progress(done: int, total: int) -> None:
            self._update(done=done, total=total)
            if echo is not None:
                echo(done, total)

        try:
            self._update(running=True, phase="start", done=0, total=0, error="")
            report = reindex(self.settings, lock_wait_s=lock_wait_s, on_progress=on_progress,
                             on_phase=lambda phase: self._update(phase=phase))
            self.record(report)
            after_reindex(self.settings)
            for err in report.errors:
                log.warning("skipped: %s", err)
            return report
        except USER_ERRORS as err:
            self._update(error=str(err))
            raise
        finally:
            self._update(running=False, phase="done")
            self._guard.release()
            try:
                self.index.refresh()
            except StoreUnavailableError as err:
                self._update(error=str(err))

    def record(self, report: ReindexReport) -> None:
        """Keep a report for the pages (also one made outside this app's runs, by its watcher,
        which logs its own skipped files)."""
        with self._state_lock:
            self._state.report = report
            self._state.runs += 1

    def catch_up(self) -> None:
        """Index what changed since the last run (the app's start-up check), with a progress
        bar on stderr; errors are logged and shown, never raised."""
        try:
            with Bar("Embedding") as bar:
                report = self.run(lock_wait_s=600, echo=bar)
            log.info("%s", report_line(report))
        except Busy:
            pass
        except USER_ERRORS as err:
            log.warning("start-up reindex: %s", err)

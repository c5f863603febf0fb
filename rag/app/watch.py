"""Watch the data folder and reindex when day files land, change or go (`rag watch`, `rag serve --watch`).

How a burst of changes becomes one reindex:
- watchfiles reports changes; a change counts when it is to a day file (every `*.txt`, hidden
  ones too, exactly what reindex reads), to a directory (a folder of days moved in arrives as
  one event for the folder), or removes a folder that held day files. Temp files such as
  `.day.txt.swp`, `day.txt~` or rsync's `.day.txt.Ab12Cd` do not end in `.txt` and never count.
- Each changed path waits in a `Batch` with a signature: size, mtime and a hash of the content
  (a folder: size and mtime of each day file in it), read when its event arrives.
- Quiet period: the batch is reindexed once no path in it has changed for `settle_s`, read
  twice `settle_s` apart (at its last event, then again): equal signatures. A copy of 30 files
  is one burst of events, so one reindex.
- Cap: a folder that never goes quiet (a slow sync of many files) would starve. Once the
  oldest change has waited `max_wait_s`, the batch is closed: the paths changed before then
  are reindexed as soon as each of them is settled, whatever arrives meanwhile.
- The reindex is the ordinary one, under the same lock; when another reindex holds it, the
  watcher waits and runs after it. Changes during a reindex form the next batch.

Limits (a half-written day may parse: it is only missing its last entries):
- A writer that pauses longer than `settle_s` between two parts of a file is taken to have
  finished at the pause; the rest of the file is indexed by the next reindex. Writers should
  write to a temp name and rename (rsync, most sync tools and editors do), or use a longer
  `--settle`.
- Reindex reads the whole folder, so a file whose writing *starts* after the batch was
  checked (during the check's last moments, a lock wait, or after the cap closed a batch) can
  be read half-written by that reindex; its own events then bring a reindex that completes it.
- A file that changes forever (a log named `.txt`) never settles, so nothing is reindexed
  while it changes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import watchfiles

from rag.app.follows import after_reindex
from rag.app.reindexing import report_line
from rag.config import Settings
from rag.digest import DAY_SUFFIX, check_data_dir, day_files, shown_name
from rag.index.locks import IndexLockedError
from rag.index.manifest import ManifestError
from rag.index.reindex import reindex
from rag.index.scan import file_sha256
from rag.index.store import StoreUnavailableError
from rag.model import ReindexReport

log = logging.getLogger(__name__)

LOCK_WAIT_S = 1.0  # one wait for another reindex's lock; the watcher retries until it gets it
RETRY_S = 5.0  # after a failed reindex (store down, data folder gone), the first wait before trying again
RETRY_CAP_S = 300.0  # ...doubling after each failure in a row, up to this
# Failures that say what is wrong in one sentence; anything else is logged with its traceback.
EXPECTED = (StoreUnavailableError, ManifestError, OSError, ValueError)
NAMES_SHOWN = 3  # changed paths named in a report line


def signature(path: Path) -> object:
    """What must not change while a path settles: a day file's size, mtime and content hash;
    a folder's day files with their sizes and mtimes; None when the path is gone."""
    try:
        if path.is_dir():
            return tuple(
                (p.relative_to(path).as_posix(), st.st_size, st.st_mtime_ns)
                for p in day_files(path) for st in (p.stat(),)
            )
        st = path.stat()
        return (st.st_size, st.st_mtime_ns, file_sha256(path))
    except FileNotFoundError:
        return None
    except OSError as err:  # unreadable: reindex reports it; a stable error settles like content
        return ("error", str(err))


@dataclass
class Seen:
    """A changed path: when it first changed in this batch, and its signature when last read."""

    since: float
    sig: object
    read_at: float


class Batch:
    """The changed paths waiting for a reindex, and the rule for when they may have one."""

    def __init__(self, settle_s: float, max_wait_s: float) -> None:
        self.settle_s = settle_s
        self.max_wait_s = max(max_wait_s, 2 * settle_s)
        self.paths: dict[Path, Seen] = {}

    def add(self, path: Path, now: float) -> None:
        """A change to path: (re)start its settling from what it holds now."""
        seen = self.paths.get(path)
        self.paths[path] = Seen(since=seen.since if seen else now, sig=signature(path), read_at=now)

    def ready(self, now: float) -> list[Path] | None:
        """The paths to reindex now, or None while any of them may still be being written."""
        if not self.paths:
            return None
        closed_at = min(s.since for s in self.paths.values()) + self.max_wait_s
        # Past the cap, later arrivals wait for the next batch instead of holding this one.
        due = {p: s for p, s in self.paths.items() if now < closed_at or s.since <= closed_at}
        if any(now - s.read_at < self.settle_s for s in due.values()):
            return None
        settled = True
        for path, seen in due.items():
            sig = signature(path)
            if sig != seen.sig:  # changed without an event we saw: settle again from now
                seen.sig, seen.read_at = sig, now
                settled = False
        return list(due) if settled else None

    def done(self, paths: Iterable[Path]) -> None:
        """Forget paths that were reindexed."""
        for path in paths:
            self.paths.pop(path, None)


@dataclass
class Backoff:
    """How long to wait after failures in a row: doubling from first_s up to cap_s.

    A fault that lasts (a full disk, a damaged store) must not be retried every few seconds:
    each attempt loads the store and logs, and before reindexes cleaned up after themselves
    each one also left a copy of the store behind.
    """

    first_s: float
    cap_s: float
    failures: int = 0

    def failed(self) -> float:
        """Count a failure; the wait before the next attempt."""
        self.failures += 1
        return min(self.first_s * 2 ** (self.failures - 1), self.cap_s)

    def succeeded(self) -> None:
        """Start again from first_s at the next failure."""
        self.failures = 0


def describe(names: Iterable[str]) -> str:
    """`a.txt, b.txt, c.txt and 4 more`."""
    names = list(names)
    shown = ", ".join(names[:NAMES_SHOWN])
    return shown + (f" and {len(names) - NAMES_SHOWN} more" if len(names) > NAMES_SHOWN else "")


class Watcher:
    """Reindexes the data folder after its day files change, debounced and settled.

    `start()` runs it in a background thread, `run()` in this one until `stop()` (or Ctrl-C);
    `on_report(report)` is called, in the watcher's thread, after each reindex.
    """

    def __init__(
        self,
        settings: Settings,
        on_report: Callable[[ReindexReport], None] | None = None,
        settle_s: float | None = None,
        max_wait_s: float | None = None,
        catch_up: bool = True,
        warm_up: bool = True,
        retry_s: float = RETRY_S,
        retry_cap_s: float = RETRY_CAP_S,
    ) -> None:
        self.settings = settings
        self.data_dir = Path(settings.data_dir).resolve()
        self.index_dir = Path(settings.index_dir).resolve()
        check_data_dir(self.data_dir)
        self.settle_s = settings.watch_settle_s if settle_s is None else settle_s
        if self.settle_s <= 0:
            raise ValueError(f"the settle time must be positive, got {self.settle_s}")
        self.on_report = on_report
        self.catch_up = catch_up
        self.warm_up = warm_up
        self.batch = Batch(self.settle_s, settings.watch_max_wait_s if max_wait_s is None else max_wait_s)
        self.ready = threading.Event()  # set once changes are being watched
        self.backoff = Backoff(retry_s, retry_cap_s)  # of failed reindexes
        self._watch_backoff = Backoff(retry_s, retry_cap_s)  # of a watch that broke (the folder went away)
        self._stop = threading.Event()
        self._lock = threading.Lock()  # the batch is shared with the thread that runs the watch
        self._thread: threading.Thread | None = None
        self._known: set[Path] = set()  # day files seen, to tell whether a removed folder held any
        self._retry_at = 0.0
        self._lock_noted = False

    # --- running ---------------------------------------------------------------------------

    def start(self) -> Watcher:
        """Watch in a background (daemon) thread; returns at once."""
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self.run, name="rag-watch", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float | None = None) -> None:
        """Stop watching; a reindex in progress finishes first (wait up to timeout for it)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def request_stop(self) -> None:
        """Ask the loop to end after what it is doing (safe from a signal handler)."""
        self._stop.set()

    def run(self) -> None:
        """Watch until stopped. Errors are logged and the watch goes on."""
        if self.warm_up:  # before watching: once "watching" is logged, a new day is indexed in about a second
            log.info("loading the embedding model before watching %s", self.data_dir)
            self._warm_up()
        self._known = set(day_files(self.data_dir))
        tick_ms = int(min(max(self.settle_s * 1000 / 4, 50), 500))
        while not self._stop.is_set():
            try:
                # With yield_on_timeout an empty set arrives every tick, so settling is
                # checked even when nothing happens; watchfiles groups events within a tick.
                for changes in watchfiles.watch(
                    self.data_dir, watch_filter=None, debounce=tick_ms, step=min(50, tick_ms),
                    rust_timeout=tick_ms, yield_on_timeout=True, stop_event=self._stop,
                ):
                    self._tick(changes)
            except Exception as err:  # e.g. the data folder went away: watch again when it is back
                wait_s = self._watch_backoff.failed()
                log.error("watching %s failed: %s; retrying in %.3g s", self.data_dir, err, wait_s)
                self.ready.clear()
                self.catch_up = True  # changes made meanwhile were not seen
                self._stop.wait(wait_s)
        log.info("stopped watching %s", self.data_dir)

    def _warm_up(self) -> None:
        """Load the embedding model, Kiwi and Chroma now (seconds), not when the first new day lands."""
        try:
            import chromadb  # noqa: F401  (imported lazily by the store, and slow)

            from rag.index.embeddings import get_embedder
            from rag.index.tokens import tokenize

            get_embedder(self.settings).embed_query("warm-up")
            tokenize("준비")
        except Exception as err:  # the reindex that needs them will say what is wrong
            log.warning("could not load the models ahead of time: %s", err)

    def _tick(self, changes: set[tuple[watchfiles.Change, str]]) -> None:
        """Take in a tick's changes and reindex if the batch has settled; never raises."""
        try:
            now = time.monotonic()
            if not self.ready.is_set():
                with self._lock:
                    if self.catch_up:  # whatever changed while nobody watched
                        self.batch.add(self.data_dir, now)
                        self.catch_up = False
                self.ready.set()
                self._watch_backoff.succeeded()
                log.info("watching %s for day files (settle %.2g s)", self.data_dir, self.settle_s)
            with self._lock:
                for change, raw in changes:
                    path = Path(raw)
                    if self._counts(change, path):
                        self.batch.add(path, now)
            if now < self._retry_at:
                return
            with self._lock:
                paths = self.batch.ready(now)
            if paths is not None:
                self._reindex(paths)
        except Exception:
            log.exception("the watcher hit an unexpected error; watching on")

    def _counts(self, change: watchfiles.Change, path: Path) -> bool:
        """Whether a change can change the index: see the module's docstring."""
        if path == self.index_dir or self.index_dir in path.parents:
            return False
        if path.name.endswith(DAY_SUFFIX):
            return True
        if change == watchfiles.Change.added:
            return path.is_dir()
        return change == watchfiles.Change.deleted and any(path in p.parents for p in self._known)

    def _reindex(self, paths: list[Path]) -> None:
        what = "the data folder (catching up)" if self.data_dir in paths else describe(
            sorted(self._relative(p) for p in paths))
        try:
            # settings.data_dir as given, so entries name their files as `rag reindex` does.
            report = reindex(self.settings, lock_wait_s=LOCK_WAIT_S)
        except IndexLockedError as err:
            if not self._lock_noted:
                log.info("waiting for another reindex to finish: %s", err)
                self._lock_noted = True
            return  # the batch stays: the next tick tries again
        except Exception as err:
            wait_s = self.backoff.failed()
            self._retry_at = time.monotonic() + wait_s
            log.error("reindex after changes to %s failed: %s; retrying in %.3g s", what, str(err) or type(err).__name__,
                      wait_s, exc_info=not isinstance(err, EXPECTED))
            return
        self._lock_noted = False
        self.backoff.succeeded()
        with self._lock:
            self.batch.done(paths)
            waiting = len(self.batch.paths)
        self._known = set(day_files(self.data_dir))
        # A batch closed by the cap leaves the changes that came after it for the next run.
        later = f" ({waiting} later change{'s wait' if waiting > 1 else ' waits'} for the next run)" if waiting else ""
        log.info("reindexed after changes to %s: %s%s", what, report_line(report), later)
        for problem in report.errors:
            log.warning("skipped: %s", problem)
        after_reindex(self.settings)
        if self.on_report is not None:
            try:
                self.on_report(report)
            except Exception:
                log.exception("the on_report callback failed; watching on")

    def _relative(self, path: Path) -> str:
        """The path as the log shows it: relative to the data folder, escaped (a name may hold a newline)."""
        try:
            return shown_name(path.relative_to(self.data_dir).as_posix())
        except ValueError:
            return shown_name(path)


def start_watching(settings: Settings, on_report: Callable[[ReindexReport], None] | None = None) -> Watcher:
    """Watch settings.data_dir in a background thread (for `rag serve --watch`); returns the Watcher.

    `on_report` runs in the watcher's thread after each reindex (an app refreshes its Index
    there); `watcher.stop()` ends it.
    """
    return Watcher(settings, on_report=on_report).start()

"""Who may reindex: a file lock per index directory, and with a Chroma server a lease on it.

The file lock (filelock) serializes reindexes on one machine and guards its local files (token cache,
dirty flag). App processes on other machines share only the server, so there a lease record
beside the committed manifest names who is reindexing. Chroma has no compare-and-set, so a
taker writes its lease, waits SETTLE_S and reads it back: of two racing takers only the one
whose write landed last sees its own token. The holder renews the lease while it works; a
holder that died stops renewing, and its lease is free once it expires (wall clocks of the
machines sharing a server are assumed to agree within seconds, as NTP keeps them). Before
committing, a holder checks it still holds the lease, so one that lost it commits nothing.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from rag.config import Settings
from rag.index.remote import LEASE_ID, manifest_collection, read_record, write_record
from rag.index.store import close_client, connect, is_local, server_errors

log = logging.getLogger(__name__)

LOCK_NAME = "reindex.lock"
HOLDER_NAME = "reindex.pid"  # the pid of the lock's holder, for the message of one that waits
LEASE_S = 60.0  # a lease not renewed for this long is free: its holder is gone
SETTLE_S = 0.3  # after writing a lease, read it back this much later
POLL_S = 0.5  # how often a waiting reindex looks at the lease again


class IndexLockedError(RuntimeError):
    """Another reindex holds the lock on this index directory or the lease on its server."""


@contextmanager
def reindex_lock(index_dir: Path, wait_s: float = 0.0) -> Iterator[None]:
    """Hold the index's reindex lock; a second reindex waits up to wait_s, then refuses.

    The holder's pid goes in a side file, so the refusal can name who holds the lock.
    """
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    # An OS lock (flock) on its own open file: a second reindex in this same process waits
    # too, and a holder killed with SIGKILL releases it with its process.
    lock = FileLock(index_dir / LOCK_NAME, timeout=wait_s, thread_local=False, fallback_to_soft=False)
    try:
        lock.acquire(poll_interval=0.1)
    except Timeout:
        holder = _holder(index_dir)
        who = f"process {holder}" if holder.isdigit() else "another process"
        raise IndexLockedError(
            f"another reindex ({who}) is updating the index in {index_dir}; wait for it to finish and try again"
        ) from None
    try:
        (index_dir / HOLDER_NAME).write_text(str(os.getpid()), encoding="ascii")
        yield
    finally:
        lock.release()


def _holder(index_dir: Path) -> str:
    try:
        return (index_dir / HOLDER_NAME).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""


def _read(coll) -> dict | None:
    try:
        return read_record(coll, LEASE_ID)
    except ValueError:
        return None  # an unreadable lease protects nobody: take it over


def _write(coll, lease: dict, lease_s: float) -> None:
    write_record(coll, LEASE_ID, json.dumps({**lease, "expires": time.time() + lease_s}), LEASE_ID)


def _take(coll, me: dict, lease_s: float) -> dict | None:
    """One attempt: write our lease if it is free, then read back who holds it."""
    current = _read(coll)
    if current is None or current.get("expires", 0) < time.time() or current.get("token") == me["token"]:
        _write(coll, me, lease_s)
        time.sleep(SETTLE_S)
        current = _read(coll)
    return current


def _acquire(settings: Settings, coll, me: dict, lease_s: float, wait_s: float) -> None:
    deadline = time.monotonic() + wait_s
    while True:
        with server_errors(settings):
            current = _take(coll, me, lease_s)
        if current is not None and current.get("token") == me["token"]:
            return
        if time.monotonic() >= deadline:
            holder = current.get("holder", "another process") if current else "another process"
            raise IndexLockedError(
                f"another reindex ({holder}) is updating the index on the Chroma server at {settings.chroma_url}; "
                "wait for it to finish and try again"
            )
        time.sleep(POLL_S)


def _renew(settings: Settings, me: dict, lease_s: float, stop: threading.Event) -> None:
    """Keep the lease alive until stopped; a failed renewal is retried at the next tick."""
    client = None
    while not stop.wait(lease_s / 4):
        try:
            client = client or connect(settings)
            coll = manifest_collection(client, settings)
            current = _read(coll)
            if current is None or current.get("token") != me["token"]:
                break  # lost: the commit check refuses
            _write(coll, me, lease_s)
        except Exception as exc:  # the server may be restarting; the reindex itself will say so
            log.warning("could not renew the reindex lease on %s: %s", settings.chroma_url, exc)
            close_client(client)
            client = None
    close_client(client)


def _release(coll, me: dict, lease_s: float) -> None:
    """Give the lease back; if the server cannot be reached it expires by itself."""
    try:
        current = _read(coll)
        if current is not None and current.get("token") == me["token"]:
            coll.delete(ids=[LEASE_ID])
    except Exception as exc:
        log.warning("could not release the reindex lease (it expires within %.0f s): %s", lease_s, exc)


@contextmanager
def server_lease(settings: Settings, wait_s: float = 0.0, lease_s: float = LEASE_S) -> Iterator[Callable[[], None]]:
    """Hold the reindex lease on the Chroma server (nothing locally); yields a check that
    raises IndexLockedError when the lease was lost, to call before committing."""
    if is_local(settings):
        yield lambda: None
        return
    me = {"holder": f"process {os.getpid()} on {socket.gethostname()}", "token": uuid.uuid4().hex}
    client = connect(settings)
    try:
        with server_errors(settings):
            coll = manifest_collection(client, settings)
        _acquire(settings, coll, me, lease_s, wait_s)
        stop = threading.Event()
        renewer = threading.Thread(target=_renew, args=(settings, me, lease_s, stop), daemon=True)
        renewer.start()

        def still_held() -> None:
            with server_errors(settings):
                current = _read(coll)
            if current is None or current.get("token") != me["token"]:
                raise IndexLockedError(
                    f"this reindex lost its lease on the Chroma server at {settings.chroma_url} "
                    "(it could not renew it in time); nothing was committed, run it again"
                )

        try:
            yield still_held
        finally:
            stop.set()
            renewer.join()
            _release(coll, me, lease_s)
    finally:
        close_client(client)

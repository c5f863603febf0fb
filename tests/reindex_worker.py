"""A reindex in another process, for tests/test_reindex.py.

    python tests/reindex_worker.py once DATA INDEX   one reindex; prints its report as JSON
    python tests/reindex_worker.py serve INDEX       a warm parent that forks one reindex per
                                                     `run DATA [INDEX]` line read on stdin, one
                                                     compaction per `compact INDEX` line

`serve` pays for imports, the embedding model and Kiwi once, so a test can start (and
SIGKILL) dozens of real reindex processes in seconds. It writes one line per event on stdout:
`ready`, `pid N` (a child started), `phase NAME` (the child's reindex reached a phase: the
debug markers of rag.index), `exit N STATUS` (the child ended; -9 when it was killed).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from pathlib import Path

from rag.config import load_settings
from rag.index.compaction import compact_all
from rag.index.reindex import reindex


class _PhaseLines(logging.Handler):
    """Writes `phase NAME` lines straight to fd 1: one write per line, so lines never mix."""

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("reindex phase: "):
            os.write(1, f"phase {message.split(': ', 1)[1]}\n".encode())


def _say(line: str) -> None:
    os.write(1, (line + "\n").encode())


def once(data: str, index: str) -> None:
    report = reindex(load_settings(data_dir=data, index_dir=index))
    print(json.dumps(report.to_dict(), ensure_ascii=False))


def serve(index: str) -> None:
    from rag.index.embeddings import get_embedder
    from rag.index.tokens import tokenize

    settings = load_settings(index_dir=index)
    get_embedder(settings).embed_query("warm-up")
    tokenize("한국어 형태소 분석기 준비")
    logger = logging.getLogger("rag.index")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(_PhaseLines())
    _say("ready")
    for line in sys.stdin:
        command, *args = line.split()
        if command not in ("run", "compact"):
            continue
        pid = os.fork()
        if pid == 0:
            status = 0
            try:
                if command == "compact":
                    compact_all(load_settings(index_dir=args[0]))
                else:
                    reindex(load_settings(index_dir=args[1] if len(args) > 1 else index, data_dir=Path(args[0])))
            except BaseException:
                traceback.print_exc()
                status = 3
            os._exit(status)
        _say(f"pid {pid}")
        _, wait_status = os.waitpid(pid, 0)
        _say(f"exit {pid} {os.waitstatus_to_exitcode(wait_status)}")


if __name__ == "__main__":
    if sys.argv[1] == "once":
        once(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "serve":
        serve(sys.argv[2])
    else:
        sys.exit(f"unknown mode {sys.argv[1]!r}")

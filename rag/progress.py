"""Progress bars on stderr for long work: reindexing (CLI, `rag serve`, `rag eval`) and the
evaluation's own loops. stdout stays free for `--json` output."""

from __future__ import annotations

import sys
from pathlib import Path

from tqdm import tqdm

from rag.config import Settings
from rag.model import ReindexReport


class Bar:
    """A tqdm bar driven by (done, total) callbacks, made on the first call (its total is not
    known before), closed by `close()` or on leaving a `with` block."""

    def __init__(self, desc: str, unit: str = "chunk", leave: bool = True) -> None:
        self.desc, self.unit, self.leave = desc, unit, leave
        self._bar: tqdm | None = None

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            self._bar = tqdm(total=total, desc=self.desc, unit=self.unit, file=sys.stderr,
                             leave=self.leave, disable=total == 0)
        self._bar.n = done
        self._bar.refresh()

    def close(self) -> None:
        """Close the bar (nothing happens when it was never shown)."""
        if self._bar is not None:
            self._bar.close()

    def __enter__(self) -> Bar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_reindex(settings: Settings, data_dir: Path | None = None) -> ReindexReport:
    """Reindex with a progress bar on stderr (shared by `reindex`, `eval` and `serve`)."""
    from rag.index.reindex import reindex

    with Bar("Embedding") as bar:
        return reindex(settings, data_dir, on_progress=bar, lock_wait_s=0)

"""Progress bars on stderr for long work: reindexing (CLI, `rag serve`, `rag eval`) and the
evaluation's own loops. stdout stays free for `--json` output. It knows nothing of what it
counts, so any layer may use it."""

from __future__ import annotations

import sys

from tqdm import tqdm


class Bar:
    """A tqdm bar driven by (done, total) callbacks, made on the first call (its total is not
    known before), closed by `close()` or on leaving a `with` block."""

    def __init__(self, desc: str, unit: str = "chunk", leave: bool = True) -> None:
        self.desc, self.unit, self.leave = desc, unit, leave
        self._bar: tqdm | None = None

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            self._bar = tqdm(
                total=total,
                desc=self.desc,
                unit=self.unit,
                file=sys.stderr,
                leave=self.leave,
                disable=total == 0,
            )
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

"""Reindex benchmark: a full build of the corpus, then one new day, then nothing new.

    uv run python benchmarks/bench_reindex.py [--workdir DIR] [--reuse]

Copies the day files of ../shared/corpus (in date order) into a data directory, holding back
two later days of 5-10 entries, and builds the index from scratch (~3.8k entries). Then, in
the same warm process: one held-back day is added and reindexed (target < 3 s), and a reindex
with nothing new runs (target < 1 s). The other held-back day is added through the CLI in a
fresh process, which also pays for imports and model loading, as a user would; a no-op CLI run
follows. A reader's refresh after the new day is timed too: it is what the running app pays
to see the day. `--reuse` keeps an existing full build in --workdir (for profiling the
incremental paths without waiting minutes); its full-build time is then the recorded one.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a plain script from anywhere

from rag.config import load_settings  # noqa: E402
from rag.index.reader import Index
from rag.index.reindex import reindex  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
# Later days with 5-10 entries, held back from the full build.
NEW_DAY = "2025/2025-11-26.txt"
CLI_DAY = "2025/2025-12-02.txt"
TARGETS = {"one_day_s": 3.0, "noop_s": 1.0}


class PhaseClock(logging.Handler):
    """Seconds spent in each phase of a reindex, from rag.index's debug markers."""

    def __init__(self) -> None:
        super().__init__()
        self.marks: list[tuple[str, float]] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("reindex phase: "):
            self.marks.append((message.split(": ", 1)[1], time.perf_counter()))

    def take(self) -> dict[str, float]:
        marks, self.marks = self.marks, []
        return {name: round(end - start, 3) for (name, start), (_, end) in zip(marks, marks[1:])}


def copy_corpus(data: Path) -> int:
    """Copy every day file but the held-back ones, oldest first; returns how many."""
    days = sorted(CORPUS.glob("*/*.txt"), key=lambda p: p.name)
    copied = 0
    for path in days:
        rel = path.relative_to(CORPUS).as_posix()
        if rel in (NEW_DAY, CLI_DAY):
            continue
        target = data / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
        copied += 1
    return copied


def timed_cli(*args: str) -> tuple[float, dict]:
    """Wall time of `python -m rag ...` in a fresh process, and its JSON output."""
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "rag", *args], cwd=REPO, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, help="where data and index go (default: a temp dir, removed after)")
    parser.add_argument("--reuse", action="store_true", help="keep a full build already in --workdir")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-reindex-"))
    data, index_dir = workdir / "data", workdir / "index"
    record = workdir / "full-build.json"
    clock = PhaseClock()
    log = logging.getLogger("rag.index")
    log.setLevel(logging.DEBUG)
    log.addHandler(clock)
    settings = load_settings(data_dir=data, index_dir=index_dir)
    try:
        if not (args.reuse and record.exists()):
            shutil.rmtree(data, ignore_errors=True)
            shutil.rmtree(index_dir, ignore_errors=True)
            files = copy_corpus(data)
            print(f"full build: {files} day files ...", file=sys.stderr, flush=True)
            started = time.perf_counter()
            report = reindex(settings)
            full_s = time.perf_counter() - started
            record.write_text(json.dumps({
                "seconds": full_s, "entries": report.added, "embedded_chunks": report.embedded_chunks,
                "skipped": report.skipped, "phases": clock.take(),
            }))
        full = json.loads(record.read_text())
        if args.reuse:  # as warm as after the full build: model and Kiwi loaded
            from rag.index.embeddings import get_embedder
            from rag.index.tokens import tokenize

            get_embedder(settings).embed_query("warm-up")
            tokenize("한국어 형태소 분석기 준비")
        for rel in (NEW_DAY, CLI_DAY):
            (data / rel).unlink(missing_ok=True)  # --reuse: start from the full build again
        reindex(settings)
        clock.take()
        reader = Index(settings)

        shutil.copy(CORPUS / NEW_DAY, data / NEW_DAY)
        started = time.perf_counter()
        day = reindex(settings)
        one_day_s = time.perf_counter() - started
        day_phases = clock.take()
        started = time.perf_counter()
        reader.refresh()
        refresh_s = time.perf_counter() - started

        started = time.perf_counter()
        noop = reindex(settings)
        noop_s = time.perf_counter() - started
        noop_phases = clock.take()
        reader.close()

        shutil.copy(CORPUS / CLI_DAY, data / CLI_DAY)
        cli_day_s, cli_day = timed_cli("reindex", "--data", str(data), "--index", str(index_dir), "--json")
        cli_noop_s, cli_noop = timed_cli("reindex", "--data", str(data), "--index", str(index_dir), "--json")
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)

    results = {
        "entries": full["entries"],
        "embedded_chunks": full["embedded_chunks"],
        "full_build_s": round(full["seconds"], 1),
        "entries_per_s": round(full["entries"] / full["seconds"], 1),
        "one_day_s": round(one_day_s, 3),
        "one_day_entries": day.added,
        "one_day_embedded_chunks": day.embedded_chunks,
        "noop_s": round(noop_s, 3),
        "noop_embedded_chunks": noop.embedded_chunks,
        "one_day_over_full": round(one_day_s / full["seconds"], 5),
        "reader_refresh_s": round(refresh_s, 3),
        "cli_one_day_wall_s": round(cli_day_s, 2),
        "cli_one_day_reported_s": cli_day["seconds"],
        "cli_one_day_entries": cli_day["added"],
        "cli_noop_wall_s": round(cli_noop_s, 2),
        "cli_noop_reported_s": cli_noop["seconds"],
        "phases_full_build": full["phases"],
        "phases_one_day": day_phases,
        "phases_noop": noop_phases,
    }
    print(json.dumps(results, indent=2))
    print(
        f"\nfull build {results['full_build_s']} s ({results['entries']} entries, {results['entries_per_s']} entries/s)"
        f" | one day {results['one_day_s']} s ({day.added} entries) | no-op {results['noop_s']} s"
        f" | one-day/full {results['one_day_over_full']}"
    )
    for key, target in TARGETS.items():
        verdict = "ok" if results[key] < target else "OVER TARGET"
        print(f"{key}: {results[key]} s (target < {target} s) {verdict}")


if __name__ == "__main__":
    main()

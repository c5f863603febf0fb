"""One new day into existing indexes of different sizes: does its cost follow the change or the corpus?

    uv run python benchmarks/bench_new_day.py --index NAME=DATA_DIR:INDEX_DIR [--index ...] [--runs 3]

For each index (e.g. bench_startup.py's corpus build and bench_scale.py's 100k build), each run
copies the index, adds one new day of 5 entries to a copy of its data folder's file list
(the corpus's 2025-12-02 moved to a day after everything, its titles marked, so all of it is
new text) and times `rag reindex --json` in a fresh process: wall time, peak RSS, and what it
wrote as a share of the index, two ways: the bytes it passed to write calls (`wchar` of
/proc/self/io at exit: what reaches the files, SQLite pages and segment files alike) and the
sizes of the files it created or touched (which counts a SQLite file written one page in full).
Then a second, no-op reindex of the same copy is timed. Prints the best of N per index and each
one's ratio to the first, measured in the same run. Runs the code of the checkout it is in, so
a baseline is this script run from a checkout of the older commit.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

REPO = Path(__file__).resolve().parents[1]
DAY_FILE = REPO.parent / "shared" / "corpus" / "2025" / "2025-12-02.txt"
NEW_DAY_LINE = "2999년 1월 2일"


def new_day_text() -> str:
    """The corpus day, moved past every real or synthetic day, each title marked as new."""
    lines = DAY_FILE.read_text(encoding="utf-8").splitlines()
    assert re.fullmatch(r"\d{4}년 \d{1,2}월 \d{1,2}일", lines[0]), lines[0]
    out, after_entry = [NEW_DAY_LINE], True
    for line in lines[1:]:
        # A title opens an entry: the line after the day line or after an entry's #tags line.
        out.append(f"{line} [new day]" if after_entry and line.strip() else line)
        after_entry = line.startswith("#") if line.strip() else after_entry
    return "\n".join(out) + "\n"


def tree_bytes(root: Path, since_ns: int = 0) -> int:
    """Bytes of the files under root (only those modified at or after since_ns, when given)."""
    total = 0
    for folder, _, names in os.walk(root):
        for name in names:
            st = os.stat(os.path.join(folder, name))
            total += st.st_size if st.st_mtime_ns >= since_ns else 0
    return total


# `python -m rag reindex --json`, printing the process's write-call bytes to stderr at exit.
RUN_RAG = (
    "import atexit, runpy, sys\n"
    "atexit.register(lambda: sys.stderr.write(next(l for l in open('/proc/self/io') if l.startswith('wchar'))))\n"
    "sys.argv = ['rag', 'reindex', '--json']\n"
    "runpy.run_module('rag', run_name='__main__', alter_sys=True)\n"
)


def timed_reindex(work: Path, expect: str) -> tuple[float, float, int]:
    """`rag reindex --json` in a fresh process over work/; (wall s, peak RSS MB, bytes written)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "OPENAI_"))}
    env.update(RAG_DATA_DIR=str(work / "data"), RAG_INDEX_DIR=str(work / "index"), PYTHONPATH=str(REPO))
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", RUN_RAG], cwd=REPO, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        report, errors = out.read().decode(), err.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) or expect not in report:
        raise RuntimeError(f"reindex of {work} did not report {expect}: {report[-500:]}")
    wchar = int(re.findall(r"^wchar: (\d+)", errors, re.M)[-1])
    return wall, usage.ru_maxrss / 1024, wchar


def one_run(data: Path, index: Path, work: Path) -> tuple[float, float, float, float, float]:
    """Copy the index, link the data files (a first reindex takes in the folder's new place),
    add the new day, reindex cold, then again with nothing new; (wall s, peak RSS MB, share of
    the index written, share touched, no-op wall s)."""
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(index, work / "index")
    shutil.copytree(data, work / "data", copy_function=os.link)
    timed_reindex(work, '"added": 0')  # untimed: the index learns where its data folder now is
    (work / "data" / "new-day.txt").write_text(new_day_text(), encoding="utf-8")
    size = tree_bytes(work / "index")
    since = time.time_ns()
    wall, rss, wchar = timed_reindex(work, '"added": 5')
    touched = tree_bytes(work / "index", since) / size
    noop, _, _ = timed_reindex(work, '"added": 0')
    shutil.rmtree(work, ignore_errors=True)
    return wall, rss, wchar / size, touched, noop


@click.command()
@click.option("--index", "indexes", multiple=True, required=True, metavar="NAME=DATA_DIR:INDEX_DIR",
              help="An index and the data folder it was built from (repeatable; the first is the baseline).")
@click.option("--runs", default=3, show_default=True, help="Runs per index; the best is reported.")
@click.option("--workdir", type=click.Path(path_type=Path), default=Path(tempfile.gettempdir()) / "bench-new-day",
              show_default=True, help="Where the copies go (removed after each run).")
def main(indexes: tuple[str, ...], runs: int, workdir: Path) -> None:
    """Time one new day per index and print each one's best and its ratio to the first."""
    best: dict[str, tuple[float, ...]] = {}
    for spec in indexes:
        name, _, paths = spec.partition("=")
        data, _, index = paths.partition(":")
        built = any((Path(index) / m).exists() for m in ("manifest.sqlite", "manifest.json"))
        if not (name and Path(data).is_dir() and built):
            raise click.BadParameter(f"expected NAME=DATA_DIR:INDEX_DIR of a built index, got {spec!r}")
        results = [one_run(Path(data), Path(index), workdir) for _ in range(runs)]
        best[name] = min(results)[:4] + (min(r[4] for r in results),)
        click.echo(f"{name}: runs {', '.join(f'{r[0]:.2f} s' for r in results)}", err=True)
    first = next(iter(best.values()))[0]
    for name, (wall, rss, written, touched, noop) in best.items():
        click.echo(f"{name:<12} one new day {wall:6.2f} s  peak RSS {rss:6.0f} MB  wrote {written:5.1%} of the index"
                   f" (files touched: {touched:5.1%})  ×{wall / first:.2f} of the first  no-op reindex {noop:5.2f} s")


if __name__ == "__main__":
    main()

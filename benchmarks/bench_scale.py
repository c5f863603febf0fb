"""Scale benchmark: build time, disk, RSS and search latency from 1k to 100k entries.

    uv run python benchmarks/bench_scale.py [--mode embedded|server] [--sizes 1000,4000,20000]
                                            [--workdir DIR] [--reuse] [--table]

For each size a data directory is made from ../shared/corpus (3,837 real entries):
- sizes up to the corpus are real: whole day files in a fixed shuffled order until the size
  is reached (a few entries over, since days are not split);
- larger sizes are SYNTHETIC: the whole corpus plus re-dated copies of its day files. Copy n
  moves every day 12*n years on (12: past the corpus' 10-year span, and a multiple of 4 so
  29 February stays a leap day; the rare day that does not exist is left out) and appends
  " [variant n]" to every title (not "(variant n)": "(Mis)Fitting: ... (variant 1)" would
  read as an authors line). Chunks start with their title, so every chunk of a copy is
  new text and is embedded for real; nothing is reused. The copies' bodies are the
  originals', so dense neighbours come in near-identical groups, which real data would not.

Each index is built from scratch (`rag.index.reindex`) in a fresh process, and then a second
fresh process loads it like the app does (`rag.get_index`) and times `search_index` on the 30
questions of ../shared/eval/seed_questions.jsonl, 3 rounds, after two warm-up searches (en, ko);
p50/p95 are over all 90 timings, and the p50 of the questions that name a day, month or tag
(a metadata filter) is reported apart from the rest. Its RSS is read after the searches, and
again after it builds the Gradio app (`rag.app.web.build_app`, not launched). One process per step
keeps each size's RSS its own. The load average is recorded beside every number: on a shared
2-core machine it explains most of the noise.

Two modes, as the app runs:
- embedded (default): Chroma inside the app process, its files in the index directory;
- server: a real `chroma run` (the venv's chromadb) on a free loopback port, one per size,
  over its own store that starts empty for every build. Both workers get RAG_CHROMA_URL;
  the index directory then only holds local things (lock, token cache). Disk is the server
  store plus the index directory, and the server's own RSS is read after the searches
  (its peak too), since in this mode the vectors live in that process, not in the app.

Results are merged into benchmarks/out/scale.json, keyed by size ("4000") in embedded mode
and "server:<size>" in server mode, so a long size (100k: ~40 minutes on 2 cores) can run
later and join the table. Each row records the commit it was built and measured at.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a plain script from anywhere
sys.path.insert(0, str(REPO / "tests"))  # servers.py: the `chroma run` the tests start too

from servers import ChromaServer  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
QUESTIONS = REPO.parent / "shared" / "eval" / "seed_questions.jsonl"
OUT = REPO / "benchmarks" / "out"
RESULTS = OUT / "scale.json"
# Corpus text must not land in the repository: data and indexes go to a temp dir by default.
DEFAULT_WORKDIR = Path(tempfile.gettempdir()) / "digest-rag-bench-scale"
MODES = ("embedded", "server")
YEARS_PER_VARIANT = 12
ROUNDS = 3  # each question is searched this many times: 90 timings per size, less noise


# ---- data -------------------------------------------------------------------------------

def corpus_days() -> list[tuple[Path, list[int], int]]:
    """Every corpus day file with its title line numbers (1-based) and entry count, shuffled
    in a fixed order so any prefix mixes years like the whole corpus does."""
    from rag.digest import parse_day_file

    days = []
    for path in sorted(CORPUS.glob("*/*.txt")):
        entries = parse_day_file(path)
        days.append((path, [e.source.line for e in entries], len(entries)))
    random.Random(0).shuffle(days)
    return days


def variant_text(text: str, title_lines: list[int], n: int) -> str | None:
    """The day file re-dated n*12 years on with " [variant n]" on every title; None when the
    new day does not exist (29 February of a non-leap century year)."""
    from rag.digest.parse import _parse_day  # the parser's own reading of line 1

    lines = text.split("\n")
    day = _parse_day(lines[0])
    try:
        moved = day.replace(year=day.year + YEARS_PER_VARIANT * n)
    except ValueError:
        return None
    lines[0] = f"{moved.year}년 {moved.month}월 {moved.day}일"
    for number in title_lines:
        lines[number - 1] = lines[number - 1].rstrip() + f" [variant {n}]"
    return "\n".join(lines)


def make_data(size: int, data: Path) -> dict:
    """Fill `data` with about `size` entries (see the module docstring); returns its make-up."""
    from rag.digest import parse_day_text

    if data.exists():
        shutil.rmtree(data)
    days = corpus_days()
    total = sum(count for _, _, count in days)
    entries = files = synthetic = 0
    variant = 0
    while entries < size:
        for path, title_lines, count in days:
            if entries >= size:
                break
            text = path.read_text(encoding="utf-8")
            if variant == 0:
                target = data / path.relative_to(CORPUS)
            else:
                text = variant_text(text, title_lines, variant)
                if text is None:
                    continue
                year = text.split("년", 1)[0]
                target = data / f"v{variant:03d}" / year / f"{year}{path.name[4:]}"
                # Perturbing a title must never change where entries start or end.
                assert len(parse_day_text(text, str(target))) == count, target
                synthetic += count
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            entries += count
            files += 1
        variant += 1
    return {"entries": entries, "files": files, "synthetic_entries": synthetic,
            "variants": variant - 1, "corpus_entries": total}


# ---- measuring ----------------------------------------------------------------------------

def rss_mb(pid: int | str = "self", field: str = "VmRSS") -> float:
    """A memory field of /proc/<pid>/status in MB: VmRSS is resident now, VmHWM its peak."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (ru_maxrss is in kB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load() -> float:
    """The 1-minute load average (2 cores: above 2 means something else competes)."""
    return round(os.getloadavg()[0], 2)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def dir_mb(path: Path) -> float:
    """Disk usage of a tree in MB (allocated blocks, like du)."""
    return sum(p.stat().st_blocks * 512 for p in path.rglob("*") if p.is_file()) / 1e6


def code_version() -> str:
    """The commit the workers import rag/ from, marked when rag/ has uncommitted changes
    (it is edited while long runs go on, so a number must say which code it measured)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, stdout=subprocess.PIPE, text=True, check=True).stdout.strip()

    return git("rev-parse", "--short", "HEAD") + ("+uncommitted rag/" if git("status", "--porcelain", "--", "rag") else "")


def worker_build(data: Path, index: Path) -> dict:
    """In a fresh process: build the index from scratch; progress on stderr."""
    from rag.config import load_settings
    from rag.index.reindex import reindex

    settings = load_settings(data_dir=data, index_dir=index)
    started = time.perf_counter()
    loads: list[float] = []
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] >= 30 or done == total:
            last[0] = now
            loads.append(load())
            rate = done / (now - started) if now > started else 0.0
            print(f"  embedded {done}/{total} chunks, {now - started:.0f} s, {rate:.1f} chunks/s, "
                  f"load {loads[-1]}", file=sys.stderr, flush=True)

    report = reindex(settings, on_progress=progress)
    seconds = time.perf_counter() - started
    return {
        "build_s": round(seconds, 1), "added": report.added, "skipped": report.skipped,
        "errors": report.errors[:5], "embedded_chunks": report.embedded_chunks,
        "build_peak_rss_mb": round(peak_rss_mb()),
        "build_load_mean": round(sum(loads) / len(loads), 2) if loads else load(),
    }


def worker_probe(index: Path) -> dict:
    """In a fresh process: load the index as the app does, time 30 searches, read RSS."""
    started = time.perf_counter()
    from rag import get_index
    from rag.ask.retrieve import search_index
    from rag.config import load_settings

    settings = load_settings(index_dir=index)
    idx = get_index(settings, build_if_empty=False)
    load_s = time.perf_counter() - started
    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    # Warm-up in both languages: the Korean tokenizer loads on the first Korean question.
    search_index(idx, "warm-up: which paper scales reinforcement learning for reasoning?", k=10)
    search_index(idx, "강화학습으로 추론 능력을 키우는 논문은?", k=10)
    load_before = load()
    timed: list[tuple[float, bool]] = []  # (ms, names a day/month/tag: a metadata filter)
    for _ in range(ROUNDS):
        for question in questions:
            t = time.perf_counter()
            understood = search_index(idx, question, k=10).understanding
            timed.append(((time.perf_counter() - t) * 1000, bool(understood.filters)))
    times = [ms for ms, _ in timed]
    filtered = [ms for ms, has_filter in timed if has_filter]
    plain = [ms for ms, has_filter in timed if not has_filter]
    out = {
        "entries_loaded": len(idx.entries), "chunks": len(idx.manifest.chunk_ids()),
        "load_s": round(load_s, 2), "questions": len(questions), "searches": len(times),
        "search_p50_ms": round(percentile(times, 50), 1), "search_p95_ms": round(percentile(times, 95), 1),
        "unfiltered_p50_ms": round(percentile(plain, 50), 1), "filtered_p50_ms": round(percentile(filtered, 50), 1),
        "filtered_share": round(len(filtered) / len(times), 2),
        "search_load": round((load_before + load()) / 2, 2),
        "rss_search_mb": round(rss_mb()), "peak_rss_search_mb": round(peak_rss_mb()),
    }
    try:
        from rag.app.reindexing import Reindexer
        from rag.app.web import build_app

        build_app(settings, idx, Reindexer(settings, idx))
        out["rss_app_mb"] = round(rss_mb())
    except Exception as exc:  # the app is measured when it builds; the search numbers stand anyway
        out["rss_app_mb"] = None
        out["app_error"] = f"{type(exc).__name__}: {exc}"
    return out


def in_fresh_process(*args: str, chroma_url: str | None) -> dict:
    """Run this script's worker mode in a new interpreter (against the server at chroma_url,
    or embedded when None) and return its JSON line."""
    env = {k: v for k, v in os.environ.items() if k != "RAG_CHROMA_URL"}
    if chroma_url:
        env["RAG_CHROMA_URL"] = chroma_url
    proc = subprocess.run([sys.executable, __file__, "--worker", *args], cwd=REPO, env=env,
                          stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"worker {args[0]} failed with exit status {proc.returncode}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---- server mode ----------------------------------------------------------------------------

@contextmanager
def chroma_server(store: Path) -> Iterator[ChromaServer]:
    """A `chroma run` over `store` on a free loopback port, stopped on the way out whatever
    happened (an error, Ctrl-C, kill), so no server outlives the benchmark."""
    server = ChromaServer(store)
    try:
        server.start()
        print(f"  chroma run: {server.url}, pid {server.pid}, store {store}", file=sys.stderr, flush=True)
        yield server
    finally:
        server.stop()


# ---- one size -------------------------------------------------------------------------------

@dataclass(frozen=True)
class BuildDirs:
    """Where one size's build lives in one mode. Embedded keeps the names it always had, so
    its earlier builds stay reusable; server mode has its own index, store and record."""

    home: Path
    mode: str

    def _path(self, name: str) -> Path:
        return self.home / (name if self.mode == "embedded" else f"{self.mode}-{name}")

    @property
    def index(self) -> Path:
        return self._path("index")

    @property
    def store(self) -> Path:
        return self._path("store")

    @property
    def record(self) -> Path:
        return self._path("record.json")

    def recorded(self) -> bool:
        """True when a finished build is there: its record, and the store it describes."""
        store = self.index / "manifest.sqlite" if self.mode == "embedded" else self.store / "chroma.sqlite3"
        return self.record.exists() and store.exists()

    def disk(self) -> dict:
        """Disk use in MB: the index directory, plus the server's store in server mode."""
        index = dir_mb(self.index)
        if self.mode == "embedded":
            return {"disk_mb": round(index, 1)}
        store = dir_mb(self.store)
        return {"disk_mb": round(index + store, 1), "store_mb": round(store, 1), "index_mb": round(index, 1)}


def build(size: int, wanted: int, where: BuildDirs, chroma_url: str | None) -> dict:
    """Make the data and build its index from scratch in a fresh process; returns the build's row."""
    made = make_data(wanted, where.home / "data")
    print(f"  data: {made['entries']} entries in {made['files']} files "
          f"({made['synthetic_entries']} synthetic), building ...", file=sys.stderr, flush=True)
    commit = code_version()  # what the worker is about to import
    built = in_fresh_process("build", str(where.home / "data"), str(where.index), chroma_url=chroma_url)
    return {"size": size, **made, **built, **where.disk(), "built_commit": commit,
            "built": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def measure(size: int, wanted: int, where: BuildDirs, reuse: bool) -> dict:
    """One size in one mode: build (or reuse the recorded build), then probe; returns its row."""
    reusing = reuse and where.recorded()
    if not reusing:
        where.record.unlink(missing_ok=True)  # a build that fails half-way must not look reusable
        shutil.rmtree(where.index, ignore_errors=True)
        shutil.rmtree(where.store, ignore_errors=True)
    with chroma_server(where.store) if where.mode == "server" else nullcontext() as server:
        url = server.url if server else None
        if reusing:
            row = json.loads(where.record.read_text())
            print("  reusing the recorded build", file=sys.stderr, flush=True)
        else:
            row = build(size, wanted, where, url)
            where.record.write_text(json.dumps(row, indent=2))
        row["measured_commit"] = code_version()
        row.update(in_fresh_process("probe", str(where.index), chroma_url=url))
        if server:
            row["server_rss_mb"] = round(rss_mb(server.pid))
            row["server_peak_rss_mb"] = round(rss_mb(server.pid, "VmHWM"))
    row["measured"] = date.today().isoformat()
    return row


def result_key(mode: str, size: int) -> str:
    """The row's key in scale.json: the bare size in embedded mode, as before server mode existed."""
    return str(size) if mode == "embedded" else f"{mode}:{size}"


def mode_of(key: str) -> str:
    """The mode of a scale.json key (the inverse of result_key)."""
    return key.split(":")[0] if ":" in key else "embedded"


def rows_of(results: dict, mode: str) -> list[dict]:
    """One mode's rows, smallest first."""
    return sorted((row for key, row in results.items() if mode_of(key) == mode), key=lambda r: r["entries"])


# ---- the table ----------------------------------------------------------------------------

def growth(rows: list[dict], key: str) -> list[str]:
    """Between consecutive sizes: the metric's ratio and its exponent (log ratio / log size ratio:
    1 = linear, 0 = flat, above 1 = worse than linear)."""
    out = []
    for a, b in zip(rows, rows[1:]):
        if not a.get(key) or not b.get(key):
            continue
        size_ratio = b["entries"] / a["entries"]
        ratio = b[key] / a[key]
        out.append(f"{a['entries']}->{b['entries']} x{ratio:.2f} (exp {math.log(ratio) / math.log(size_ratio):.2f})")
    return out


Column = tuple[str, str, Callable[[dict], str]]  # header, markdown alignment, cell

COLUMNS: list[Column] = [
    ("entries", "---:", lambda r: f"{r['entries']:,}"),
    ("data", "---", lambda r: f"synthetic ({r['synthetic_entries']:,} copied)" if r["synthetic_entries"] else "real"),
    ("build s", "---:", lambda r: f"{r['build_s']:,.0f}"),
    ("entries/s", "---:", lambda r: f"{r['entries'] / r['build_s']:.1f}"),
    ("disk MB", "---:", lambda r: f"{r['disk_mb']:,.0f}"),
    ("open s", "---:", lambda r: f"{r['load_s']:.1f}"),
    ("RSS search MB", "---:", lambda r: f"{r['rss_search_mb']:,}"),
    ("RSS app MB", "---:", lambda r: f"{r['rss_app_mb']:,}" if r["rss_app_mb"] else "n/a"),
    ("search p50 ms", "---:", lambda r: f"{r['search_p50_ms']}"),
    ("search p95 ms", "---:", lambda r: f"{r['search_p95_ms']}"),
    ("p50 unfiltered / filtered ms", "---", lambda r: f"{r['unfiltered_p50_ms']} / {r['filtered_p50_ms']}"),
    ("load avg (build / search)", "---", lambda r: f"{r['build_load_mean']} / {r['search_load']}"),
]
# In server mode the vectors live in another process with its own files and memory.
SERVER_COLUMNS: list[Column] = [
    ("disk: store + index MB", "---", lambda r: f"{r['store_mb']:,.0f} + {r['index_mb']:,.0f}"),
    ("Chroma server RSS MB (peak)", "---", lambda r: f"{r['server_rss_mb']:,} ({r['server_peak_rss_mb']:,})"),
]
GROWTH = [("build_s", "build time"), ("disk_mb", "disk"), ("load_s", "open (fresh process)"),
          ("rss_search_mb", "RSS (search)"), ("search_p50_ms", "search p50"), ("search_p95_ms", "search p95"),
          ("unfiltered_p50_ms", "unfiltered p50"), ("filtered_p50_ms", "filtered p50")]
SERVER_GROWTH = [("store_mb", "server store"), ("server_rss_mb", "Chroma server RSS")]


def mode_table(mode: str, rows: list[dict]) -> str:
    """Markdown table of one mode's sizes, then how each metric grows between them."""
    columns = COLUMNS + (SERVER_COLUMNS if mode == "server" else [])
    lines = [f"{mode} mode", "",
             "| " + " | ".join(head for head, _, _ in columns) + " |",
             "|" + "|".join(align for _, align, _ in columns) + "|"]
    lines += ["| " + " | ".join(cell(r) for _, _, cell in columns) + " |" for r in rows]
    lines.append("")
    for key, name in GROWTH + (SERVER_GROWTH if mode == "server" else []):
        steps = growth(rows, key)
        if steps:
            lines.append(f"- {name}: " + "; ".join(steps))
    return "\n".join(lines)


def table(results: dict) -> str:
    """One table per mode measured so far."""
    return "\n\n".join(mode_table(mode, rows) for mode in MODES if (rows := rows_of(results, mode)))


def verdicts(results: dict) -> list[str]:
    """The issue's targets, checked per mode against the sizes that carry them."""
    out = []
    for mode in MODES:
        by_size = {r["size"]: r for r in rows_of(results, mode)}
        if 100000 in by_size:
            p50 = by_size[100000]["search_p50_ms"]
            out.append(f"{mode}: search p50 at 100k: {p50} ms (target < 200) {'ok' if p50 < 200 else 'OVER TARGET'}")
        if 4000 in by_size:
            row = by_size[4000]
            rss = row["rss_app_mb"] or row["rss_search_mb"]
            # The target is the app's; a server's memory is its own process (maybe another machine).
            server = f" (+ Chroma server {row['server_rss_mb']} MB)" if "server_rss_mb" in row else ""
            out.append(f"{mode}: RSS of the app at 4k: {rss} MB (target < 1024) {'ok' if rss < 1024 else 'OVER TARGET'}{server}")
    return out


# ---- main -------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=MODES, default="embedded",
                        help="Chroma inside the app, or a `chroma run` server per size (default: %(default)s)")
    parser.add_argument("--sizes", default="1000,4000,20000",
                        help="comma-separated entry counts; 4000 means the whole corpus (default: %(default)s)")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR,
                        help="where data dirs and indexes go, kept between runs (default: %(default)s)")
    parser.add_argument("--reuse", action="store_true",
                        help="keep an index already built for a size (its recorded build numbers are used)")
    parser.add_argument("--table", action="store_true", help="only print the table of results so far")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        mode, *paths = args.worker
        result = worker_build(Path(paths[0]), Path(paths[1])) if mode == "build" else worker_probe(Path(paths[0]))
        print(json.dumps(result))
        return

    OUT.mkdir(parents=True, exist_ok=True)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    if args.table:
        print(table(results))
        print("\n".join(verdicts(results)))
        return
    # A long run is stopped with `kill`: as SystemExit, SIGTERM still stops its Chroma server.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    from rag.digest import parse_dir

    corpus_entries = len(parse_dir(CORPUS).entries)
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"== {size} entries, {args.mode} mode (load {load()}) ==", file=sys.stderr, flush=True)
        # "4000" stands for the real corpus (3,837 entries): all of it, nothing synthetic.
        wanted = corpus_entries if size == 4000 else size
        row = measure(size, wanted, BuildDirs(args.workdir / str(size), args.mode), args.reuse)
        results[result_key(args.mode, size)] = row
        RESULTS.write_text(json.dumps(results, indent=2))
        print(f"  {json.dumps(row)}", file=sys.stderr, flush=True)
    print(table(results))
    print("\n".join(verdicts(results)))
    print(f"\nmachine: {os.cpu_count()} cores; load average now {os.getloadavg()}; results in {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()

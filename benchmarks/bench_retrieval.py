"""Retrieval benchmark on the whole corpus (../shared/corpus, ~3.8k entries).

    uv run python benchmarks/bench_retrieval.py [--rebuild]

Indexes the corpus into benchmarks/out/index (reused when already built), runs `rag eval` on
../shared/eval/seed_questions.jsonl against it, and times each question's search back to back
with the raw cost a search cannot go below: one query embedding plus one Chroma kNN. Prints a compact table and writes everything,
per-question outcomes included, to benchmarks/out/retrieval.json.
"""

from __future__ import annotations

import json
import resource
import shutil
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import click

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a plain script from anywhere

from rag.app.reindexing import run_reindex  # noqa: E402
from rag.config import Settings, load_settings  # noqa: E402
from rag.eval.evaluate import BASELINE_DIR, evaluate, format_table, load_questions, percentile, rounded  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
QUESTIONS = REPO.parent / "shared" / "eval" / "seed_questions.jsonl"
OUT = REPO / "benchmarks" / "out"
INDEX = OUT / "index"
BUILD_RECORD = OUT / "index-build.json"  # how long the reused index took to build
PAIRED_ROUNDS = 5  # passes over the questions when timing search against raw embed+kNN


def dir_mb(path: Path, skip: str | None = None) -> float:
    """Size on disk of a directory tree in MB, optionally leaving one child out."""
    total = 0
    for p in path.rglob("*"):
        if skip and p.relative_to(path).parts[0] == skip:
            continue
        if p.is_file():
            total += p.stat().st_blocks * 512
    return total / 1e6


def paired_ms(settings: Settings, texts: list[str], rounds: int = PAIRED_ROUNDS) -> tuple[list[float], list[float]]:
    """Per question, back to back: one full search, then the raw cost (embed_query plus
    collection.query(n_results=10) on the main collection), in ms; `rounds` passes.

    Timing the two in alternation, not in separate phases, keeps their ratio honest on a
    shared machine: a burst of load hits both sides instead of one. The raw side uses the
    very collection object the Index searches: a second Chroma client on the same path
    measured 40x slower (it re-syncs), which would flatter the ratio.
    """
    from rag import get_index
    from rag.ask.retrieve import search_index

    index = get_index(settings, build_if_empty=False)
    collection, embedder = index.view().collection, index.embedder
    collection.query(query_embeddings=[embedder.embed_query("warm-up")], n_results=10)
    search_index(index, "warm-up: 강화학습 추론 논문")
    search, raw = [], []
    for _ in range(rounds):
        for text in texts:
            started = time.perf_counter()
            search_index(index, text, k=10)
            search.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            collection.query(query_embeddings=[embedder.embed_query(text)], n_results=10)
            raw.append((time.perf_counter() - started) * 1000)
    return search, raw


def build_index(settings: Settings, rebuild: bool) -> dict:
    """Index the corpus (incrementally); the build time is the one recorded when it was built."""
    if rebuild and INDEX.exists():
        shutil.rmtree(INDEX)
    started = time.perf_counter()
    report = run_reindex(settings)
    seconds = time.perf_counter() - started
    for err in report.errors:
        print(f"skipped: {err}", file=sys.stderr)
    if report.added or report.changed or report.removed or not BUILD_RECORD.exists():
        record = {"seconds": round(seconds, 1), "embedded_chunks": report.embedded_chunks,
                  "added": report.added, "changed": report.changed, "skipped": report.skipped,
                  "built": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        BUILD_RECORD.write_text(json.dumps(record, indent=2))
        return {**record, "reused": False}
    return {**json.loads(BUILD_RECORD.read_text()), "reused": True, "check_seconds": round(seconds, 2)}


def failures(details: list[dict]) -> list[str]:
    """Lines describing every question that misses a target: gold ranks and what ranked above."""
    lines = []
    for d in details:
        ranks = d["gold_ranks"]
        missed = ranks and any(r is None or r > 5 for r in ranks.values())
        not_first = ranks and min((r for r in ranks.values() if r), default=99) > 1
        wrong_abstain = d["abstained"] != (not ranks)
        if not (missed or not_first or wrong_abstain):
            continue
        lines.append(f"{d['id']} [{d['lang']}/{d['kind']}] {d['question']}")
        for title, rank in ranks.items():
            lines.append(f"    gold rank {rank if rank else '>' + str(len(d['top']))}: {title}")
        first = min((r for r in ranks.values() if r), default=len(d["top"]) + 1)
        for n, top in enumerate(d["top"][: min(first - 1, 5)], 1):
            lines.append(f"    above #{n}: {top}")
        if wrong_abstain:
            lines.append(f"    abstained={d['abstained']} cited={d['cited']}")
        lines.append("    baselines: " + ", ".join(
            f"{name} {b['gold_ranks']}" for name, b in d["baselines"].items()))
    return lines


@click.command()
@click.option("--rebuild", is_flag=True, help="Delete and rebuild the benchmark index.")
def run(rebuild: bool) -> None:
    """Index the corpus, evaluate the seed questions on it, print and save the numbers."""
    OUT.mkdir(parents=True, exist_ok=True)
    settings = load_settings(data_dir=CORPUS, index_dir=INDEX)
    build = build_index(settings, rebuild)

    questions = load_questions(QUESTIONS)
    started = time.perf_counter()
    report = evaluate(settings, questions, k=10)
    eval_seconds = time.perf_counter() - started
    summary = report.to_dict()
    paired_search, raw = paired_ms(settings, [q.question for q in questions])
    raw_p50 = percentile(raw, 50)

    from rag import get_index

    index = get_index(settings)
    answerable = [r for r in report.results if r.question.gold]
    bench = {
        "entries": len(index.entries),
        "chunks": len(index.manifest.chunk_ids()),
        "index_build_s": build["seconds"],
        "index_reused": build["reused"],
        "index_mb": dir_mb(INDEX, skip=BASELINE_DIR),
        "baseline_index_mb": dir_mb(INDEX / BASELINE_DIR) if (INDEX / BASELINE_DIR).exists() else 0.0,
        "baseline_windows": report.baseline_windows,
        "baseline_embedded": report.baseline_embedded,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # KB on Linux
        "eval_s": eval_seconds,
        "search_p50_ms": summary["latency_ms"]["search_p50"],
        "search_p95_ms": summary["latency_ms"]["search_p95"],
        "paired_search_p50_ms": percentile(paired_search, 50),
        "raw_embed_knn_p50_ms": raw_p50,
        "raw_embed_knn_p95_ms": percentile(raw, 95),
        "search_over_raw_p50": percentile(paired_search, 50) / raw_p50,
        "false_abstain_rate": sum(r.abstained for r in answerable) / len(answerable) if answerable else None,
        "llm": settings.llm_enabled,
    }
    bench = rounded(bench, 2)

    build_note = "reused; recorded at build" if build["reused"] else "built now"
    print(f"corpus            {CORPUS}  ({bench['entries']} entries, {bench['chunks']} chunks)")
    print(f"index build       {bench['index_build_s']:.1f} s ({build_note})")
    print(f"index on disk     {bench['index_mb']:.1f} MB (+ baseline {bench['baseline_index_mb']:.1f} MB, "
          f"{bench['baseline_windows']} windows, {'embedded now' if bench['baseline_embedded'] else 'cached'})")
    print(f"peak RSS          {bench['peak_rss_mb']:.0f} MB")
    print(f"search            p50 {bench['search_p50_ms']:.1f} ms, p95 {bench['search_p95_ms']:.1f} ms")
    print(f"paired timing     search p50 {bench['paired_search_p50_ms']:.1f} ms, raw embed+kNN p50 "
          f"{bench['raw_embed_knn_p50_ms']:.1f} ms (p95 {bench['raw_embed_knn_p95_ms']:.1f})"
          f"  -> search/raw p50 = {bench['search_over_raw_p50']:.2f}x")
    print(f"false abstention  {bench['false_abstain_rate']}  (answerable questions answered with an abstention)")
    print(f"answers           {'LLM' if bench['llm'] else 'offline extractive'}; eval took {bench['eval_s']:.0f} s")
    print()
    print(format_table(summary))
    details = report.details()
    lines = failures(details)
    print("\nquestions missing a target (gold not at rank 1, not in top 5, or wrong abstention):")
    print("\n".join(lines) if lines else "  none")

    path = OUT / "retrieval.json"
    path.write_text(json.dumps({"benchmark": bench, "eval": summary, "questions": details},
                               ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"\nwritten: {path.relative_to(REPO)}")


if __name__ == "__main__":
    run()

"""Question sets side by side through the public API, fast: no baselines (`rag eval` and
bench_answers.py embed the corpus again in fixed windows for those; this does not).

    RAG_DATA_DIR=../shared/corpus RAG_INDEX_DIR=/tmp/corpus-index \
        uv run python benchmarks/bench_sets.py OUT.json eval/dev.jsonl eval/test.jsonl ...

Per set it prints one JSON line: recall@1/5/10 and MRR of `search` (over answerable questions),
citation precision and recall of `answer` (recall over gold, uncapped), abstention on
unanswerable questions, false abstention on answerable ones, recall@1 per language, and p50
latency of `search` and `answer`. OUT.json gets every question's row too, so two runs (say,
two commits with PYTHONPATH pointing at each checkout) can be compared question by question.
The index must exist (`rag reindex`).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import rag
from rag.config import load_settings
from rag.text import normalize_title


def run_question(question: dict, settings) -> dict:
    """One question's row: its ranks, citations, abstention and latencies."""
    gold = {normalize_title(g) for g in question["gold"]}
    started = time.perf_counter()
    hits = rag.search(question["question"], k=10, settings=settings)
    searched = time.perf_counter() - started
    started = time.perf_counter()
    answer = rag.answer(question["question"], settings=settings)
    answered = time.perf_counter() - started
    titles = [normalize_title(h.entry.title) for h in hits]
    cited = {normalize_title(c.entry.title) for c in answer.citations}
    row = {"id": question["id"], "kind": question["kind"], "lang": question["lang"], "abstained": answer.abstained,
           "n_gold": len(gold), "search_s": searched, "answer_s": answered, "cited": len(cited)}
    if gold:
        for k in (1, 5, 10):
            row[f"r{k}"] = len(gold & set(titles[:k])) / min(k, len(gold))
        row["mrr"] = next((1 / (i + 1) for i, t in enumerate(titles) if t in gold), 0.0)
        row["citation_recall"] = len(gold & cited) / len(gold)
        if cited:
            row["citation_precision"] = len(gold & cited) / len(cited)
    return row


def _mean(rows: list[dict], key: str) -> float | None:
    values = [r[key] for r in rows if key in r]
    return round(statistics.fmean(values), 3) if values else None


def figures(rows: list[dict]) -> dict:
    """One set's figures from its rows."""
    answerable = [r for r in rows if r["n_gold"]]
    unanswerable = [r for r in rows if not r["n_gold"]]
    share = lambda group: round(sum(r["abstained"] for r in group) / len(group), 3) if group else None  # noqa: E731
    return {
        "n": len(rows), **{k: _mean(answerable, k) for k in ("r1", "r5", "r10", "mrr")},
        "citation_precision": _mean(answerable, "citation_precision"),
        "citation_recall": _mean(answerable, "citation_recall"),
        "abstain_unanswerable": share(unanswerable), "false_abstention": share(answerable),
        "r1_en": _mean([r for r in answerable if r["lang"] == "en"], "r1"),
        "r1_ko": _mean([r for r in answerable if r["lang"] == "ko"], "r1"),
        "search_p50_ms": round(statistics.median(r["search_s"] for r in rows) * 1000, 1),
        "answer_p50_ms": round(statistics.median(r["answer_s"] for r in rows) * 1000, 1),
    }


def main(out: Path, paths: list[Path]) -> None:
    settings = load_settings()
    report = {}
    for path in paths:
        questions = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        rows = [run_question(q, settings) for q in questions]
        report[path.name] = {"figures": figures(rows), "rows": rows}
        print(path.name, json.dumps(report[path.name]["figures"]), flush=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]])

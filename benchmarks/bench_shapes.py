"""Issue 23 figures on the frozen shape sets: narrow topics, authors, described comparisons.

Runs the public API over eval/topics.jsonl, eval/authors.jsonl and eval/compare.jsonl (or the
files given with --questions) and prints, per set and per language:
- topic questions: recall capped at 40, |cited ∩ gold| / min(40, |gold|), and precision of what is
  cited, |cited ∩ gold| / |cited|; separately for questions whose notes say "tag-topic";
- author questions: the same recall / precision;
- compare questions: citation recall, |cited ∩ gold| / |gold|;
- every question with gold [] (empty periods, unknown authors, unanswerable): the abstention rate.
Titles match after normalization (casefold, punctuation and spaces removed); a title the digest
repeats counts once. Precision is averaged over the questions that cite something; recall over
the questions with gold.

It needs an index of the full corpus (built once, then reused), e.g. from the repository root:
    export RAG_DATA_DIR=../shared/corpus RAG_INDEX_DIR=/tmp/corpus-index
    uv run rag reindex
    uv run python benchmarks/bench_shapes.py [--json] [--per-question]
    uv run python benchmarks/bench_shapes.py --questions eval/topics.jsonl --questions eval/compare.jsonl
    python3 benchmarks/bench_shapes.py --selftest   # checks the scoring on a fake result list; no index, no rag
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SETS = [ROOT / "eval" / n for n in ("topics.jsonl", "authors.jsonl", "compare.jsonl")]
CAP = 40


def norm(title: str) -> str:
    return re.sub(r"[\W_]+", "", title.casefold())


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def score(q: dict, cited: list[str], abstained: bool) -> dict:
    """Per-question figures from the cited titles and the abstention flag."""
    gold = {norm(t) for t in q["gold"]}
    got = {norm(t) for t in cited}
    hit = len(gold & got)
    row = {"id": q["id"], "kind": q["kind"], "lang": q["lang"], "tag_topic": "tag-topic" in q.get("notes", ""),
           "n_gold": len(gold), "n_cited": len(got), "hits": hit, "abstained": bool(abstained)}
    if gold:
        row["recall"] = hit / (min(CAP, len(gold)) if q["kind"] in ("topic", "author") else len(gold))
        row["recall"] = min(1.0, row["recall"])
    if got:
        row["precision"] = hit / len(got)
    return row


def _mean(rows: list[dict], key: str) -> float | None:
    vals = [r[key] for r in rows if key in r]
    return round(statistics.fmean(vals), 3) if vals else None


def summarize(rows: list[dict]) -> dict:
    answerable = [r for r in rows if r["n_gold"]]
    empty = [r for r in rows if not r["n_gold"]]
    return {"n": len(rows), "recall": _mean(answerable, "recall"), "precision": _mean(answerable, "precision"),
            "n_gold_empty": len(empty),
            "abstain_on_empty": round(sum(r["abstained"] for r in empty) / len(empty), 3) if empty else None,
            "false_abstain": round(sum(r["abstained"] for r in answerable) / len(answerable), 3) if answerable else None}


def report(rows: list[dict]) -> dict:
    out: dict = {}
    for kind in sorted({r["kind"] for r in rows}):
        group = [r for r in rows if r["kind"] == kind]
        entry = {"all": summarize(group)}
        for lang in ("en", "ko"):
            sub = [r for r in group if r["lang"] == lang]
            if sub:
                entry[lang] = summarize(sub)
        if kind == "topic":
            entry["tag_topic"] = summarize([r for r in group if r["tag_topic"]])
            entry["narrow_topic"] = summarize([r for r in group if not r["tag_topic"]])
        out[kind] = entry
    empty = [r for r in rows if not r["n_gold"]]
    out["abstention_on_gold_empty"] = summarize(empty)["abstain_on_empty"] if empty else None
    return out


def run(paths: list[Path]) -> tuple[list[dict], list[float]]:
    from rag import answer  # the public API; needs RAG_DATA_DIR / RAG_INDEX_DIR for the full corpus

    rows, lat = [], []
    for path in paths:
        for q in load(path):
            t0 = time.perf_counter()
            a = answer(q["question"])
            lat.append((time.perf_counter() - t0) * 1000)
            cited = [c.entry.title for c in a.citations]
            row = score(q, cited, a.abstained)
            row["set"] = path.stem
            row["cited"] = [(c.entry.title, str(c.entry.day)) for c in a.citations]
            rows.append(row)
    return rows, lat


def selftest() -> None:
    qs = [{"id": "t1", "lang": "en", "kind": "topic", "question": "", "notes": "",
           "gold": [f"Paper {i}" for i in range(50)], "gold_date": []},
          {"id": "t2", "lang": "ko", "kind": "topic", "question": "", "notes": "tag-topic",
           "gold": ["A: b", "C"], "gold_date": []},
          {"id": "a1", "lang": "en", "kind": "author", "question": "", "notes": "unknown-author", "gold": [], "gold_date": []},
          {"id": "c1", "lang": "ko", "kind": "compare", "question": "", "notes": "", "gold": ["X", "Y", "Z"], "gold_date": []}]
    r1 = score(qs[0], [f"paper {i}" for i in range(30)] + ["Other"], False)
    assert r1["recall"] == 30 / 40 and r1["precision"] == 30 / 31, r1
    r2 = score(qs[1], ["a b", "A: B", "D"], False)  # punctuation/case/space-insensitive, duplicates count once
    assert r2["hits"] == 1 and r2["recall"] == 0.5 and r2["precision"] == 0.5, r2
    r3 = score(qs[2], [], True)
    assert "recall" not in r3 and "precision" not in r3 and r3["abstained"]
    r4 = score(qs[3], ["x", "y"], False)
    assert r4["recall"] == 2 / 3 and r4["precision"] == 1.0, r4
    rep = report([r1, r2, r3, r4])
    assert rep["topic"]["tag_topic"]["recall"] == 0.5 and rep["topic"]["narrow_topic"]["recall"] == 0.75, rep
    assert rep["abstention_on_gold_empty"] == 1.0 and rep["author"]["all"]["recall"] is None, rep
    assert rep["compare"]["ko"]["recall"] == round(2 / 3, 3), rep
    print("selftest ok")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--questions", action="append", type=Path, help="question file (repeatable); default: the three shape sets")
    ap.add_argument("--json", action="store_true", help="one JSON object on stdout")
    ap.add_argument("--per-question", action="store_true", help="include every question's row in --json")
    ap.add_argument("--selftest", action="store_true", help="check the scoring on a fake result list and exit")
    a = ap.parse_args(argv)
    if a.selftest:
        selftest()
        return
    rows, lat = run(a.questions or DEFAULT_SETS)
    out = {"report": report(rows),
           "latency_ms": {"answer_p50": round(statistics.median(lat), 1) if lat else None,
                          "answer_p95": round(sorted(lat)[int(0.95 * (len(lat) - 1))], 1) if lat else None}}
    if a.per_question:
        out["questions"] = rows
    if a.json:
        print(json.dumps(out, ensure_ascii=False))
        return
    for kind, entry in out["report"].items():
        if not isinstance(entry, dict):
            print(f"{kind}: {entry}")
            continue
        for group, s in entry.items():
            print(f"{kind:8s} {group:13s} n={s['n']:3d} recall={s['recall']} precision={s['precision']} "
                  f"abstain_on_empty={s['abstain_on_empty']} (of {s['n_gold_empty']}) false_abstain={s['false_abstain']}")
    print("answer latency ms:", out["latency_ms"], file=sys.stderr)


if __name__ == "__main__":
    main()

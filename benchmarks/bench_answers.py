"""What the answers deliver, on the whole corpus, for several question sets side by side.

    uv run python benchmarks/bench_answers.py [--questions NAME=FILE ...] [--index DIR]

Indexes ../shared/corpus into benchmarks/out/index (reused when built), runs `rag eval`'s
`evaluate` on each question set (default: the seed questions of ../shared/eval), and prints
one column per set: recall@1/5 and MRR per language, citation precision, citation recall on
comparisons (kind `multi`) and on "which papers" questions (notes starting `topic-listing`),
abstention on unanswerable questions, false abstention on answerable ones, and search p50.
Per-question outcomes go to benchmarks/out/answers-NAME.json, for reading failures.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a plain script from anywhere

from rag.app.reindexing import run_reindex  # noqa: E402
from rag.config import load_settings  # noqa: E402
from rag.eval.evaluate import QuestionResult, citation_recall, evaluate, load_questions, mean, rounded  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
SEED_QUESTIONS = REPO.parent / "shared" / "eval" / "seed_questions.jsonl"
OUT = REPO / "benchmarks" / "out"

TARGETS = {
    "recall@1 en": 0.92, "recall@1 ko": 0.92, "recall@5 en": 0.95, "recall@5 ko": 0.95,
    "mrr en": 0.93, "mrr ko": 0.93, "citation precision": 0.95, "citation recall, comparisons": 0.90,
    "citation recall, which-papers": 0.80, "abstention on unanswerable": 0.93,
}


def _cited_share(results: list[QuestionResult]) -> float | None:
    return mean(citation_recall([e.title for e in r.cited], r.question.gold) for r in results)


def figures(results: list[QuestionResult], summary: dict) -> dict:
    """The issue's figures for one question set."""
    answerable = [r for r in results if r.question.gold]
    per_lang = summary["per_lang"]
    out = {f"{m} {lang}": per_lang.get(lang, {}).get(m) for m in ("recall@1", "recall@5", "mrr") for lang in ("en", "ko")}
    out.update({
        "citation precision": summary["citation_precision"],
        "citation recall": summary["citation_recall"],
        "citation recall, comparisons": _cited_share([r for r in answerable if r.question.kind == "multi"]),
        "citation recall, which-papers": _cited_share(
            [r for r in answerable if r.question.notes.startswith("topic-listing")]),
        "abstention on unanswerable": summary["abstain_rate"],
        "false abstention": mean(float(r.abstained) for r in answerable),
        "search p50 ms": summary["latency_ms"]["search_p50"],
        "answer p50 ms": summary["latency_ms"]["answer_p50"],
        "questions": len(results),
    })
    return out


def _cell(value) -> str:
    if value is None:
        return "-"
    return str(value) if isinstance(value, int) else f"{value:.3f}" if value <= 1 else f"{value:.1f}"


@click.command()
@click.option("--questions", "sets", multiple=True, metavar="NAME=FILE",
              help="A question set to evaluate (repeatable); default: seeds=../shared/eval/seed_questions.jsonl.")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), default=OUT / "index", show_default=True,
              help="Index directory of the corpus (built if missing).")
@click.option("-k", type=int, default=10, show_default=True)
def run(sets: tuple[str, ...], index_dir: Path, k: int) -> None:
    """Evaluate each question set on the corpus index and print the figures side by side."""
    named = [s.split("=", 1) for s in sets] or [["seeds", str(SEED_QUESTIONS)]]
    OUT.mkdir(parents=True, exist_ok=True)
    settings = load_settings(data_dir=CORPUS, index_dir=index_dir)
    for err in run_reindex(settings).errors:
        print(f"skipped: {err}", file=sys.stderr)
    columns: dict[str, dict] = {}
    for name, path in named:
        report = evaluate(settings, load_questions(Path(path)), k)
        summary = report.to_dict()
        columns[name] = figures(report.results, summary)
        (OUT / f"answers-{name}.json").write_text(
            json.dumps({"summary": summary, "figures": rounded(columns[name]), "questions": report.details()},
                       ensure_ascii=False, indent=2), encoding="utf-8")
    rows = list(next(iter(columns.values())))
    print(f"{'':<32}" + "".join(f"{name:>12}" for name in columns) + f"{'target':>10}")
    for row in rows:
        target = TARGETS.get(row)
        print(f"{row:<32}" + "".join(f"{_cell(c[row]):>12}" for c in columns.values())
              + f"{_cell(target) if target else '':>10}")
    print(f"\nanswers: {'LLM' if settings.llm_enabled else 'offline extractive'}; "
          f"details in {', '.join(f'benchmarks/out/answers-{n}.json' for n in columns)}")


if __name__ == "__main__":
    run()

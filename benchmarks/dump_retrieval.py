"""Every question's retrieval, for comparing two versions of the index question by question.

    RAG_DATA_DIR=../shared/corpus RAG_INDEX_DIR=INDEX \
        uv run python benchmarks/dump_retrieval.py OUT.json eval/test.jsonl ../shared/eval/seed_questions.jsonl
    uv run python benchmarks/dump_retrieval.py --compare BEFORE.json AFTER.json

Per question: the top-10 entry ids of `search` with their scores (rounded to 4 places), the
cited entry ids of the offline `answer` and whether it abstained. `--compare` prints how many
questions differ, and the first differences.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def dump(out: Path, paths: list[Path]) -> None:
    """Write the per-question rows of each set."""
    import rag
    from rag.config import load_settings

    settings = load_settings()
    report: dict[str, dict] = {}
    for path in paths:
        rows = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            question = json.loads(line)
            text = question["question"]
            hits = rag.search(text, k=10, settings=settings)
            answer = rag.answer(text, settings=settings)
            rows[str(question.get("id", text))] = {
                "search": [[h.entry.id, round(h.score, 4)] for h in hits],
                "cited": [c.entry.id for c in answer.citations],
                "abstained": answer.abstained,
            }
        report[path.name] = rows
        print(path.name, len(rows), "questions", flush=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


def compare(before: Path, after: Path) -> None:
    """Print which questions' rows differ between two dumps."""
    a, b = (json.loads(p.read_text(encoding="utf-8")) for p in (before, after))
    for name in a:
        rows_a, rows_b = a[name], b.get(name, {})
        ids_differ = [q for q in rows_a if [h[0] for h in rows_a[q]["search"]] != [h[0] for h in rows_b.get(q, {}).get("search", [])]]
        any_differ = [q for q in rows_a if rows_a[q] != rows_b.get(q)]
        print(f"{name}: {len(rows_a)} questions, {len(ids_differ)} with other top-10 ids, "
              f"{len(any_differ)} with any difference (ids, scores, citations, abstention)")
        for q in any_differ[:5]:
            print("  ", q, json.dumps(rows_a[q], ensure_ascii=False)[:300])
            print("  ", q, json.dumps(rows_b.get(q), ensure_ascii=False)[:300])


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--compare":
        compare(Path(sys.argv[2]), Path(sys.argv[3]))
    elif len(sys.argv) >= 3:
        dump(Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]])
    else:
        sys.exit(__doc__)

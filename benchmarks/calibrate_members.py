"""Choose topic membership's bar (rag/ask/topics.py) on half of a topic set, report the other half.

For every question of the set (default eval/topics.jsonl, answerable ones) it runs the deep
search the answer runs, takes the same candidates, and records per candidate what membership
reads: its coverage of the topic's rare words, its fused score relative to the best, whether it
writes the topic's term, whether it carries a standing tag, and whether it is gold. Then it
searches MEMBER_BAR and RANK_WEIGHT on the even-numbered questions and prints recall (capped at
40) and precision on the odd-numbered ones, which the search never saw.

    RAG_DATA_DIR=../shared/corpus RAG_INDEX_DIR=/tmp/corpus-index uv run python benchmarks/calibrate_members.py
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import numpy as np

from rag.ask import topics
from rag.ask.retrieve import search_index
from rag.config import load_settings
from rag.index.reader import get_index
from rag.text import normalize_title

ROOT = Path(__file__).resolve().parent.parent
CAP = 40


def candidates(index, question: dict) -> list[dict]:
    """What membership reads of each candidate of one question."""
    found = search_index(index, question["question"], k=topics.DEPTH, k_many=topics.DEPTH)
    _, _, judged = topics.judge(index, found.understanding, found.hits)
    gold = {normalize_title(t) for t in question["gold"]}
    return [{"gold": normalize_title(j.hit.entry.title) in gold, "cover": j.coverage, "rank": j.rank,
             "phrase": j.writes_term, "tagged": j.tagged} for j in judged]


def figures(rows: list[tuple[dict, list[dict]]], weight: float, bar: float) -> tuple[float, float]:
    """Mean recall (capped) and precision of membership with these constants."""
    recall, precision = [], []
    for question, cands in rows:
        chosen = [c for c in cands if c["tagged"] or c["phrase"]
                  or (c["cover"] >= topics.COVER_FLOOR and c["cover"] + weight * c["rank"] >= bar)]
        hit = sum(c["gold"] for c in chosen)
        recall.append(min(1.0, hit / min(CAP, len(question["gold"]))))
        precision.append(hit / len(chosen) if chosen else 0.0)
    return round(statistics.fmean(recall), 3), round(statistics.fmean(precision), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", default=str(ROOT / "eval" / "topics.jsonl"))
    args = parser.parse_args()
    index = get_index(load_settings())
    questions = [json.loads(line) for line in Path(args.questions).read_text().splitlines() if line.strip()]
    rows = [(q, candidates(index, q)) for q in questions if q["gold"]]
    tune, held = rows[0::2], rows[1::2]
    grid = [(w, round(b, 2)) for w in (0.5, 1.0, 2.0, 3.0) for b in np.arange(0.5, 3.01, 0.1)]
    best = max(grid, key=lambda wb: sum(figures(tune, *wb)))
    print(json.dumps({
        "chosen": {"RANK_WEIGHT": best[0], "MEMBER_BAR": best[1]},
        "tuned_half": figures(tune, *best), "held_out_half": figures(held, *best),
        "current": {"RANK_WEIGHT": topics.RANK_WEIGHT, "MEMBER_BAR": topics.MEMBER_BAR,
                    "tuned_half": figures(tune, topics.RANK_WEIGHT, topics.MEMBER_BAR),
                    "held_out_half": figures(held, topics.RANK_WEIGHT, topics.MEMBER_BAR)},
        "candidate_recall": round(statistics.fmean(
            min(1.0, sum(c["gold"] for c in cands) / min(CAP, len(q["gold"]))) for q, cands in rows), 3),
    }, indent=1))


if __name__ == "__main__":
    main()

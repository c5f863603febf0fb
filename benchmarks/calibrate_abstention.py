"""Print the evidence scores behind abstention, to check or re-choose MIN_EVIDENCE.

Runs against an existing index (default: the full-corpus index of bench_retrieval.py) with
three groups of questions: the eval file's answerable and unanswerable questions, questions
generated from random entries' titles (answerable by construction), and off-topic questions
written here (quantum codes, knitting, ...; a few may turn out to be covered). It prints the
lowest answerable and highest unanswerable evidence, and the error counts per threshold.

    uv run python benchmarks/calibrate_abstention.py [--index DIR] [--questions FILE]
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from rag import get_index
from rag.answer import MIN_DENSE, MIN_EVIDENCE, evidence
from rag.config import load_settings
from rag.retrieve import search_index

REPO = Path(__file__).resolve().parents[1]
OFF_TOPIC = [
    "quantum error correction codes", "protein structure prediction for enzymes", "weather radar nowcasting",
    "stock market high frequency trading", "knitting pattern generation", "medical ultrasound segmentation",
    "autonomous drone swarm path planning", "volcano eruption forecasting", "restaurant menu recommendation",
    "legal contract clause extraction",
]


def score(index, question: str) -> tuple[float, float] | None:
    """(evidence, similarity) of the top hit; None for pure filter questions (never abstain)."""
    found = search_index(index, question, 5)
    u, hits = found.understanding, found.hits
    if u.listing or not hits:
        return None
    return evidence(hits[0]), hits[0].dense


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", default=str(REPO / "benchmarks" / "out" / "index"))
    parser.add_argument("--questions", default=str(REPO.parent / "shared" / "eval" / "seed_questions.jsonl"))
    parser.add_argument("--titles", type=int, default=40, help="how many title-derived questions")
    args = parser.parse_args()
    index = get_index(load_settings(index_dir=args.index), build_if_empty=False)

    answerable, unanswerable = [], []
    for line in Path(args.questions).read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        (answerable if q["gold"] else unanswerable).append(q["question"])
    rnd = random.Random(7)
    recent = [e for e in index.entries.values() if e.day.year >= 2023]
    for entry in rnd.sample(recent, min(args.titles, len(recent))):
        answerable.append(f"What did the digest say about {entry.title.split(':')[-1].strip().lower()}?")
    unanswerable += [f"Which paper is about {topic}?" for topic in OFF_TOPIC]

    a = sorted(s for s in (score(index, q) for q in answerable) if s)
    u = sorted(s for s in (score(index, q) for q in unanswerable) if s)
    print(f"{len(index.entries)} entries; {len(a)} answerable, {len(u)} unanswerable scored")
    print("lowest answerable evidence :", [round(e, 2) for e, _ in a[:5]])
    print("highest unanswerable       :", [round(e, 2) for e, _ in u[-5:]])
    for threshold in (0.40, 0.45, 0.50, 0.55, 0.60):
        fa = sum(e < threshold or d < MIN_DENSE for e, d in a)
        fu = sum(e >= threshold and d >= MIN_DENSE for e, d in u)
        mark = "  <- MIN_EVIDENCE" if abs(threshold - MIN_EVIDENCE) < 1e-9 else ""
        print(f"threshold {threshold:.2f}: false abstentions {fa}/{len(a)}, false answers {fu}/{len(u)}{mark}")


if __name__ == "__main__":
    main()

"""The evidence behind abstention, answerable against unanswerable questions, and the margin.

    uv run python benchmarks/calibrate_abstention.py --questions FILE [--questions FILE ...] [--index DIR]

For every question of the files (`rag eval`'s format: gold [] marks the unanswerable ones) it
runs the search the answer runs and scores the top hit as `rag.ask.answer` does (evidence =
similarity + rare-word coverage, plus the MIN_DENSE floor). It prints both groups' lowest and
highest scores, the margin between them (negative: they overlap, and by how much), the share
of pairs the score orders right (AUC), and false abstentions / false answers per threshold.
Pure filter questions are left out: they list and never abstain.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from rag import get_index
from rag.ask.prepare import MIN_DENSE, MIN_EVIDENCE, evidence
from rag.ask.retrieve import search_index
from rag.config import load_settings

REPO = Path(__file__).resolve().parents[1]
THRESHOLDS = (0.40, 0.45, 0.50, 0.55, 0.60, 0.65)


def score(index, question: str) -> tuple[float, float] | None:
    """(evidence, similarity) of the top hit; None for pure filter questions (never abstain)."""
    found = search_index(index, question, 5)
    if found.understanding.listing or not found.hits:
        return None
    return evidence(found.hits[0]), found.hits[0].dense


def auc(answerable: list[float], unanswerable: list[float]) -> float:
    """Share of (answerable, unanswerable) pairs where the answerable one scores higher."""
    pairs = [(a > u) + 0.5 * (a == u) for a in answerable for u in unanswerable]
    return sum(pairs) / len(pairs) if pairs else float("nan")


@click.command()
@click.option("--questions", "files", multiple=True, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--index", "index_dir", default=str(REPO / "benchmarks" / "out" / "index"), show_default=True)
def main(files: tuple[Path, ...], index_dir: str) -> None:
    """Score every question and print the two groups, their margin and the error counts."""
    index = get_index(load_settings(index_dir=index_dir), build_if_empty=False)
    groups: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            q = json.loads(line)
            scored = score(index, q["question"])
            if scored is not None:
                groups[bool(q["gold"])].append(scored)
    a, u = sorted(groups[True]), sorted(groups[False])
    a_ev, u_ev = [e for e, _ in a], [e for e, _ in u]
    print(f"{len(index.entries)} entries; {len(a)} answerable, {len(u)} unanswerable questions scored")
    print("lowest answerable evidence  :", [round(e, 2) for e in a_ev[:5]])
    print("highest unanswerable        :", [round(e, 2) for e in u_ev[-5:]])
    if a_ev and u_ev:
        print(f"margin (lowest answerable - highest unanswerable): {a_ev[0] - u_ev[-1]:+.2f}; AUC {auc(a_ev, u_ev):.3f}")
    for threshold in THRESHOLDS:
        fa = sum(e < threshold or d < MIN_DENSE for e, d in a)
        fu = sum(e >= threshold and d >= MIN_DENSE for e, d in u)
        mark = "  <- MIN_EVIDENCE" if abs(threshold - MIN_EVIDENCE) < 1e-9 else ""
        print(f"threshold {threshold:.2f}: false abstentions {fa}/{len(a)} ({fa / max(len(a), 1):.1%}), "
              f"false answers {fu}/{len(u)} (abstention {1 - fu / max(len(u), 1):.1%}){mark}")


if __name__ == "__main__":
    main()

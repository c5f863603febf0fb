"""Feedback on answers (👍/👎, a comment), kept on this machine, and its export as a question
file `rag eval` runs.

A 👍 answer's cited entries become the question's gold. A 👎 (and a 👍 on a follow-up, whose
words mean nothing alone) becomes a question to review: written to a file of its own beside the
export, so it stays out of the metrics until someone gives it gold and moves it over.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rag.config import Settings
from rag.model import Answer
from rag.state.db import connect, inserted_id, now


@dataclass(frozen=True)
class Feedback:
    """One stored judgement of one answer."""

    id: int
    at: str
    user: str
    good: bool
    comment: str
    question: str
    history: list
    cited: list[dict]  # {"id", "title", "day"} in [n] order
    index_version: int
    stale: bool  # its cited entries changed or went since (an answer from an older index)
    lang: str
    abstained: bool


def save_feedback(
    settings: Settings, answer: Answer, good: bool, comment: str, history: list, index_version: int,
    stale: bool, lang: str, user: str = "",
) -> int:
    """Store a judgement of an answer; returns its id."""
    cited = [{"id": c.entry.id, "title": c.entry.title, "day": c.entry.day.isoformat()}
             for c in sorted(answer.citations, key=lambda c: c.n)]
    row = (now(), user, int(good), comment.strip(), answer.question, json.dumps(history, ensure_ascii=False),
           json.dumps(cited, ensure_ascii=False), index_version, int(stale), lang, int(answer.abstained))
    with connect(settings) as conn:
        cur = conn.execute("INSERT INTO feedback (at, user, good, comment, question, history, cited, index_version, "
                           "stale, lang, abstained) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
        return inserted_id(cur)


def all_feedback(settings: Settings) -> list[Feedback]:
    """Every judgement, oldest first."""
    with connect(settings) as conn:
        rows = conn.execute("SELECT id, at, user, good, comment, question, history, cited, index_version, stale, "
                            "lang, abstained FROM feedback ORDER BY id").fetchall()
    return [Feedback(r[0], r[1], r[2], bool(r[3]), r[4], r[5], json.loads(r[6]), json.loads(r[7]), r[8],
                     bool(r[9]), r[10], bool(r[11])) for r in rows]


def counts(settings: Settings) -> dict[str, int]:
    """How many 👍, 👎 and stale judgements there are (the Index tab shows them)."""
    items = all_feedback(settings)
    return {"good": sum(f.good for f in items), "bad": sum(not f.good for f in items),
            "stale": sum(f.stale for f in items)}


def as_question(f: Feedback) -> dict[str, object]:
    """A judgement as a question-file line (DESIGN section 5)."""
    gold = [] if f.abstained or not f.good else [c["title"] for c in f.cited]
    kind = "unanswerable" if not gold else "lookup" if len(gold) == 1 else "multi"
    notes = f"feedback {f.id} ({'👍' if f.good else '👎'}, {f.at[:10]}, index version {f.index_version}"
    notes += ", cited entries changed since" if f.stale else ""
    notes += f"): {f.comment}" if f.comment else ")"
    line: dict[str, object] = {"id": f"feedback-{f.id}", "lang": f.lang, "kind": kind, "question": f.question, "gold": gold,
            "gold_date": [c["day"] for c in f.cited] if gold else [], "notes": notes}
    if not f.good or f.history:
        line |= {"review": True, "cited": f.cited, "history": f.history}
    return line


def review_path(out: Path) -> Path:
    """Where the questions to review go, beside the export: OUT.review.jsonl."""
    return out.with_name(out.stem + ".review" + (out.suffix or ".jsonl"))


def export(settings: Settings, out: Path) -> tuple[int, int]:
    """Write the question file (and the review file beside it); returns (questions, to review)."""
    lines = [as_question(f) for f in all_feedback(settings)]
    ready = [q for q in lines if not q.get("review")]
    review = [q for q in lines if q.get("review")]
    for path, items in ((Path(out), ready), (review_path(Path(out)), review)):
        path.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in items), encoding="utf-8")
    return len(ready), len(review)

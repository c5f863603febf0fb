"""`rag eval`: retrieval, abstention, citation and latency metrics on a question file.

Question files are JSON Lines (README "Evaluation and benchmarks"): `{"id", "lang", "kind", "question", "gold":
[titles], "gold_date", "notes"}`. Gold entries match by title after `normalize_title`, so a
paper the digest repeated on another day still counts. Questions with gold `[]` are the
unanswerable ones: left out of recall and MRR, and the system should abstain on them.

The metric functions are pure (titles in, numbers out); `evaluate` is the I/O edge that
runs the system and the baselines of `rag.eval.baselines` over the same questions.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from rag.config import MAX_QUESTION_CHARS, Settings
from rag.model import Entry
from rag.progress import Bar
from rag.text import normalize_title

KINDS = ("lookup", "commentary", "filter", "multi", "unanswerable")
LANGS = ("en", "ko")
KS = (1, 5, 10)
REQUIRED_KEYS = ("id", "lang", "kind", "question", "gold")
BASELINE_DIR = "baseline-chroma"

Run = tuple[Sequence[str], Sequence[str]]  # (ranked titles, gold titles) of one question


@dataclass(frozen=True)
class Question:
    """One line of a question file."""

    id: str
    lang: str
    kind: str
    question: str
    gold: tuple[str, ...]
    gold_date: tuple[str, ...] = ()
    notes: str = ""


def load_questions(path: Path) -> list[Question]:
    """Read a JSON Lines question file; a bad line raises ValueError naming file:line."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"questions file {path} does not exist (or is not a file)")
    questions: list[Question] = []
    seen: dict[str, int] = {}
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f"{where}: invalid JSON ({err.msg} at column {err.colno})") from None
            if not isinstance(raw, dict):
                raise ValueError(f"{where}: expected a JSON object, got {type(raw).__name__}")
            missing = [key for key in REQUIRED_KEYS if key not in raw]
            if missing:
                raise ValueError(f"{where}: missing key(s) {', '.join(missing)}")
            question = _question(raw, where)
            if question.id in seen:
                raise ValueError(f"{where}: duplicate id {question.id!r} (first on line {seen[question.id]})")
            seen[question.id] = number
            questions.append(question)
    if not questions:
        raise ValueError(f"{path}: no questions in the file")
    return questions


def _question(raw: dict, where: str) -> Question:
    if raw["lang"] not in LANGS:
        raise ValueError(f"{where}: lang must be one of {', '.join(LANGS)}, got {raw['lang']!r}")
    if raw["kind"] not in KINDS:
        raise ValueError(f"{where}: kind must be one of {', '.join(KINDS)}, got {raw['kind']!r}")
    if not isinstance(raw["question"], str) or not raw["question"].strip():
        raise ValueError(f"{where}: question must be non-empty text")
    if len(raw["question"]) > MAX_QUESTION_CHARS:
        raise ValueError(f"{where}: question is longer than {MAX_QUESTION_CHARS:,} characters")
    gold = raw["gold"]
    if not isinstance(gold, list) or not all(isinstance(t, str) and t.strip() for t in gold):
        raise ValueError(f"{where}: gold must be a list of titles")
    if (raw["kind"] == "unanswerable") != (not gold):
        raise ValueError(f"{where}: gold must be [] exactly when kind is 'unanswerable'")
    return Question(
        id=str(raw["id"]), lang=raw["lang"], kind=raw["kind"], question=raw["question"],
        gold=tuple(gold), gold_date=tuple(raw.get("gold_date") or ()), notes=str(raw.get("notes") or ""),
    )


# ---- pure metrics ------------------------------------------------------------------------

def gold_ranks(ranked: Sequence[str], gold: Iterable[str]) -> dict[str, int | None]:
    """1-based rank at which each (normalized) gold title first appears, None when absent."""
    first: dict[str, int] = {}
    for rank, title in enumerate(ranked, start=1):
        first.setdefault(normalize_title(title), rank)
    return {g: first.get(g) for g in dict.fromkeys(normalize_title(t) for t in gold)}


def recall_at_k(ranked: Sequence[str], gold: Sequence[str], k: int) -> float:
    """|gold in the top k| / min(k, |gold|) (gold titles are deduplicated after normalizing)."""
    ranks = gold_ranks(ranked, gold)
    if not ranks:
        raise ValueError("recall is undefined without gold entries")
    found = sum(1 for r in ranks.values() if r is not None and r <= k)
    return found / min(k, len(ranks))


def reciprocal_rank(ranked: Sequence[str], gold: Sequence[str]) -> float:
    """1 / rank of the first gold entry, 0 when none was retrieved."""
    ranks = [r for r in gold_ranks(ranked, gold).values() if r is not None]
    return 1.0 / min(ranks) if ranks else 0.0


def mean(values: Iterable[float]) -> float | None:
    """Arithmetic mean, None for no values (a metric with nothing to measure)."""
    values = list(values)
    return sum(values) / len(values) if values else None


def mrr(runs: Iterable[Run]) -> float | None:
    """Mean reciprocal rank over the runs that have gold entries."""
    return mean(reciprocal_rank(ranked, gold) for ranked, gold in runs if gold)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100), interpolating linearly between closest ranks."""
    if not values:
        return None
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within 0..100, got {q}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(position), math.ceil(position)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (position - lo)


def citation_precision(cited: Sequence[str], gold: Sequence[str]) -> float | None:
    """Share of cited entries that are gold; None when nothing was cited."""
    if not cited:
        return None
    wanted = {normalize_title(t) for t in gold}
    return sum(1 for t in cited if normalize_title(t) in wanted) / len(cited)


def citation_recall(cited: Sequence[str], gold: Sequence[str]) -> float:
    """Share of the (normalized, deduplicated) gold entries that the answer cites."""
    wanted = {normalize_title(t) for t in gold}
    if not wanted:
        raise ValueError("citation recall is undefined without gold entries")
    return len(wanted & {normalize_title(t) for t in cited}) / len(wanted)


def retrieval_metrics(runs: Sequence[Run]) -> dict[str, float | None]:
    """recall@1/5/10 and MRR averaged over the runs with gold entries."""
    answerable = [(ranked, gold) for ranked, gold in runs if gold]
    out: dict[str, float | None] = {
        f"recall@{k}": mean(recall_at_k(ranked, gold, k) for ranked, gold in answerable) for k in KS
    }
    out["mrr"] = mrr(answerable)
    return out


# ---- per-question results and their summary ----------------------------------------------

@dataclass
class QuestionResult:
    """What the system and the baselines did with one question."""

    question: Question
    ranked: list[Entry]          # search, best first (at most k)
    abstained: bool
    cited: list[Entry]
    search_ms: float
    answer_ms: float
    baselines: dict[str, list[Entry]] = field(default_factory=dict)


def _titles(entries: Sequence[Entry]) -> list[str]:
    return [e.title for e in entries]


def group_metrics(results: Sequence[QuestionResult]) -> dict:
    """The metrics of one group of questions (a kind, a language, or all of them)."""
    metrics: dict = {"n": len(results)}
    metrics.update(retrieval_metrics([(_titles(r.ranked), r.question.gold) for r in results]))
    # Within a group, the share answered with an abstention: for answerable kinds a
    # false-abstention rate, for `unanswerable` the rate we want near 1.
    metrics["abstain_rate"] = mean(float(r.abstained) for r in results)
    metrics["citation_precision"] = _citation_precision(results)
    metrics["citation_recall"] = mean(
        citation_recall(_titles(r.cited), r.question.gold) for r in results if r.question.gold
    )
    return metrics


def _citation_precision(results: Sequence[QuestionResult]) -> float | None:
    return mean(
        p for r in results if r.question.gold
        if (p := citation_precision(_titles(r.cited), r.question.gold)) is not None
    )


def _groups(results: Sequence[QuestionResult], key: str, order: Sequence[str]) -> dict[str, list[QuestionResult]]:
    groups: dict[str, list[QuestionResult]] = {}
    for r in sorted(results, key=lambda r: order.index(getattr(r.question, key))):
        groups.setdefault(getattr(r.question, key), []).append(r)
    return groups


def baseline_metrics(results: Sequence[QuestionResult], name: str) -> dict:
    """Retrieval metrics of one baseline, overall, per language and per kind."""
    def runs(rs: Sequence[QuestionResult]) -> list[Run]:
        return [(_titles(r.baselines[name]), r.question.gold) for r in rs]

    out: dict = retrieval_metrics(runs(results))
    out["per_lang"] = {lang: {"n": len(rs), **retrieval_metrics(runs(rs))}
                       for lang, rs in _groups(results, "lang", LANGS).items()}
    out["per_kind"] = {kind: {"n": len(rs), **retrieval_metrics(runs(rs))}
                       for kind, rs in _groups(results, "kind", KINDS).items()}
    return out


def summarize(results: Sequence[QuestionResult]) -> dict:
    """The `rag eval --json` object (unrounded) for a list of per-question results."""
    overall = group_metrics(results)
    unanswerable = [r for r in results if not r.question.gold]
    names = list(results[0].baselines) if results else []
    search = [r.search_ms for r in results]
    answer = [r.answer_ms for r in results]
    return {
        "n": len(results),
        **{key: overall[key] for key in ("recall@1", "recall@5", "recall@10", "mrr")},
        "abstain_rate": mean(float(r.abstained) for r in unanswerable),
        "citation_precision": overall["citation_precision"],
        "citation_recall": overall["citation_recall"],
        "latency_ms": {
            "search_p50": percentile(search, 50), "search_p95": percentile(search, 95),
            "answer_p50": percentile(answer, 50), "answer_p95": percentile(answer, 95),
        },
        "per_kind": {kind: group_metrics(rs) for kind, rs in _groups(results, "kind", KINDS).items()},
        "per_lang": {lang: group_metrics(rs) for lang, rs in _groups(results, "lang", LANGS).items()},
        "baselines": {name: baseline_metrics(results, name) for name in names},
    }


def rounded(obj, digits: int = 4):
    """A copy of a JSON-ready object with its floats rounded (for printing)."""
    if isinstance(obj, float):
        return round(obj, digits)
    if isinstance(obj, dict):
        return {k: rounded(v, digits) for k, v in obj.items()}
    if isinstance(obj, list):
        return [rounded(v, digits) for v in obj]
    return obj


def question_details(r: QuestionResult) -> dict:
    """One question's outcome, for reading failures: gold ranks, what ranked above, citations."""
    def ranks(entries: Sequence[Entry]) -> dict[str, int | None]:
        return gold_ranks(_titles(entries), r.question.gold)

    return {
        "id": r.question.id, "lang": r.question.lang, "kind": r.question.kind,
        "question": r.question.question, "gold": list(r.question.gold),
        "gold_ranks": ranks(r.ranked),
        "top": [f"{e.day.isoformat()} {e.title}" for e in r.ranked],
        "abstained": r.abstained,
        "cited": [f"{e.day.isoformat()} {e.title}" for e in r.cited],
        "search_ms": r.search_ms, "answer_ms": r.answer_ms,
        "baselines": {name: {"gold_ranks": ranks(entries), "top": [e.title for e in entries[:5]]}
                      for name, entries in r.baselines.items()},
    }


# ---- running it ---------------------------------------------------------------------------

@dataclass
class EvalReport:
    """Per-question results plus how the baselines were prepared."""

    k: int
    results: list[QuestionResult]
    baseline_windows: int = 0
    baseline_embedded: bool = False   # False when the cached dense_naive collection was reused
    skipped_files: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The documented `rag eval --json` object, rounded."""
        return rounded(summarize(self.results))

    def details(self) -> list[dict]:
        """Per-question outcomes (not part of the --json contract)."""
        return [rounded(question_details(r), 2) for r in self.results]


def evaluate(settings: Settings, questions: Sequence[Question], k: int = 10) -> EvalReport:
    """Run every question through search and answer, and the baselines; the index must exist."""
    from rag.ask.answer import answer_question
    from rag.ask.prepare import check_question
    from rag.ask.retrieve import search_index
    from rag.eval.baselines import BM25Baseline, DenseNaiveBaseline, load_windows
    from rag.index.embeddings import get_embedder, langchain_embeddings
    from rag.index.reader import get_index

    index = get_index(settings)
    corpus = load_windows(Path(settings.data_dir))
    with Bar("Embedding baseline windows", unit="window", leave=False) as bar:
        dense = DenseNaiveBaseline(
            corpus, langchain_embeddings(get_embedder(settings)), Path(settings.index_dir) / BASELINE_DIR,
            batch=settings.embed_batch, on_progress=bar,
        )
    baselines: list[BM25Baseline | DenseNaiveBaseline] = [BM25Baseline(corpus), dense]

    # Load the embedding model and the Korean tokenizer before the clock starts: latency
    # percentiles are about answering, not about a once-per-process start-up.
    search_index(index, "warm-up 준비", k)
    answer_question(index, settings, "warm-up 준비")

    results = []
    for q in tqdm(questions, desc="Evaluating", unit="question", file=sys.stderr):
        text = check_question(q.question)
        started = time.perf_counter()
        hits = search_index(index, text, k).hits
        search_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        answer = answer_question(index, settings, text)
        answer_ms = (time.perf_counter() - started) * 1000
        results.append(QuestionResult(
            question=q, ranked=[h.entry for h in hits[:k]], abstained=answer.abstained,
            cited=[c.entry for c in answer.citations], search_ms=search_ms, answer_ms=answer_ms,
            baselines={b.name: b.rank(text, k) for b in baselines},
        ))
    return EvalReport(k=k, results=results, baseline_windows=len(corpus.windows),
                      baseline_embedded=dense.built, skipped_files=list(corpus.skipped))


# ---- a table for people ------------------------------------------------------------------

_COLUMNS = ("n", "recall@1", "recall@5", "recall@10", "mrr", "abstain_rate", "citation_precision", "citation_recall")
_HEADERS = ("n", "R@1", "R@5", "R@10", "MRR", "abstain", "cite-prec", "cite-rec")


def _row(label: str, metrics: dict) -> str:
    cells = []
    for key in _COLUMNS:
        value = metrics.get(key)
        cells.append("-" if value is None else str(value) if key == "n" else f"{value:.3f}")
    return f"{label:<22}" + "".join(f"{c:>10}" for c in cells)


def format_table(summary: dict) -> str:
    """The summary as a plain-text table."""
    lines = [f"{'':<22}" + "".join(f"{h:>10}" for h in _HEADERS), _row("overall", {**summary, "abstain_rate": None})]
    lines += [_row(f"  kind {kind}", m) for kind, m in summary["per_kind"].items()]
    lines += [_row(f"  lang {lang}", m) for lang, m in summary["per_lang"].items()]
    for name, m in summary["baselines"].items():
        lines.append(_row(f"baseline {name}", m))
        lines += [_row(f"  lang {lang}", lm) for lang, lm in m["per_lang"].items()]
    lat = summary["latency_ms"]
    abstain = summary["abstain_rate"]
    lines += [
        "",
        "abstention on unanswerable: " + ("-" if abstain is None else f"{abstain:.3f}"),
        f"latency ms: search p50 {lat['search_p50']:.1f}, p95 {lat['search_p95']:.1f}; "
        f"answer p50 {lat['answer_p50']:.1f}, p95 {lat['answer_p95']:.1f}",
    ]
    return "\n".join(lines)

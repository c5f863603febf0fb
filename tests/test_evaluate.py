"""Specification of `rag eval`: the metrics on a hand-made set, the baselines' windows, the CLI."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from rag.app.cli import main
from rag.config import load_settings
from rag.digest import parse_day_text
from rag.eval.baselines import (
    Window,
    day_file_windows,
    entries_in_order,
    entry_spans,
    fixed_windows,
    load_windows,
    overlapping,
)
from rag.eval.evaluate import (
    Question,
    QuestionResult,
    citation_precision,
    citation_recall,
    evaluate,
    gold_ranks,
    load_questions,
    mrr,
    percentile,
    recall_at_k,
    reciprocal_rank,
    summarize,
)
from rag.model import Entry, Source

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
ENV = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "RAG_DATA_DIR", "RAG_INDEX_DIR", "RAG_CHROMA_URL",
       "RAG_LLM_MODEL", "RAG_HOST", "RAG_PORT", "RAG_EMBEDDER")


def _clear_env(mp: pytest.MonkeyPatch) -> None:
    for name in ENV:
        mp.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """No key, no server, no RAG_* overrides: the offline path with a local Chroma."""
    _clear_env(monkeypatch)


# --- pure metrics on a hand-made set --------------------------------------------------------


def test_recall_at_k_divides_by_the_smaller_of_k_and_the_gold_count():
    ranked = ["A", "x", "B", "y", "z", "C"]
    gold = ["A", "B", "C"]
    assert recall_at_k(ranked, gold, 1) == 1.0        # A found, 1 / min(1, 3)
    assert recall_at_k(ranked, gold, 2) == 0.5        # only A in the top 2, 1 / min(2, 3)
    assert recall_at_k(ranked, gold, 5) == pytest.approx(2 / 3)
    assert recall_at_k(ranked, gold, 10) == 1.0


def test_gold_titles_match_after_normalization_and_count_once():
    ranked = ["token shuffle  towards X", "Token-Shuffle: Towards X", "Other"]
    assert gold_ranks(ranked, ["TOKEN-SHUFFLE: Towards X"]) == {"token shuffle towards x": 1}
    # A paper repeated on two days is one gold hit, not two.
    assert recall_at_k(ranked, ["Token-Shuffle: Towards X", "Missing"], 5) == 0.5


def test_recall_is_undefined_without_gold():
    with pytest.raises(ValueError):
        recall_at_k(["A"], [], 5)


def test_reciprocal_rank_is_one_over_the_first_gold_rank_or_zero():
    assert reciprocal_rank(["x", "y", "B", "A"], ["A", "B"]) == pytest.approx(1 / 3)
    assert reciprocal_rank(["x", "y"], ["A"]) == 0.0


def test_mrr_leaves_out_questions_without_gold():
    runs = [(["a", "g"], ["g"]), (["g"], ["g"]), (["x"], ["g"]), (["x"], [])]
    assert mrr(runs) == pytest.approx((0.5 + 1 + 0) / 3)
    assert mrr([(["x"], [])]) is None


def test_percentile_interpolates_between_closest_ranks():
    values = [40.0, 10.0, 30.0, 20.0]
    assert percentile(values, 50) == 25.0
    assert percentile(values, 95) == pytest.approx(38.5)   # 30 + 0.85 * (40 - 30)
    assert percentile(values, 0) == 10.0
    assert percentile(values, 100) == 40.0
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) is None


def test_citation_precision_is_the_share_of_cited_entries_that_are_gold():
    assert citation_precision(["A", "x"], ["A"]) == 0.5
    assert citation_precision(["a"], ["A"]) == 1.0
    assert citation_precision([], ["A"]) is None


def test_citation_recall_is_the_share_of_gold_entries_that_are_cited():
    assert citation_recall(["A", "x"], ["A", "B"]) == 0.5
    assert citation_recall(["b", "a"], ["A", "B", "A"]) == 1.0
    assert citation_recall([], ["A"]) == 0.0
    with pytest.raises(ValueError):
        citation_recall(["A"], [])


def _entry(title: str) -> Entry:
    return Entry(id=f"2025-01-01/{title}", day=date(2025, 1, 1), title=title, authors=(), abstract=None,
                 comment_ko="", comment_en="", tags=(), links=(), source=Source("f.txt", 2))


def _result(qid, lang, kind, gold, ranked, abstained, cited, search_ms, answer_ms, bm25, dense):
    q = Question(id=qid, lang=lang, kind=kind, question=qid, gold=tuple(gold))
    as_entries = lambda titles: [_entry(t) for t in titles]  # noqa: E731
    return QuestionResult(
        question=q, ranked=as_entries(ranked), abstained=abstained, cited=as_entries(cited),
        search_ms=search_ms, answer_ms=answer_ms,
        baselines={"bm25": as_entries(bm25), "dense_naive": as_entries(dense)},
    )


@pytest.fixture
def hand_made():
    return summarize([
        _result("q1", "en", "lookup", ["A"], ["A", "B"], False, ["A"], 10, 100, ["B", "A"], ["C"]),
        _result("q2", "ko", "lookup", ["B"], ["C", "D", "E", "F", "G", "B"], False, ["C", "B"], 30, 300, ["B"], ["B"]),
        _result("q3", "en", "multi", ["A", "C"], ["C", "x", "A"], False, ["C"], 20, 200, [], ["A"]),
        _result("q4", "ko", "unanswerable", [], ["D"], True, [], 40, 400, ["D"], ["D"]),
    ])


def test_summary_overall_metrics_by_hand(hand_made):
    s = hand_made
    assert s["n"] == 4
    assert s["recall@1"] == pytest.approx(2 / 3)       # q1 1, q2 0, q3 1/min(1, 2)
    assert s["recall@5"] == pytest.approx(2 / 3)       # q2's gold is at rank 6
    assert s["recall@10"] == 1.0
    assert s["mrr"] == pytest.approx((1 + 1 / 6 + 1) / 3)
    assert s["abstain_rate"] == 1.0                    # over unanswerable only
    assert s["citation_precision"] == pytest.approx((1 + 0.5 + 1) / 3)
    assert s["citation_recall"] == pytest.approx((1 + 1 + 0.5) / 3)  # q3 cites C of A, C
    assert s["latency_ms"] == pytest.approx(
        {"search_p50": 25, "search_p95": 38.5, "answer_p50": 250, "answer_p95": 385})


def test_summary_per_kind_and_per_language_by_hand(hand_made):
    lookup = hand_made["per_kind"]["lookup"]
    assert lookup == pytest.approx({"n": 2, "recall@1": 0.5, "recall@5": 0.5, "recall@10": 1.0,
                                    "mrr": (1 + 1 / 6) / 2, "abstain_rate": 0.0, "citation_precision": 0.75,
                                    "citation_recall": 1.0})
    unanswerable = hand_made["per_kind"]["unanswerable"]
    assert unanswerable["abstain_rate"] == 1.0
    assert unanswerable["recall@5"] is None and unanswerable["mrr"] is None
    assert unanswerable["citation_precision"] is None and unanswerable["citation_recall"] is None
    ko = hand_made["per_lang"]["ko"]
    assert ko == pytest.approx({"n": 2, "recall@1": 0.0, "recall@5": 0.0, "recall@10": 1.0,
                                "mrr": 1 / 6, "abstain_rate": 0.5, "citation_precision": 0.5,
                                "citation_recall": 1.0})
    assert list(hand_made["per_kind"]) == ["lookup", "multi", "unanswerable"]


def test_summary_baselines_by_hand(hand_made):
    bm25 = hand_made["baselines"]["bm25"]
    assert bm25["recall@1"] == pytest.approx(1 / 3)    # q1 rank 2, q2 rank 1, q3 nothing
    assert bm25["recall@5"] == pytest.approx(2 / 3)
    assert bm25["mrr"] == pytest.approx((0.5 + 1 + 0) / 3)
    assert bm25["per_lang"]["en"] == pytest.approx({"n": 2, "recall@1": 0.0, "recall@5": 0.5,
                                                    "recall@10": 0.5, "mrr": 0.25})
    dense = hand_made["baselines"]["dense_naive"]
    assert dense["recall@1"] == pytest.approx(2 / 3)   # q3: A at 1 is 1 / min(1, 2)
    assert dense["recall@5"] == pytest.approx(0.5)     # q3: 1 of 2 gold
    assert dense["mrr"] == pytest.approx(2 / 3)


# --- the baselines' fixed windows -----------------------------------------------------------


def test_fixed_windows_are_1000_chars_with_200_overlap():
    assert fixed_windows(2500) == [(0, 1000), (800, 1800), (1600, 2500)]
    assert fixed_windows(1000) == [(0, 1000)]
    assert fixed_windows(0) == []


def test_a_window_credits_every_entry_it_overlaps():
    text = "2025년 1월 2일\nFirst\n(A)\nbody one\nSecond\n(B)\nbody two"
    first, second = parse_day_text(text)
    spans = entry_spans(text, [first.source.line, second.source.line])
    assert [text[a:b] for a, b in spans] == ["First\n(A)\nbody one\n", "Second\n(B)\nbody two"]
    assert overlapping((0, 14), spans) == [0]          # the date line and the first title
    assert overlapping((20, 40), spans) == [0, 1]
    assert overlapping((40, 60), spans) == [1]
    (window,) = day_file_windows("d.txt", text, [second, first])
    assert window.entries == (first, second)


def test_baseline_ranking_is_entries_in_order_of_first_appearance():
    a, b, c = _entry("A"), _entry("B"), _entry("C")
    windows = [Window("1", "", (a, b)), Window("2", "", (b,)), Window("3", "", (c, a))]
    assert entries_in_order(windows, 10) == [a, b, c]
    assert entries_in_order(windows, 2) == [a, b]


def test_every_seed_entry_is_credited_by_some_window():
    corpus = load_windows(SEEDS)
    credited = {e.id for w in corpus.windows for e in w.entries}
    assert len(credited) == 33
    assert corpus.skipped == ()
    assert all(len(w.text) <= 1000 for w in corpus.windows)


# --- question files -------------------------------------------------------------------------


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = json.dumps({"id": "a", "lang": "en", "kind": "lookup", "question": "q?", "gold": ["T"]})


def test_invalid_json_line_is_reported_with_its_line_number(tmp_path):
    path = _write(tmp_path / "q.jsonl", [GOOD, "", "{not json"])
    with pytest.raises(ValueError, match=r"q\.jsonl:3: invalid JSON"):
        load_questions(path)


def test_missing_keys_are_named(tmp_path):
    path = _write(tmp_path / "q.jsonl", [json.dumps({"id": "a", "lang": "en", "kind": "lookup", "question": "q"})])
    with pytest.raises(ValueError, match=r"q\.jsonl:1: missing key\(s\) gold"):
        load_questions(path)


def test_unanswerable_questions_have_empty_gold(tmp_path):
    line = json.dumps({"id": "a", "lang": "ko", "kind": "unanswerable", "question": "q", "gold": ["T"]})
    with pytest.raises(ValueError, match=r"q\.jsonl:1: gold must be \[\]"):
        load_questions(_write(tmp_path / "q.jsonl", [line]))


def test_cli_turns_a_bad_question_file_into_one_sentence(tmp_path):
    result = CliRunner().invoke(main, ["eval", "--questions", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: questions file") and result.stderr.count("\n") == 1
    result = CliRunner().invoke(main, ["eval", "--questions", str(_write(tmp_path / "q.jsonl", ["[1"]))])
    assert result.exit_code == 1
    assert "q.jsonl:1: invalid JSON" in result.stderr


# --- end to end on the seeds: real Chroma, real embedder --------------------------------------

QUESTIONS = [
    {"id": "t-en-lookup", "lang": "en", "kind": "lookup",
     "question": "Which paper fits scaling laws for the optimal weight decay and batch size in LLM pre-training?",
     "gold": ["Power Lines: Scaling Laws for Weight Decay and Batch Size in LLM Pre-training"]},
    {"id": "t-ko-lookup", "lang": "ko", "kind": "lookup",
     "question": "MoE 학습과 추론에서 전문가 사이의 통신 비용을 줄이는 방법을 다룬 논문은?",
     "gold": ["Occult: Optimizing Collaborative Communication across Experts for Accelerated Parallel MoE Training and Inference"]},
    {"id": "t-en-filter", "lang": "en", "kind": "filter",
     "question": "Which #diffusion papers were in the digest on 2025-05-20?",
     "gold": ["Mean Flows for One-step Generative Modeling"]},
    {"id": "t-ko-multi", "lang": "ko", "kind": "multi",
     "question": "2025년 5월 21일 다이제스트에서 스케일링 법칙을 다룬 논문들을 비교해줘.",
     "gold": ["Power Lines: Scaling Laws for Weight Decay and Batch Size in LLM Pre-training",
              "Scaling Law for Quantization-Aware Training"]},
    {"id": "t-en-none", "lang": "en", "kind": "unanswerable",
     "question": "Which paper in the 2025-04-25 digest proposed a new text-to-speech model?", "gold": []},
]


@pytest.fixture(scope="module")
def seed_index(tmp_path_factory):
    """The 33 seed entries indexed once for the module, in a tmp index dir."""
    from rag.app.reindexing import run_reindex

    index_dir = tmp_path_factory.mktemp("index")
    with pytest.MonkeyPatch.context() as mp:
        _clear_env(mp)
        report = run_reindex(load_settings(data_dir=SEEDS, index_dir=index_dir))
    assert report.added == 33 and report.errors == []
    return index_dir


@pytest.fixture(scope="module")
def questions_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("questions") / "questions.jsonl"
    return _write(path, [json.dumps(q, ensure_ascii=False) for q in QUESTIONS])


@pytest.fixture(scope="module")
def eval_json(seed_index, questions_file):
    """`rag eval --json` on the seeds, run once for the module."""
    with pytest.MonkeyPatch.context() as mp:
        _clear_env(mp)
        result = CliRunner().invoke(main, [
            "eval", "--questions", str(questions_file), "--data", str(SEEDS), "--index", str(seed_index), "--json",
        ])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _in_unit_range(value) -> bool:
    return isinstance(value, (int, float)) and 0 <= value <= 1


def test_eval_json_has_every_documented_key_in_range(eval_json):
    s = eval_json
    assert s["n"] == len(QUESTIONS)
    for key in ("recall@1", "recall@5", "recall@10", "mrr", "abstain_rate", "citation_precision", "citation_recall"):
        assert _in_unit_range(s[key]), key
    assert set(s["latency_ms"]) == {"search_p50", "search_p95", "answer_p50", "answer_p95"}
    assert all(v > 0 for v in s["latency_ms"].values())
    assert set(s["per_kind"]) == {"lookup", "filter", "multi", "unanswerable"}
    assert set(s["per_lang"]) == {"en", "ko"}
    for group in [*s["per_kind"].values(), *s["per_lang"].values()]:
        assert {"n", "recall@1", "recall@5", "recall@10", "mrr", "abstain_rate", "citation_precision",
                "citation_recall"} <= set(group)
        assert all(v is None or _in_unit_range(v) for k, v in group.items() if k != "n")
    assert set(s["baselines"]) == {"bm25", "dense_naive"}
    for baseline in s["baselines"].values():
        for key in ("recall@1", "recall@5", "recall@10", "mrr"):
            assert _in_unit_range(baseline[key]), key
        assert set(baseline["per_lang"]) == {"en", "ko"}


def test_eval_on_the_seeds_finds_the_easy_answers(eval_json):
    # Five easy questions over 33 entries: a floor that only a broken pipeline falls under.
    assert eval_json["recall@10"] >= 0.75
    assert eval_json["per_kind"]["lookup"]["abstain_rate"] == 0.0


def test_second_eval_reuses_the_cached_baseline_index(eval_json, seed_index, questions_file):
    settings = load_settings(data_dir=SEEDS, index_dir=seed_index)
    report = evaluate(settings, load_questions(questions_file), k=10)
    assert report.baseline_embedded is False
    assert report.to_dict()["baselines"]["bm25"] == eval_json["baselines"]["bm25"]

"""Feedback becomes evaluation: 👍/👎 kept in the state folder with the question, history,
cited ids and index version; `rag feedback export` writes a question file the real `rag eval`
runs, the 👎 kept apart for review."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from conftest import SEEDS, clean_env, run_rag

from rag import answer, record_feedback
from rag.config import load_settings
from rag.model import Citation
from rag.state.feedback import all_feedback, counts

QAT = "Which paper studies scaling laws for quantization-aware training?"
DEPTH = "Do language models use their depth efficiently?"
WRONG = "Which paper teaches robots to fold laundry?"


@pytest.fixture
def settings(tmp_path, seed_index_copy):
    return load_settings(data_dir=SEEDS, index_dir=seed_index_copy(), state_dir=tmp_path / "state")


def test_feedback_keeps_question_history_cited_ids_and_index_version(settings):
    first = answer(QAT, settings=settings)
    history = [{"role": "user", "content": QAT}, {"role": "assistant", "content": first}]
    follow = answer("What did the author think of it?", history=history, settings=settings)
    record_feedback(first, True, settings=settings)
    record_feedback(follow, False, "  too vague  ", history=history, settings=settings)
    good, bad = all_feedback(settings)
    assert (good.good, good.question, good.history, good.stale) == (True, QAT, [], False)
    assert [c["id"] for c in good.cited] == [c.entry.id for c in first.citations]
    assert good.index_version >= 1 and good.lang == "en"
    assert (bad.good, bad.comment) == (False, "too vague")
    # The earlier Answer is stored as its text and cited ids: what answer(history=...) reads back.
    assert bad.history[1] == {"role": "assistant", "content": first.text,
                              "citations": [c.entry.id for c in first.citations]}
    assert counts(settings) == {"good": 1, "bad": 1, "stale": 0}


def test_feedback_on_an_answer_from_an_older_index_is_kept_and_marked(settings):
    old = answer(QAT, settings=settings)
    cited = old.citations[0]
    edited = replace(cited.entry, comment_en=cited.entry.comment_en + " (edited since)")
    old.citations = [Citation(cited.n, edited, cited.snippet)]  # as if the day was re-published since
    record_feedback(old, True, settings=settings)
    [kept] = all_feedback(settings)
    assert kept.stale and counts(settings)["stale"] == 1


def test_exported_feedback_is_a_question_file_rag_eval_runs_with_thumbs_down_kept_out(settings, tmp_path):
    for question, good in ((QAT, True), (DEPTH, True), (WRONG, False)):
        record_feedback(answer(question, settings=settings), good, settings=settings)
    env = clean_env(RAG_DATA_DIR=str(SEEDS), RAG_INDEX_DIR=str(settings.index_dir), RAG_STATE_DIR=str(settings.state_dir))
    out = tmp_path / "feedback.jsonl"
    proc = run_rag("feedback", "export", str(out), env=env)
    assert proc.returncode == 0, proc.stderr
    assert "2 questions with gold" in proc.stdout and "1 to review" in proc.stdout
    ready = [json.loads(line) for line in out.read_text().splitlines()]
    assert [q["question"] for q in ready] == [QAT, DEPTH]
    assert all(q["gold"] and q["kind"] == "lookup" for q in ready)
    [review] = [json.loads(line) for line in (tmp_path / "feedback.review.jsonl").read_text().splitlines()]
    assert review["question"] == WRONG and review["review"] is True and review["gold"] == []
    proc = run_rag("eval", "--questions", str(out), "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    metrics = json.loads(proc.stdout)
    assert metrics["n"] == 2 and metrics["recall@1"] == 1.0 and metrics["citation_precision"] == 1.0

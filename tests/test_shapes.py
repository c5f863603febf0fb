"""The answer's shape follows the question: one paper, every paper on a topic, each side of a
comparison; filters that hide the evidence say so; panel filters list; abstention's extremes."""

from __future__ import annotations

import re
from datetime import date

import pytest
from conftest import MARKER, entry_titled

import rag
from rag import Filters
from rag.ask.terms import entry_text

TOKEN_SHUFFLE = "Which paper folds neighbouring image tokens into the channel dimension to shorten the sequence?"


def cited(a) -> list[str]:
    return [c.entry.title for c in a.citations]


def test_a_lookup_cites_the_one_paper_asked_for(seed_settings):
    a = rag.answer(TOKEN_SHUFFLE, settings=seed_settings)
    assert len(a.citations) == 1 and cited(a)[0].startswith("Token-Shuffle")
    # The rest of what the search found stays reachable as contexts ("More from the digest").
    assert len(a.contexts) > 1


@pytest.mark.parametrize("question", ["Which papers were about reward models?", "보상 모델(reward model) 관련 논문들은?"])
def test_which_papers_lists_every_entry_whose_text_is_about_the_topic(seed_settings, seed_entries, question):
    a = rag.answer(question, settings=seed_settings)
    tagged = {e.title for e in seed_entries if "reward-model" in e.tags}
    writes_it = {e.title for e in seed_entries
                 if re.search(r"reward[\s-]*model|보상\s*모델", entry_text(e), re.I)}
    assert not a.abstained, a.text
    # The tag stands for the topic (it is the topic's own name), and every other entry cited
    # writes about reward models in its own text.
    assert tagged <= set(cited(a)) <= tagged | writes_it, a.text
    assert len(tagged) == 3
    # One line per entry, each with its [n] and a reason after it.
    lines = [line for line in a.text.splitlines() if MARKER.search(line)]
    assert len(lines) == len(cited(a))
    assert all(":" in line.split("]", 1)[1] for line in lines)


def test_a_comparison_of_two_described_papers_cites_one_per_side(seed_settings, seed_entries):
    a = rag.answer(
        "Compare the paper that folds image tokens into the channel dimension, and the paper that "
        "tunes a VQ image tokenizer end to end together with the autoregressive model.",
        settings=seed_settings,
    )
    assert [c.entry for c in a.citations] == [
        entry_titled(seed_entries, "Token-Shuffle"), entry_titled(seed_entries, "End-to-End Vision Tokenizer Tuning"),
    ]


def test_a_comparison_of_two_named_papers_cites_both(seed_settings, seed_entries):
    a = rag.answer("Compare OctoThinker and QuaDMix.", settings=seed_settings)
    assert {c.entry for c in a.citations} == {
        entry_titled(seed_entries, "OctoThinker"), entry_titled(seed_entries, "QuaDMix"),
    }


def test_a_filter_that_hides_the_evidence_says_where_the_digest_has_it(seed_settings, seed_entries):
    a = rag.answer(TOKEN_SHUFFLE, filters=Filters(days=((date(2025, 5, 20), date(2025, 5, 20)),)), settings=seed_settings)
    token_shuffle = entry_titled(seed_entries, "Token-Shuffle")
    assert a.abstained
    assert a.text.startswith("Not in 2025-05-20; the digest covers it on 2025-04-25"), a.text
    assert [c.entry for c in a.citations] == [token_shuffle]


def test_a_typed_filter_that_hides_the_evidence_is_explained_in_korean(seed_settings, seed_entries):
    a = rag.answer("2025년 5월 20일에 이미지 토큰을 채널 차원으로 접어서 시퀀스를 줄이는 논문은?", settings=seed_settings)
    assert a.abstained
    assert a.text.startswith("2025-05-20에는 없습니다."), a.text
    assert a.citations[0].entry == entry_titled(seed_entries, "Token-Shuffle")


@pytest.mark.parametrize("question", ["뭐가 있었어?", "what was there?", "목록 보여줘"])
def test_panel_filters_with_a_question_that_only_asks_for_the_list_list_the_entries(seed_settings, seed_entries, question):
    day = date(2025, 5, 20)
    a = rag.answer(question, filters=Filters(days=((day, day),), tags=("rl",)), settings=seed_settings)
    expected = {e.id for e in seed_entries if e.day == day and "rl" in e.tags}
    assert not a.abstained, a.text
    assert {c.entry.id for c in a.citations} == expected and len(expected) == 4


# --- abstention at its extremes: far off-topic always abstains, a close paraphrase never does ---


@pytest.mark.parametrize("question", [
    "What is the capital of France?", "프랑스의 수도는 어디인가요?", "How do I knit a wool sweater?",
    "김치찌개 맛있게 끓이는 법은?", "Which paper predicts volcano eruptions from seismic sensors?",
])
def test_far_off_topic_questions_abstain(seed_settings, question):
    a = rag.answer(question, settings=seed_settings)
    assert a.abstained, a.text


@pytest.mark.parametrize("question", [
    TOKEN_SHUFFLE, "Which paper studies scaling laws for weight decay and batch size in LLM pre-training?",
    "사전학습 데이터에서 위험한 텍스트를 버리지 않고 윤리 교육용 글로 다시 써서 학습시킨 연구는?",
])
def test_close_paraphrases_of_an_entry_never_abstain(seed_settings, question):
    a = rag.answer(question, settings=seed_settings)
    assert not a.abstained, a.text
    assert len(a.citations) == 1

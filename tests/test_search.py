"""Specification of `rag.search`: paraphrases in both languages, filters, grouping, k."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import entry_titled

import rag
from rag import Filters, Hit
from rag.ask.prepare import QuestionError
from rag.ask.retrieve import interleaved, understand_question
from rag.config import MAX_QUESTION_CHARS

# Paraphrases: none repeats the entry's own wording; Korean ones must cross into an
# English abstract or a Korean commentary written in other words.
PARAPHRASES = [
    # (question, title prefix of the entry it is about, rank it must reach)
    ("Which paper folds neighbouring image tokens into the channel dimension to shorten the sequence?",
     "Token-Shuffle", 1),
    ("이웃한 이미지 토큰을 채널 차원으로 합쳐 시퀀스를 짧게 만드는 논문은?", "Token-Shuffle", 1),
    ("Which study finds that activation outliers entering the FC2 layer are the main obstacle for "
     "4-bit quantization-aware training?", "Scaling Law for Quantization-Aware Training", 1),
    ("Which paper shows that averaging checkpoints during pretraining can stand in for learning-rate annealing?",
     "Model Merging in Pre-training", 1),
    ("Which entry places experts that fire together on the same device to cut all-to-all traffic in MoE?",
     "Occult", 1),
    ("검증기가 맞는 답을 틀렸다고 판정하는 문제가 강화학습에 미치는 영향을 다룬 논문은?", "TinyV", 1),
    ("다국어 데이터로 후처리 학습할 때 언어 간 전이가 어떻게 일어나는지 분석한 논문은?",
     "A Post-trainer's Guide to Multilingual Training Data", 1),
    ("평균 속도를 예측해서 한 번에 샘플을 생성하는 생성 모델 논문은?", "Mean Flows", 1),
]


def ids(hits: list[Hit]) -> list[str]:
    return [h.entry.id for h in hits]


def test_seed_index_holds_all_33_entries(seed_build, seed_entries):
    settings, report = seed_build
    assert (report.added, report.skipped, report.errors) == (33, 0, [])
    assert set(rag.get_index(settings).entries) == {e.id for e in seed_entries}


@pytest.mark.parametrize(("question", "title", "rank"), PARAPHRASES, ids=[t for _, t, _ in PARAPHRASES])
def test_paraphrased_question_finds_its_entry(seed_settings, seed_entries, question, title, rank):
    expected = entry_titled(seed_entries, title)
    hits = rag.search(question, k=5, settings=seed_settings)
    assert expected.id in ids(hits)[:rank], [h.entry.title for h in hits]


def test_korean_and_english_paraphrases_agree_on_token_shuffle(seed_settings):
    en = rag.search(PARAPHRASES[0][0], k=1, settings=seed_settings)[0].entry
    ko = rag.search(PARAPHRASES[1][0], k=1, settings=seed_settings)[0].entry
    assert en == ko
    assert en.day == date(2025, 4, 25)
    assert en.title.startswith("Token-Shuffle")


@pytest.mark.parametrize("question", [
    "Compare the paper that folds neighbouring image tokens into the channel dimension, and the paper "
    "that averages checkpoints during pretraining instead of annealing the learning rate",
    "이웃한 이미지 토큰을 채널 차원으로 합쳐 시퀀스를 짧게 만드는 논문과, 사전학습 중 체크포인트를 평균해서 학습률 감소를 대신하는 논문을 비교해줘",
])
def test_a_comparison_finds_both_of_its_papers_first(seed_settings, seed_entries, question):
    both = {entry_titled(seed_entries, "Token-Shuffle").id, entry_titled(seed_entries, "Model Merging in Pre-training").id}
    hits = rag.search(question, k=5, settings=seed_settings)
    assert set(ids(hits)[:2]) == both, [h.entry.title for h in hits]


def test_each_side_of_a_comparison_searches_its_own_day(seed_settings):
    # Both sides describe the same paper; only their days tell them apart. Each side's best
    # entry of its own day must be among the first three hits (the whole question's best, then
    # each side's best). Searching both sides under both days finds ThinkPRM twice instead.
    first, second = date(2025, 4, 24), date(2025, 5, 21)
    topic = "paper on process reward models that think"
    question = f"Compare the {first} {topic}, and the {second} {topic}"
    best = [
        rag.search(side, k=1, filters=Filters(days=((day, day),)), settings=seed_settings)[0].entry.id
        for side, day in ((f"Compare the {topic}", first), (f"the {topic}", second))
    ]
    hits = rag.search(question, k=3, settings=seed_settings)
    assert set(best) <= set(ids(hits)), [(h.entry.day, h.entry.title) for h in hits]


def test_a_second_search_under_the_question_s_own_filters_keeps_each_side_s_days(seed_settings):
    # An answer searches again with the filters it read (to add a translation's hits); the
    # sides must keep their own days there too.
    view = rag.get_index(seed_settings).view()
    question = "Compare the 2025-04-24 paper on thinking reward models, and the 2025-05-21 paper on verifiers"
    u = understand_question(view, question)
    assert len(u.part_days) == 2
    assert understand_question(view, question, u.filters).part_days == u.part_days
    assert understand_question(view, question, Filters(tags=("rl",))).part_days == ()


def test_interleaving_takes_each_lists_best_first_and_each_entry_once(seed_entries):
    a, b, c, d = (Hit(entry=e, score=1.0) for e in seed_entries[:4])
    assert [h.entry for h in interleaved([[a, b], [c, a], [d]], k=10)] == [x.entry for x in (a, c, d, b)]
    assert len(interleaved([[a, b], [c, d]], k=3)) == 3


def test_hits_are_entries_best_first(seed_settings):
    hits = rag.search("scaling laws for language model pre-training", k=10, settings=seed_settings)
    assert all(isinstance(h, Hit) and isinstance(h.entry, rag.Entry) for h in hits)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("k", [1, 3, 7])
def test_search_returns_exactly_k_hits(seed_settings, k):
    assert len(rag.search("reinforcement learning for reasoning", k=k, settings=seed_settings)) == k


def test_hits_are_grouped_per_entry_without_duplicates(seed_settings):
    # Every entry has several chunks (title, abstract, both commentaries), so the nearest
    # chunks repeat entries; the hits must still be 20 distinct entries.
    hits = rag.search("reasoning with reinforcement learning and verifiers", k=20, settings=seed_settings)
    assert len(hits) == 20
    assert len(set(ids(hits))) == 20


def test_day_filter_returns_only_entries_of_that_day(seed_settings, seed_entries):
    day = date(2025, 5, 20)
    hits = rag.search("reasoning", k=20, filters=Filters(days=((day, day),)), settings=seed_settings)
    assert hits
    assert {h.entry.day for h in hits} == {day}
    # Nothing of that day is lost to the filter either: there are 9 entries that day.
    assert len(hits) == sum(1 for e in seed_entries if e.day == day)


def test_tag_filter_returns_only_entries_with_that_tag(seed_settings, seed_entries):
    hits = rag.search("scaling", k=20, filters=Filters(tags=("scaling-law",)), settings=seed_settings)
    assert hits
    assert all("scaling-law" in h.entry.tags for h in hits)
    assert len(hits) == sum(1 for e in seed_entries if "scaling-law" in e.tags)


def test_day_and_tag_filters_combine(seed_settings, seed_entries):
    day = date(2025, 5, 20)
    filters = Filters(days=((day, day),), tags=("rl",))
    hits = rag.search("policy optimization", k=20, filters=filters, settings=seed_settings)
    expected = {e.id for e in seed_entries if e.day == day and "rl" in e.tags}
    assert set(ids(hits)) == expected


def test_explicit_filters_win_over_a_date_in_the_question(seed_settings):
    day = date(2025, 4, 24)
    hits = rag.search("reasoning papers of 2025-05-21", k=10, filters=Filters(days=((day, day),)),
                      settings=seed_settings)
    assert hits
    assert {h.entry.day for h in hits} == {day}


@pytest.mark.parametrize(
    ("question", "day"),
    [("2025-05-21의 논문 목록", date(2025, 5, 21)), ("List the papers from May 16, 2025", date(2025, 5, 16))],
)
def test_pure_filter_question_lists_every_entry_of_that_day(seed_settings, seed_entries, question, day):
    hits = rag.search(question, k=40, settings=seed_settings)
    expected = [e.id for e in seed_entries if e.day == day]
    assert sorted(ids(hits)) == sorted(expected)
    assert len(expected) == {date(2025, 5, 21): 6, date(2025, 5, 16): 7}[day]


def test_pure_filter_listing_combines_day_and_tag(seed_settings, seed_entries):
    hits = rag.search("2025-05-20 #rl 논문 목록", k=40, settings=seed_settings)
    expected = {e.id for e in seed_entries if e.day == date(2025, 5, 20) and "rl" in e.tags}
    assert expected and set(ids(hits)) == expected


def test_pure_filter_listing_respects_k(seed_settings):
    assert len(rag.search("2025-05-21의 논문 목록", k=4, settings=seed_settings)) == 4


def test_date_named_in_the_question_filters_topical_search(seed_settings):
    hits = rag.search("2025년 5월 16일 다이제스트의 보상 모델 연구", k=10, settings=seed_settings)
    assert hits
    assert {h.entry.day for h in hits} == {date(2025, 5, 16)}


def test_tag_named_in_the_question_filters_topical_search(seed_settings):
    hits = rag.search("#reward-model papers about judges", k=10, settings=seed_settings)
    assert hits
    assert all("reward-model" in h.entry.tags for h in hits)


@pytest.mark.parametrize("question", ["", "   \n\t", "x" * (MAX_QUESTION_CHARS + 1)], ids=["empty", "blank", "too-long"])
def test_search_refuses_empty_and_too_long_questions(seed_settings, question):
    with pytest.raises(QuestionError):
        rag.search(question, k=5, settings=seed_settings)


def test_langchain_vectorstore_over_the_committed_collection_is_usable(seed_settings):
    store = rag.get_index(seed_settings).vectorstore
    docs = store.as_retriever(search_kwargs={"k": 3}).invoke("folding image tokens into channels, a pixel shuffle")
    assert docs and all("entry_id" in d.metadata for d in docs)
    assert any(d.metadata["entry_id"].startswith("2025-04-25/token-shuffle") for d in docs)

"""Question understanding and fusion: pure functions, no index needed."""

from __future__ import annotations

from collections import Counter
from datetime import date

import numpy as np
import pytest

from rag.ask.question import clauses, detect_language, parse_tags, understand
from rag.ask.retrieve import CLAUSE_WEIGHT, DENSE_WEIGHT, LEXICAL_WEIGHT, fuse, normalized, with_clauses
from rag.index.lexical import LexicalIndex
from rag.index.store import chroma_where
from rag.index.vectors import ChunkVectors
from rag.model import Filters

DAYS = [date(2024, 5, 20), date(2025, 4, 24), date(2025, 4, 25), date(2025, 5, 16), date(2025, 5, 20), date(2025, 5, 21)]
TAGS = ["rl", "reasoning", "reward-model", "scaling-law", "object_detection", "lm"]


def one_day(d: date) -> tuple[date, date]:
    return (d, d)


def year(y: int) -> tuple[tuple[date, date]]:
    return ((date(y, 1, 1), date(y, 12, 31)),)


def test_hash_tags_and_tag_words_before_papers_are_tags():
    tags, _ = parse_tags("#reasoning papers and RL 논문", TAGS)
    assert set(tags) == {"reasoning", "rl"}
    tags, _ = parse_tags("reward model papers", TAGS)
    assert tags == ["reward-model"]


def test_unknown_hash_tag_is_not_a_filter():
    tags, _ = parse_tags("#nonexistent-topic papers", TAGS)
    assert tags == []


def test_tag_word_without_papers_is_topic_not_filter():
    tags, _ = parse_tags("how does RL change reasoning length?", TAGS)
    assert tags == []


@pytest.mark.parametrize(
    "text, lang",
    [("Which paper uses GRPO?", "en"), ("GRPO를 쓴 논문은?", "ko"),
     ("바이트댄스의 통합 멀티모달 모델로, ViT 토큰과 VAE 토큰을 함께 쓰는 것은?", "ko"), ("What is 강화학습 in the digest's view of RLHF papers?", "en")],
)
def test_language_follows_the_question(text, lang):
    assert detect_language(text) == lang


@pytest.mark.parametrize("text", ["2025-05-21의 논문 목록", "#rl papers from May 2025", "2025년 5월 20일에 올라온 #rl 논문을 모두 알려줘."])
def test_a_question_that_is_only_a_filter_lists(text):
    u = understand(text, DAYS, TAGS)
    assert u.filters and u.listing


@pytest.mark.parametrize("text", [
    "Which #rl paper on 2025-05-20 fixes low-probability tokens?", "2025년 5월 20일 논문 중 가장 좋은 것은?",
    "What did the digest's author say about RL on 2025-05-20?",
])
def test_a_question_with_a_topic_is_not_a_listing(text):
    u = understand(text, DAYS, TAGS)
    assert u.filters and not u.listing


def test_chroma_where_combines_days_and_tags():
    f = Filters(days=(one_day(date(2025, 5, 20)), one_day(date(2025, 5, 21))), tags=("rl",))
    assert chroma_where(f) == {
        "$and": [
            {"$or": [
                {"$and": [{"day": {"$gte": 20250520}}, {"day": {"$lte": 20250520}}]},
                {"$and": [{"day": {"$gte": 20250521}}, {"day": {"$lte": 20250521}}]},
            ]},
            {"tags": {"$contains": "rl"}},
        ]
    }
    assert chroma_where(Filters()) is None


def test_fusion_lets_a_clear_lexical_winner_beat_middling_entries():
    dense = {"a": 0.40, "b": 0.45, "c": 0.44, **{f"n{i}": 0.20 + i / 100 for i in range(10)}}
    lexical = {"a": 30.0, "b": 12.0, "c": 11.0, "n1": 3.0}
    fused = fuse(dense, lexical)
    assert max(fused, key=fused.get) == "a"


def test_fusion_scores_are_bounded_and_missing_lists_add_nothing():
    fused = fuse({"a": 0.9, "b": 0.1}, {"c": 5.0})
    assert fused == {"a": pytest.approx(DENSE_WEIGHT), "b": pytest.approx(0.0), "c": pytest.approx(LEXICAL_WEIGHT)}
    assert all(0.0 <= v <= 1.0 for v in fuse({"a": 0.3, "b": 0.7}, {"a": 2.0, "b": 1.0}).values())
    assert normalized({"x": 2.0, "y": 2.0}) == {"x": 1.0, "y": 1.0}


def test_a_weak_best_lexical_match_stays_weak_and_a_dense_winner_keeps_first_place():
    dense = {"a": 0.45, "b": 0.42, "c": 0.38}
    lexical = {"a": 0.0, "b": 3.0, "c": 2.0}  # only common words shared: far below a full match
    stretched, floored = fuse(dense, lexical), fuse(dense, lexical, lexical_floor=8.0)
    assert max(stretched, key=stretched.get) == "b"
    assert max(floored, key=floored.get) == "a"
    assert floored["b"] == pytest.approx(DENSE_WEIGHT * 4 / 7 + LEXICAL_WEIGHT * 3 / 8)
    # A best match above the floor is scaled exactly as without one.
    strong = {"a": 0.0, "b": 30.0, "c": 2.0}
    assert fuse(dense, strong, lexical_floor=8.0) == fuse(dense, strong)


def test_the_idf_sum_counts_english_words_some_entry_has():
    index = LexicalIndex.build(["x", "y", "z"], [
        {"title": ["grpo", "judg"], "abstract": ["reward", "model"], "comment": ["보상"]},
        {"title": ["dpo"], "abstract": ["reward"], "comment": []},
        {"title": ["ppo"], "abstract": ["polici"], "comment": ["모델"]},
    ])
    assert index.idf_sum(["grpo", "reward"]) == pytest.approx(index.idf("grpo") + index.idf("reward"))
    # Korean words and words no entry has (a typo) leave it unchanged.
    assert index.idf_sum(["grpo", "reward", "보상", "rewrad"]) == index.idf_sum(["grpo", "reward"])
    assert index.idf_sum([]) == 0.0


def test_a_long_description_is_cut_into_its_clauses():
    assert clauses("Which method converts prompts to judgment tasks, and trains the judge to think first?") == (
        "Which method converts prompts to judgment tasks", "and trains the judge to think first?")
    assert clauses("프롬프트를 모두 판정 과제로 바꿔서 평가자가 판단 전에 생각하도록 학습시킨 방법은?") == (
        "프롬프트를 모두 판정 과제로 바꿔서", "평가자가 판단 전에 생각하도록 학습시킨 방법은?")
    assert clauses("디코더의 FFN은 통째로 빼고 인코더 쪽에 넓은 FFN 하나를 두고 모든 레이어가 공유하는 논문") == (
        "디코더의 FFN은 통째로 빼고", "인코더 쪽에 넓은 FFN 하나를 두고", "모든 레이어가 공유하는 논문")
    assert clauses("Which paper is about GRPO?") == ()


@pytest.mark.parametrize("text", [
    "이미지 생성에서 최고 성능을 낸 모델은?",                      # 에서 is a particle
    "캡션 없이 순수한 이미지만 쓰는 합성 교과서 데이터 논문",       # 이미지만, 교과서: no ending
    "추천 방법에 대해서 새로운 벤치마크를 만든 연구",               # 에 대해서 is a postposition
    "a model (trained with RL, not with SFT) that writes code",   # inside brackets
])
def test_what_only_looks_like_a_clause_end_does_not_split(text):
    assert clauses(text) == ()


def test_a_short_piece_joins_the_next_and_a_filter_leftover_is_no_clause():
    assert clauses("With GRPO, which method converts prompts to judgment tasks, and trains the judge?") == (
        "With GRPO which method converts prompts to judgment tasks", "and trains the judge?")
    # What "2025년 5월" left behind has no words of its own.
    assert clauses("에 올라온 논문 중에서, 판정 과제를 새로 만들어서 평가자를 학습시킨 방법은?") == (
        "판정 과제를 새로 만들어서", "평가자를 학습시킨 방법은?")


def test_clause_similarities_blend_with_the_whole_question():
    whole = {"a": 0.6, "b": 0.4}
    assert with_clauses(whole, []) == whole
    blended = with_clauses(whole, [{"a": 0.2, "b": 0.8}, {"a": 0.2}])
    assert blended["a"] == pytest.approx((1 - CLAUSE_WEIGHT) * 0.6 + CLAUSE_WEIGHT * 0.2)
    assert blended["b"] == pytest.approx((1 - CLAUSE_WEIGHT) * 0.4 + CLAUSE_WEIGHT * 0.4)


def test_chunk_vectors_score_several_questions_at_once():
    matrix = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]], dtype=np.float32)
    vectors = ChunkVectors(["a#0", "a#1", "b#0"], [matrix[:2], matrix[2:]])  # two segments
    best = vectors.best([[1.0, 0.0], [0.0, 1.0]], {"a#0": "a", "a#1": "a", "b#0": "b", "gone#0": "c"})
    assert best == [{"a": 1.0, "b": pytest.approx(0.6)}, {"a": 1.0, "b": pytest.approx(0.8)}]
    assert vectors.best([[1.0, 0.0]], {"gone#0": "c"}) == [{}]


def test_every_spelling_of_a_tag_is_one_filter():
    tags, _ = parse_tags("efficient training papers", [*TAGS, "efficient-training", "efficient_training"])
    assert sorted(tags) == ["efficient-training", "efficient_training"]
    tags, _ = parse_tags("#efficient_training", [*TAGS, "efficient-training", "efficient_training"])
    assert sorted(tags) == ["efficient-training", "efficient_training"]


@pytest.mark.parametrize("text", ["papers tagged rl", "papers tagged with #rl", "rl 태그가 붙은 논문", "papers with the rl tag"])
def test_tagged_and_tag_words_make_a_tag_a_filter(text):
    u = understand(text, DAYS, TAGS)
    assert u.filters.tags == ("rl",) and u.listing


@pytest.mark.parametrize("text", [
    "5월 중순에 나온 RL 논문", "papers since April 2025", "지난주 논문 목록", "RL papers from the latest digest",
    "Which papers tagged rl showed up in Q2 2025?", "2025년 5월 20일에 올라온 논문은 뭐가 있었어?", "2025년 5월 한 주 동안 나온 #rl 논문들 정리해줘.",
    "Which #rl papers did the digest cover in 2025?", "Show me everything the digest posted during the week of May 19, 2025.",
])
def test_new_date_phrases_alone_still_make_a_listing(text):
    u = understand(text, DAYS, TAGS)
    assert u.filters.days and u.listing


@pytest.mark.parametrize("text", [
    "What got posted on 2025-05-20?", "What did the digest have on 2025-05-20?", "What's in the 2025-05-20 issue?",
    "Papers featured in the May 20 2025 edition", "Anything tagged #rl in mid-May 2025?",
    "Which entries on 2025-05-21 carry the #reasoning tag?", "5월 20일 다이제스트에 실린 논문", "2025년 5월 20일에 수록된 논문",
    "2025년 5월 20일 게재된 논문 목록", "2025년 5월 20일 다이제스트에 등장한 논문", "2025년 5월 20일에 다룬 논문은?",
])
def test_other_ways_of_asking_for_a_day_s_papers_list_them(text):
    u = understand(text, DAYS, TAGS)
    assert u.filters.days and u.listing


@pytest.mark.parametrize("text", ["rl-tagged papers in May 2025", "reward-model-tagged entries"])
def test_a_hyphenated_tagged_after_a_tag_name_is_a_filter(text):
    u = understand(text, DAYS, TAGS)
    assert u.filters.tags in (("rl",), ("reward-model",)) and u.listing


def test_tagged_takes_the_tag_after_it_not_the_topic_before_it():
    assert understand("Papers on reasoning tagged rl", DAYS, TAGS).filters.tags == ("rl",)


@pytest.mark.parametrize("text", [
    "2025년 5월 20일에 다룬 보상 해킹 논문", "Which papers shared on 2025-05-20 update the reward model online?",
    "Summarization papers in May 2025", "Which papers in May 2025 are about sharing?", "Labeling papers from 2025",
    "2025년 요약 논문 보여줘", "2025년 5월 모델 업데이트 논문",
])
def test_listing_words_beside_a_topic_do_not_make_a_listing(text):
    u = understand(text, DAYS, TAGS)
    assert u.filters.days and not u.listing


@pytest.mark.parametrize("text", ["RL 논문 중 저확률 토큰 문제를 다룬 것은?", "Which RL papers fix low-probability tokens?"])
def test_a_tag_named_only_by_papers_in_a_topical_question_stays_topic(text):
    u = understand(text, DAYS, TAGS)
    assert u.filters.tags == () and not u.listing and "RL" in u.topic


@pytest.mark.parametrize("text", ["#rl papers that fix low-probability tokens", "papers tagged rl that fix low-probability tokens", "RL 논문 목록"])
def test_an_explicit_tag_or_a_tag_list_still_filters(text):
    u = understand(text, DAYS, TAGS)
    assert u.filters.tags == ("rl",)


@pytest.mark.parametrize("text", ["papers tagged rl and reasoning", "rl, reasoning 태그 논문", "papers tagged with rl or #reasoning"])
def test_a_list_of_tags_after_a_cue_is_every_tag(text):
    u = understand(text, DAYS, TAGS)
    assert set(u.filters.tags) == {"rl", "reasoning"} and u.listing


def test_korean_tag_is_phrasing():
    assert understand("태그가 rl인 논문", DAYS, TAGS).filters.tags == ("rl",)


@pytest.mark.parametrize("text", ["Which RL works best?", "image tag generation", "how does RL change reasoning length?"])
def test_tag_names_without_a_tag_cue_are_topic_words(text):
    assert understand(text, DAYS, TAGS).filters.tags == ()


def test_a_rare_tag_needs_to_be_named_as_a_tag():
    counts = Counter({"rl": 300, "ai": 1})
    assert understand("AI papers on safety", DAYS, counts).filters.tags == ()
    assert understand("papers tagged ai", DAYS, counts).filters.tags == ("ai",)
    assert understand("RL papers", DAYS, counts).filters.tags == ("rl",)


@pytest.mark.parametrize("text", ["length generalization 논문", "vision language model papers"])
def test_a_tag_name_ending_a_longer_name_is_not_a_tag(text):
    tags = [*TAGS, "generalization", "language_model"]
    assert understand(text, DAYS, tags).filters.tags == ()


@pytest.mark.parametrize("text", [
    "Compare the 2024 paper that trains a judge with RL, and the 2025 paper that scales preference models",
    "2024년에 RL로 평가 모델을 학습한 논문과, 2025년에 선호 모델을 스케일링한 논문을 비교해줘",
])
def test_each_side_of_a_comparison_keeps_the_year_it_names(text):
    u = understand(text, DAYS, TAGS)
    assert len(u.parts) == 2 and u.part_days == (year(2024), year(2025))
    assert set(u.filters.days) == {*year(2024), *year(2025)}


def test_a_side_that_names_no_days_searches_without_a_day_filter():
    u = understand("Compare the 2024 paper that trains a judge with RL, and the optimizer that scales updates", DAYS, TAGS)
    assert len(u.parts) == 2 and u.part_days == (year(2024), ())


def test_a_side_date_the_question_reads_otherwise_is_not_kept():
    # Read alone, the second side's "May 20" is the latest May 20 (2025); the question lends it 2024.
    u = understand("Compare the May 20, 2024 paper on judges, and the May 20 paper on preference models", DAYS, TAGS)
    assert len(u.parts) == 2 and u.filters.days == ((date(2024, 5, 20), date(2024, 5, 20)),) and u.part_days == ()


def test_side_days_are_not_kept_where_the_question_splits_otherwise_with_its_dates_in():
    # With its dates in, the question splits inside "May 16 to the 20th": those days belong to
    # no one side.
    u = understand("Compare the judge paper from May 16 to the 20th and the PRM paper", DAYS, TAGS)
    assert u.parts == ("Compare the judge paper from", "the PRM paper") and u.part_days == ()


def test_with_a_splits_a_comparison_only_where_and_the_does_not():
    # "with a" goes on describing the first model.
    u = understand("Compare the LLM with a memory pool for new knowledge and the softmax variant that scales logits", DAYS, TAGS)
    assert u.parts == ("Compare the LLM with a memory pool for new knowledge", "the softmax variant that scales logits")
    assert understand("Compare ThinkPRM with the GenPRM paper", DAYS, TAGS).parts == ("Compare ThinkPRM", "the GenPRM paper")


def test_comparison_questions_are_split_into_their_two_papers():
    u = understand("Compare the 2020 paper that shrinks images with a VQ-VAE and models the prior, and the 2025 sparse transformer", DAYS, TAGS)
    assert u.parts == ("Compare the 2020 paper that shrinks images with a VQ-VAE and models the prior", "the 2025 sparse transformer")
    u = understand("HTML 마크업을 텍스트와 함께 학습한 모델과, 프롬프트 실험 논문을 비교해줘", DAYS, TAGS)
    assert u.parts == ("HTML 마크업을 텍스트와 함께 학습한 모델", "프롬프트 실험 논문을 비교해줘")
    assert understand("Which paper compares GRPO with PPO?", DAYS, TAGS).parts == ()


def test_a_comparison_is_not_split_inside_brackets():
    u = understand("Compare the Llama release (vision via cross-attention to a CLIP encoder) with the image generator that follows instructions", DAYS, TAGS)
    assert u.parts == ("Compare the Llama release (vision via cross-attention to a CLIP encoder)", "the image generator that follows instructions")
    u = understand("Compare the model (trained with a huge teacher) and more text", DAYS, TAGS)
    assert u.parts == ()


def test_tags_keep_the_order_the_question_names_them():
    assert understand("reasoning papers and RL 논문", DAYS, TAGS).filters.tags == ("reasoning", "rl")

"""Question understanding and fusion: pure functions, no index needed."""

from __future__ import annotations

from datetime import date

import pytest

from rag.question import Filters, detect_language, parse_days, parse_tags, understand
from rag.retrieve import DENSE_WEIGHT, LEXICAL_WEIGHT, chroma_where, fuse, normalized

DAYS = [date(2024, 5, 20), date(2025, 4, 24), date(2025, 4, 25), date(2025, 5, 16), date(2025, 5, 20), date(2025, 5, 21)]
TAGS = ["rl", "reasoning", "reward-model", "scaling-law", "object_detection", "lm"]


def one_day(d: date) -> tuple[date, date]:
    return (d, d)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("papers on 2025-05-21", [one_day(date(2025, 5, 21))]),
        ("2025/05/21 목록", [one_day(date(2025, 5, 21))]),
        ("2025년 5월 21일의 논문", [one_day(date(2025, 5, 21))]),
        ("May 21, 2025 entries", [one_day(date(2025, 5, 21))]),
        ("21 May 2025 entries", [one_day(date(2025, 5, 21))]),
        ("May 2025 papers", [(date(2025, 5, 1), date(2025, 5, 31))]),
        ("2025년 4월 논문", [(date(2025, 4, 1), date(2025, 4, 30))]),
        ("last week of April 2025", [(date(2025, 4, 24), date(2025, 4, 30))]),
        ("papers from 2024", [(date(2024, 1, 1), date(2024, 12, 31))]),
    ],
)
def test_day_constraints_parse_in_both_languages(text, expected):
    ranges, _ = parse_days(text, DAYS)
    assert ranges == expected


def test_year_less_date_resolves_to_the_latest_such_day_in_the_corpus():
    ranges, _ = parse_days("5월 20일에 나온 논문", DAYS)
    assert ranges == [one_day(date(2025, 5, 20))]


def test_bare_day_inherits_month_from_the_date_before_it():
    ranges, _ = parse_days("2025년 5월 16일과 20일 다이제스트", DAYS)
    assert ranges == [one_day(date(2025, 5, 16)), one_day(date(2025, 5, 20))]


def test_between_two_days_is_one_range():
    ranges, _ = parse_days("between 2025-04-24 and 2025-04-25", DAYS)
    assert ranges == [(date(2025, 4, 24), date(2025, 4, 25))]


def test_two_days_joined_by_and_stay_two_days():
    ranges, _ = parse_days("the 2025-04-24 and 2025-05-16 digests", DAYS)
    assert ranges == [one_day(date(2025, 4, 24)), one_day(date(2025, 5, 16))]


@pytest.mark.parametrize("text", ["2025-02-30 papers", "2025년 13월 1일", "2025년 2월 30일"])
def test_invalid_dates_are_ignored_not_errors(text):
    ranges, _ = parse_days(text, DAYS)
    assert ranges == []


def test_may_as_a_verb_is_not_a_month():
    ranges, _ = parse_days("which method may reduce tokens?", DAYS)
    assert ranges == []


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


def test_a_question_with_a_topic_is_not_a_listing():
    u = understand("Which #rl paper on 2025-05-20 fixes low-probability tokens?", DAYS, TAGS)
    assert u.filters.tags == ("rl",) and not u.listing


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

"""Day constraints read from questions: pure functions over a small list of corpus days."""

from __future__ import annotations

from datetime import date

import pytest

from rag.dates import parse_days

# The corpus's newest day is Wednesday 2025-05-21: relative phrases count back from it.
DAYS = [date(2017, 6, 30), date(2024, 5, 20), date(2025, 4, 24), date(2025, 4, 25), date(2025, 5, 16), date(2025, 5, 20), date(2025, 5, 21)]


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


@pytest.mark.parametrize(
    "text, expected",
    [
        ("RL papers from mid-May 2025", (date(2025, 5, 11), date(2025, 5, 20))),
        ("papers in early May", (date(2025, 5, 1), date(2025, 5, 10))),
        ("the end of April 2025", (date(2025, 4, 21), date(2025, 4, 30))),
        ("5월 중순에 나온 논문", (date(2025, 5, 11), date(2025, 5, 20))),
        ("2025년 4월 말 논문", (date(2025, 4, 21), date(2025, 4, 30))),
        ("2024년 하반기 논문", (date(2024, 7, 1), date(2024, 12, 31))),
        ("2025년 1분기", (date(2025, 1, 1), date(2025, 3, 31))),
        ("papers in Q2 2025", (date(2025, 4, 1), date(2025, 6, 30))),
        ("the first half of 2024", (date(2024, 1, 1), date(2024, 6, 30))),
    ],
)
def test_parts_of_months_and_years(text, expected):
    ranges, _ = parse_days(text, DAYS)
    assert ranges == [expected]


@pytest.mark.parametrize(
    "text",
    ["RL papers from May 16-21, 2025", "16–21 May 2025", "5월 16~21일 논문", "5월 16일부터 21일까지 논문", "May 16 to 21"],
)
def test_compact_day_spans_are_one_range(text):
    ranges, _ = parse_days(text, DAYS)
    assert ranges == [(date(2025, 5, 16), date(2025, 5, 21))]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("papers from last week", (date(2025, 5, 12), date(2025, 5, 18))),
        ("이번 주 논문", (date(2025, 5, 19), date(2025, 5, 21))),
        ("지난달 논문", (date(2025, 4, 1), date(2025, 4, 30))),
        ("작년 논문", (date(2024, 1, 1), date(2024, 12, 31))),
        ("papers from the past 2 weeks", (date(2025, 5, 8), date(2025, 5, 21))),
        ("최근 3개월 RL 논문", (date(2025, 2, 22), date(2025, 5, 21))),
        ("the latest digest", one_day(date(2025, 5, 21))),
        ("가장 최근 다이제스트", one_day(date(2025, 5, 21))),
        ("작년 5월 RL 논문", (date(2024, 5, 1), date(2024, 5, 31))),
        ("papers from May of last year", (date(2024, 5, 1), date(2024, 5, 31))),
    ],
)
def test_relative_phrases_count_back_from_the_newest_day_not_the_clock(text, expected):
    ranges, _ = parse_days(text, DAYS)
    assert ranges == [expected]


def test_last_week_of_a_month_is_not_last_week():
    ranges, _ = parse_days("last week of April 2025", DAYS)
    assert ranges == [(date(2025, 4, 24), date(2025, 4, 30))]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("papers since April 2025", (date(2025, 4, 1), date(2025, 5, 21))),
        ("2025년 5월 이후 논문", (date(2025, 5, 1), date(2025, 5, 21))),
        ("papers after May 16, 2025", (date(2025, 5, 17), date(2025, 5, 21))),
        ("papers before 2018", (date(2017, 6, 30), date(2017, 12, 31))),
        ("5월 16일까지 나온 논문", (date(2017, 6, 30), date(2025, 5, 16))),
    ],
)
def test_since_after_before_until_open_a_range_to_the_corpus_edge(text, expected):
    ranges, _ = parse_days(text, DAYS)
    assert ranges == [expected]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("papers on 5/20", one_day(date(2025, 5, 20))),
        ("5/20 논문", one_day(date(2025, 5, 20))),
        ("entries of 05/21/2025", one_day(date(2025, 5, 21))),
        ("the week of May 19, 2025", (date(2025, 5, 19), date(2025, 5, 25))),
        ("25년 5월 20일 논문", one_day(date(2025, 5, 20))),
    ],
)
def test_numeric_and_week_of_forms(text, expected):
    ranges, _ = parse_days(text, DAYS)
    assert ranges == [expected]


@pytest.mark.parametrize(
    "text",
    ["4/8-bit quantization", "1/3 of the parameters", "이번 주제는 무엇인가", "초거대 모델의 한계"],
)
def test_look_alikes_of_dates_stay_topic_words(text):
    ranges, rest = parse_days(text, DAYS)
    assert ranges == [] and rest == text

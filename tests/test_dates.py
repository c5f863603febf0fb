"""Day constraints read from questions: pure functions over a small list of corpus days."""

from __future__ import annotations

from datetime import date

import pytest

from rag.ask.dates import parse_days

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
    ranges, _ = parse_days("5월 마지막 주요 논문", DAYS)  # 주요 is not 주 (week)
    assert ranges == [(date(2025, 5, 1), date(2025, 5, 31))]


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
    [
        "4/8-bit quantization", "1/3 of the parameters", "trained on 1/3 of the data", "KV 캐시를 1/8까지 줄인 논문",
        "between 1/2 and 1/4 of the compute", "이번 주제는 무엇인가", "초거대 모델의 한계", "Why GPT-4 may fail at counting",
        "upgrading from Llama 2 to 3 may help", "stopping early may improve calibration", "costly and may introduce bias",
        "Which paper improves MAR image generation?", "BitDelta: Your Fine-Tune May Only Be Worth One Bit", "May I ask about MoE?",
        "papers by Jan Leike", "context length of 2048 tokens", "after 2048 steps the loss spikes", "Q4 1024",
        "Which paper evaluates gpt-4o-2024-05-13 on math?", "Genie 3 월드 모델", "GPT-4 월등한 성능", "마지막 주요 논문 흐름",
        "트리를 2 분기로 나누는", "10000년", "0000년", "after Q4 9999",
        "Which paper reports pass@1 on the 2024 AIME problems?", "scaling laws as in Kaplan et al. (2020)",
        "gold at the 2025 International Mathematical Olympiad",
    ],
)
def test_look_alikes_of_dates_stay_topic_words(text):
    ranges, _ = parse_days(text, DAYS)
    assert ranges == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2024년 3월부터 5월까지 나온 논문", (date(2024, 3, 1), date(2024, 5, 31))),
        ("from January to March 2024", (date(2024, 1, 1), date(2024, 3, 31))),
        ("between March and May 2024", (date(2024, 3, 1), date(2024, 5, 31))),
        ("May 30 to June 2, 2024", (date(2024, 5, 30), date(2024, 6, 2))),
        ("12월 28일부터 1월 3일까지", (date(2024, 12, 28), date(2025, 1, 3))),
        ("2024년 11월부터 2월까지", (date(2024, 11, 1), date(2025, 2, 28))),
        ("between May 16 and 20", (date(2025, 5, 16), date(2025, 5, 20))),
        ("5월 16일과 5월 20일 사이", (date(2025, 5, 16), date(2025, 5, 20))),
        ("papers from 2023 to 2024", (date(2023, 1, 1), date(2024, 12, 31))),
        ("2023년부터 2024년까지", (date(2023, 1, 1), date(2024, 12, 31))),
        ("2021년 9~10월 다이제스트", (date(2021, 9, 1), date(2021, 10, 31))),
        ("5/16~5/21 논문", (date(2025, 5, 16), date(2025, 5, 21))),
    ],
)
def test_the_two_ends_of_a_span_share_a_year(text, expected):
    ranges, _ = parse_days(text, DAYS)
    assert ranges == [expected]


def test_two_days_joined_by_or_stay_two_days():
    ranges, _ = parse_days("May 16 or 20", DAYS)
    assert ranges == [one_day(date(2025, 5, 16)), one_day(date(2025, 5, 20))]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("papers from the past year", (date(2024, 5, 22), date(2025, 5, 21))),
        ("지난 3개월간 논문", (date(2025, 2, 22), date(2025, 5, 21))),
        ("최근 일주일", (date(2025, 5, 15), date(2025, 5, 21))),
        ("작년 하반기 논문", (date(2024, 7, 1), date(2024, 12, 31))),
        ("2024년 말 논문", (date(2024, 9, 1), date(2024, 12, 31))),
        ("late 2024", (date(2024, 9, 1), date(2024, 12, 31))),
        ("week of 2025-05-19", (date(2025, 5, 19), date(2025, 5, 25))),
        ("2025. 5. 20. 논문", one_day(date(2025, 5, 20))),
        ("through 2024", (date(2017, 6, 30), date(2024, 12, 31))),
        ("the first half of March 2020", (date(2020, 3, 1), date(2020, 3, 15))),
        ("during the week of April 24-30, 2023", (date(2023, 4, 24), date(2023, 4, 30))),
        ("2025년 11월 후반(16일~30일)", (date(2025, 11, 16), date(2025, 11, 30))),
    ],
)
def test_halves_years_weeks_and_open_ends_read_as_their_ranges(text, expected):
    ranges, _ = parse_days(text, DAYS)
    assert ranges == [expected]


@pytest.mark.parametrize(
    "text, year",
    [("the 2024 ViT paper that adds registers", 2024), ("Which 2024 paper trains judges?", 2024),
     ("2024 papers on registers", 2024), ("the 2024 induction-heads analysis", 2024), ("a 2024 optimizer paper", 2024)],
)
def test_a_year_before_a_paper_noun_is_that_year(text, year):
    ranges, rest = parse_days(text, DAYS)
    assert ranges == [(date(year, 1, 1), date(year, 12, 31))] and str(year) not in rest


def test_between_a_later_and_an_earlier_year_spans_both_years():
    ranges, _ = parse_days("the difference between the 2025 Mamba paper and the 2024 Mamba paper", DAYS)
    assert ranges == [(date(2024, 1, 1), date(2025, 12, 31))]


@pytest.mark.parametrize(
    "text",
    ["파인튜닝의 수혜를 봄.", "직접 해봄", "this may be because of tokenization", "apply each of the 2027 rules",
     "속도는 1/2 ~ 1/3 정도", "released months ago", "I wonder what comes at last day", "(2023-2024)"],
)
def test_look_alikes_the_corpus_guard_found_stay_topic_words(text):
    ranges, _ = parse_days(text, DAYS)
    assert ranges == []


@pytest.mark.parametrize(
    "text, expected",
    [("2023~2024년 논문", (date(2023, 1, 1), date(2024, 12, 31))), ("9~10월 논문", (date(2024, 9, 1), date(2024, 10, 31))),
     ("5월 두 번째 주", (date(2025, 5, 8), date(2025, 5, 14))), ("H1 2025", (date(2025, 1, 1), date(2025, 6, 30)))],
)
def test_spans_and_parts_the_old_reader_also_read(text, expected):
    ranges, _ = parse_days(text, DAYS)
    assert ranges == [expected]


def test_a_korean_day_written_with_ja_is_that_day():
    # "17일자" (dated the 17th) is the day, not only its month.
    ranges, _ = parse_days("2025년 5월 20일자 다이제스트 목록", DAYS)
    assert ranges == [one_day(date(2025, 5, 20))]

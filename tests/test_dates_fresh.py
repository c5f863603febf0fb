"""Fresh phrasings the date reader was not written against, Korean and English.

Written before the composable reader, as its acceptance set: seasons, holidays, "the last N
days of", abbreviated years, "the day after", early/mid/late of any anchor, spans whose ends
are different kinds of anchor, and ML text that only looks like a date.

Conventions these expectations fix (the reader's docstrings say the same):
- Seasons are meteorological and northern: spring March-May, summer June-August, fall/autumn
  September-November, winter December to February, named by the year it starts in (winter 2024
  is December 2024 to February 2025). Early/mid/late of a season is one of its months.
- A holiday is its day; 설날 and 추석 are the three-day holiday (the day before to the day
  after, from the Korean lunar calendar). Thanksgiving is the US one (fourth Thursday of
  November).
- Without a year, a season or a holiday is the latest one that starts by the digest's newest
  day; "last summer" is the latest one already over by then.
- "the day after X" is one day; "the week after X" is the seven days after it; "N days after
  X" is the one day N days later; "이틀 전" (no anchor) counts back from the newest day.
- 'NN and NN년 are 20NN, but only where the words around them say it is a year ("May '24",
  "in '23", "24년 여름", "24년도"); "FY24" is no filter (fiscal years start in different months).
"""

from __future__ import annotations

from datetime import date

import pytest

from rag.ask.dates import parse_days

# The same corpus days as test_dates.py: newest day Wednesday 2025-05-21, first 2017-06-30.
DAYS = [date(2017, 6, 30), date(2024, 5, 20), date(2025, 4, 24), date(2025, 4, 25), date(2025, 5, 16), date(2025, 5, 20), date(2025, 5, 21)]


def span(lo: str, hi: str | None = None) -> list[tuple[date, date]]:
    return [(date.fromisoformat(lo), date.fromisoformat(hi or lo))]


FRESH_EN = [
    # seasons
    ("papers from summer 2024", span("2024-06-01", "2024-08-31")),
    ("what came out in the fall of 2023?", span("2023-09-01", "2023-11-30")),
    ("RL papers from winter 2024", span("2024-12-01", "2025-02-28")),
    ("autumn 2024 entries", span("2024-09-01", "2024-11-30")),
    ("papers in the spring", span("2025-03-01", "2025-05-31")),
    ("papers from last summer", span("2024-06-01", "2024-08-31")),
    # holidays
    ("papers posted on Christmas 2024", span("2024-12-25")),
    ("anything on New Year's Eve?", span("2024-12-31")),
    ("papers from New Year's Day 2025", span("2025-01-01")),
    ("what was posted on Thanksgiving 2024", span("2024-11-28")),
    ("Halloween papers", span("2024-10-31")),
    # first / last N days or weeks of
    ("the last 10 days of April 2025", span("2025-04-21", "2025-04-30")),
    ("papers from the first 3 days of May", span("2025-05-01", "2025-05-03")),
    ("the last two weeks of 2024", span("2024-12-18", "2024-12-31")),
    ("the first week of December 2024", span("2024-12-01", "2024-12-07")),
    # abbreviated years
    ("papers in May '24", span("2024-05-01", "2024-05-31")),
    ("RL work from '23", span("2023-01-01", "2023-12-31")),
    ("summer ’24 papers", span("2024-06-01", "2024-08-31")),
    ("Q3 '24 entries", span("2024-07-01", "2024-09-30")),
    ("papers since '23", span("2023-01-01", "2025-05-21")),
    # the day / week after or before
    ("the day after May 16", span("2025-05-17")),
    ("the day before Christmas 2024", span("2024-12-24")),
    ("the week after Christmas 2024", span("2024-12-26", "2025-01-01")),
    ("two days after May 16", span("2025-05-18")),
    ("papers from 3 days ago", span("2025-05-18")),
    # early / mid / late of any anchor
    ("early summer 2024", span("2024-06-01", "2024-06-30")),
    ("late winter 2024", span("2025-02-01", "2025-02-28")),
    ("mid-fall 2023", span("2023-10-01", "2023-10-31")),
    ("late last year", span("2024-09-01", "2024-12-31")),
    # spans of different anchors
    ("from Christmas 2024 to mid-January", span("2024-12-25", "2025-01-20")),
    ("papers since summer 2023", span("2023-06-01", "2025-05-21")),
    ("between fall 2023 and spring 2024", span("2023-09-01", "2024-05-31")),
    ("from the last week of April to May 20", span("2025-04-24", "2025-05-20")),
    ("before Halloween 2024", span("2017-06-30", "2024-10-30")),
]

FRESH_KO = [
    # 계절
    ("2024년 여름 논문", span("2024-06-01", "2024-08-31")),
    ("작년 가을에 나온 논문", span("2024-09-01", "2024-11-30")),
    ("2024년 겨울 RL 논문", span("2024-12-01", "2025-02-28")),
    ("봄에 나온 논문", span("2025-03-01", "2025-05-31")),
    ("지난 여름 논문", span("2024-06-01", "2024-08-31")),
    ("2024년 초여름", span("2024-06-01", "2024-06-30")),
    ("2024년 늦가을 논문", span("2024-11-01", "2024-11-30")),
    ("2024년 한여름 논문", span("2024-07-01", "2024-07-31")),
    ("2023년 겨울 말", span("2024-02-01", "2024-02-29")),
    # 공휴일
    ("크리스마스에 올라온 논문", span("2024-12-25")),
    ("2024년 추석 연휴 논문", span("2024-09-16", "2024-09-18")),
    ("설날 논문", span("2025-01-28", "2025-01-30")),
    ("어린이날 다이제스트", span("2025-05-05")),
    ("광복절 논문", span("2024-08-15")),
    ("2024년 한글날", span("2024-10-09")),
    # 처음/마지막 N일·N주
    ("4월 마지막 10일 논문", span("2025-04-21", "2025-04-30")),
    ("5월 첫 3일 동안 나온 논문", span("2025-05-01", "2025-05-03")),
    ("2024년 마지막 2주", span("2024-12-18", "2024-12-31")),
    # 줄여 쓴 연도
    ("24년 논문", span("2024-01-01", "2024-12-31")),
    ("23년 여름 논문", span("2023-06-01", "2023-08-31")),
    ("24년도 상반기 논문", span("2024-01-01", "2024-06-30")),
    # 다음 날, 전날, 이틀 뒤
    ("5월 20일 다음 날 논문", span("2025-05-21")),
    ("크리스마스 전날", span("2024-12-24")),
    ("5월 16일 이틀 뒤", span("2025-05-18")),
    ("이틀 전 논문", span("2025-05-19")),
    ("추수감사절 다음 날", span("2024-11-29")),
    ("2024년 크리스마스 다음 주", span("2024-12-26", "2025-01-01")),
    # 서로 다른 기준의 기간
    ("2024년 크리스마스부터 1월 중순까지", span("2024-12-25", "2025-01-20")),
    ("2024년 여름부터 가을까지", span("2024-06-01", "2024-11-30")),
    ("2023년 여름 이후 논문", span("2023-06-01", "2025-05-21")),
    ("2024년 광복절 이후", span("2024-08-15", "2025-05-21")),
]

# ML text shaped like a date: a filter here would hide every other entry.
NOT_DATES = [
    "Mamba-2 may be faster than transformers",
    "the fall of perplexity during training",
    "spring-based physics simulators",
    "as in Winter et al. (2021)",
    "a model with 24 layers",
    "uses '24 heads' of attention",
    "FY24 revenue forecasting",
    "lecture notes from a summer school",
    "what happens the day after training ends",
    "pruning the last 10 layers of the network",
    "the first 3 days of training",
    "pass@1 on AIME '24",
    "가설을 검증한 논문",
    "24개 레이어를 쓴 모델",
    "24년 동안 축적된 데이터",
    "설명 가능한 모델",
    "다음 날 예측 모델",
    "말 그대로 초거대 모델",
    "마지막 10개 레이어",
    "이틀 동안 학습한 모델",
]


@pytest.mark.parametrize("text, expected", FRESH_EN + FRESH_KO)
def test_fresh_phrasing_reads_as_its_days(text, expected):
    ranges, _ = parse_days(text, DAYS)
    assert ranges == expected


@pytest.mark.parametrize("text", NOT_DATES)
def test_fresh_look_alike_stays_topic_words(text):
    ranges, _ = parse_days(text, DAYS)
    assert ranges == []

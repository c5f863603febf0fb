"""The words the date reader (`rag.ask.date_grammar`) knows, English and Korean, and what each
means (the day ranges they stand for are made in `rag.ask.date_ranges`), and the pieces a Korean
word splits into ("지난달" is 지난 + 달, "여름부터" is 여름 + 부터); a Hangul word of other pieces
is never a date ("주요", "월드"). A new word is one entry, not a new rule.
"""

from __future__ import annotations

from enum import Enum


class Side(Enum):
    """Where a single date opens to an edge of the corpus ("since May": from May on), or that it
    is one end of "between A and B"."""

    FROM = "from"
    AFTER = "after"
    BEFORE = "before"
    UNTIL = "until"
    BETWEEN = "between"


# fmt: off
_MONTH_NAMES = ("january jan", "february feb", "march mar", "april apr", "may", "june jun",
    "july jul", "august aug", "september sep sept", "october oct", "november nov", "december dec")
# fmt: on
MONTHS = {name: i for i, names in enumerate(_MONTH_NAMES, 1) for name in names.split()}
# Meteorological seasons of the northern hemisphere, by their first month; winter 2024 is
# December 2024 to February 2025 (named by the year it starts in).
# fmt: off
SEASONS = {"spring": 3, "summer": 6, "fall": 9, "autumn": 9, "winter": 12, "봄": 3, "여름": 6, "가을": 9,
    "겨울": 12}
# fmt: on
# (month, day, kind): the day itself; "thursday", the first Thursday from that day (US
# Thanksgiving, the fourth of November); "lunar", the three-day holiday around that day of the
# Korean lunar calendar.
# fmt: off
HOLIDAYS: dict[str, tuple[int, int] | tuple[int, int, str]] = {"christmas": (12, 25),
    "christmas day": (12, 25), "christmas eve": (12, 24), "new year's day": (1, 1),
    "new year's": (1, 1), "new year's eve": (12, 31), "halloween": (10, 31),
    "valentine's day": (2, 14), "thanksgiving": (11, 22, "thursday"), "크리스마스": (12, 25),
    "성탄절": (12, 25), "크리스마스 이브": (12, 24), "신정": (1, 1), "새해 첫날": (1, 1), "삼일절": (3, 1),
    "어린이날": (5, 5), "현충일": (6, 6), "제헌절": (7, 17), "광복절": (8, 15), "개천절": (10, 3), "한글날": (10, 9),
    "할로윈": (10, 31), "핼러윈": (10, 31), "발렌타인데이": (2, 14), "밸런타인데이": (2, 14),
    "추수감사절": (11, 22, "thursday"), "설날": (1, 1, "lunar"), "구정": (1, 1, "lunar"),
    "설 연휴": (1, 1, "lunar"), "추석": (8, 15, "lunar"), "한가위": (8, 15, "lunar")}
# fmt: on

# Thirds of an anchor (a month: 1-10, 11-20, 21-end; a year: four months each; a season: one
# month each). Korean suffixes follow the anchor ("5월 초"), prefixes precede a season ("늦가을").
# fmt: off
PARTS = {"early": 0, "beginning": 0, "start": 0, "mid": 1, "middle": 1, "late": 2, "end": 2, "초": 0,
    "초순": 0, "초반": 0, "상순": 0, "중순": 1, "중반": 1, "하순": 2, "말": 2, "말경": 2}
# fmt: on
SEASON_PREFIXES = {"초": 0, "한": 1, "늦": 2}
HALVES = {"전반": 0, "상반기": 0, "후반": 1, "하반기": 1}
# fmt: off
ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3,
    "4th": 3, "fifth": 4, "5th": 4, "last": -1, "첫": 0, "첫째": 0, "처음": 0, "둘째": 1, "셋째": 2, "넷째": 3,
    "다섯째": 4, "마지막": -1,
    **{f"{n}{gap}번째": i for i, n in enumerate(("두", "세", "네", "다섯"), 1) for gap in ("", " ")}}
# fmt: on
# "a few"/"a couple of" read as three: a little wide rather than too narrow.
# fmt: off
_NUMBER_WORDS = ("a an one 한 하나", "two 두", "three few couple 세", "four 네", "five 다섯", "six 여섯",
    "seven 일곱", "eight 여덟", "nine 아홉", "ten 열")
# fmt: on
NUMBERS = {word: n for n, words in enumerate(_NUMBER_WORDS, 1) for word in words.split()}
# fmt: off
_UNIT_WORDS = {"day": "days 일", "week": "weeks 주 주일", "month": "months 개월 달", "year": "years 년 해"}
# fmt: on
UNITS = {word: unit for unit, words in _UNIT_WORDS.items() for word in (unit, *words.split())}
# fmt: off
COUNTED = {"하루": (1, "day"), "이틀": (2, "day"), "사흘": (3, "day"), "나흘": (4, "day"), "닷새": (5, "day"),
    "열흘": (10, "day"), "보름": (15, "day"), "일주일": (1, "week"), "fortnight": (2, "week")}
# fmt: on
# How many units back a relative word counts: "this week" 0, "last month" 1, "재작년" 2.
RELATIVE = {"this": 0, "last": 1, "previous": 1, "이번": 0, "지난": 1, "저번": 1}
RELATIVE_UNITS = {"이달": (0, "month"), "금주": (0, "week")}
RELATIVE_YEARS = {"올해": 0, "금년": 0, "작년": 1, "지난해": 1, "재작년": 2}
RECENT = {"past", "last", "최근", "지난"}
LATEST = {"latest", "newest", "most recent", "최신", "가장 최근"}
LATEST_NOUNS = {"digest", "digests", "day", "issue", "issues", "다이제스트", "날", "호"}

# Words that open a single date to the corpus's edge, before it or after it.
_FROM, _AFTER, _BEFORE, _UNTIL = Side.FROM, Side.AFTER, Side.BEFORE, Side.UNTIL
# fmt: off
OPEN_BEFORE = {"since": _FROM, "after": _AFTER, "before": _BEFORE, "until": _UNTIL, "till": _UNTIL,
    "through": _UNTIL, "by": _UNTIL}
# fmt: on
# fmt: off
OPEN_AFTER = {"이후": _FROM, "부터": _FROM, "이전": _UNTIL, "까지": _UNTIL, "전": _BEFORE, "후": _AFTER,
    "뒤": _AFTER, "onwards": _FROM, "onward": _FROM, "or later": _FROM, "and later": _FROM}
# fmt: on
SPAN_TO = {"to", "through", "until", "till", "-", "–", "—", "~", "부터", "에서"}
AND = {"and", "or", "&", ",", "과", "와", "및"}
SHIFT_AFTER = {"after": 1, "before": -1, "뒤": 1, "후": 1, "전": -1}
# Words before a month, a season or a year that make it one ("in May", "since 2024"); not "and",
# "on" or "to", which come before verbs as often ("and may introduce").
# fmt: off
CUES = {"in", "from", "since", "until", "till", "before", "after", "of", "during", "through", "by",
    "between", "over"}
# fmt: on
# A number before one of these is a count, not a year or a day ("2048 tokens", "'24 heads").
COUNT_NOUNS = set(
    "token tokens step steps example examples sample samples image images param params parameters dim dims layer"
    " layers head heads epoch epochs expert experts gpus bit bits k m b x % billion million".split()
)
# A bare year counts before (up to three words before) one of these: "the 2023 ViT paper". Not
# before other nouns: "the 2024 AIME problems" are what papers of any year evaluate on.
PAPER_NOUNS = (
    r"papers?|entr(?:y|ies)|stud(?:y|ies)|works?|analys[ie]s|findings?|methods?|approach(?:es)?|surveys?"
    r"|articles?|posts?|preprints?|proposals?|techniques?"
)
DIGEST_WORDS = {"논문", "다이제스트", "paper", "papers", "entries", "digest", "digests"}
# Several words read as one.
# fmt: off
PHRASES = {"new year's day", "new year's eve", "new year's", "christmas eve", "christmas day",
    "valentine's day", "most recent", "or later", "and later", "크리스마스 이브", "설 연휴", "새해 첫날", "가장 최근",
    "두 번째", "세 번째", "네 번째", "다섯 번째"}
# fmt: on
# Korean particles that say nothing to the grammar, dropped ("5월에" is 5월), and other pieces it reads.
KO_QUIET = set(
    "에 은 는 이 가 을 를 도 만 로 으로 쯤 경 동안 간 중 께 엔 에는 무렵 즈음 당일 자 자의".split()
)
KO_OTHER = set("년도 월 다음 전날 이튿날 사이 연휴 의 분기 주차 째".split())

"""The words the date reader (`rag.ask.dates`) knows, English and Korean, what they mean (the functions
at the end: a month, a holiday, a part of a range, its last N days, the day after), and the pieces a
Korean word splits into ("지난달" is 지난 + 달, "여름부터" is 여름 + 부터); a Hangul word of other
pieces is never a date ("주요", "월드"). A new word is one entry, not a new rule.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date, timedelta
from functools import lru_cache

from korean_lunar_calendar import KoreanLunarCalendar

Range = tuple[date, date]
Within = Callable[[int], "Range | None"]  # what an anchor names in a given year
Mod = Callable[[Range], "Range | None"]  # what a modifier makes of a range ("early", "the day after")
DAY = timedelta(days=1)

_MONTH_NAMES = ("january jan", "february feb", "march mar", "april apr", "may", "june jun", "july jul", "august aug",
                "september sep sept", "october oct", "november nov", "december dec")
MONTHS = {name: i for i, names in enumerate(_MONTH_NAMES, 1) for name in names.split()}
# Meteorological seasons of the northern hemisphere, by their first month; winter 2024 is
# December 2024 to February 2025 (named by the year it starts in).
SEASONS = {"spring": 3, "summer": 6, "fall": 9, "autumn": 9, "winter": 12, "봄": 3, "여름": 6, "가을": 9, "겨울": 12}
# (month, day, kind): the day itself; "thu", the first Thursday from that day (US Thanksgiving, the
# fourth of November); "lunar", the three-day holiday around that day of the Korean lunar calendar.
HOLIDAYS = {
    "christmas": (12, 25), "christmas day": (12, 25), "christmas eve": (12, 24), "new year's day": (1, 1), "new year's": (1, 1),
    "new year's eve": (12, 31), "halloween": (10, 31), "valentine's day": (2, 14), "thanksgiving": (11, 22, "thu"),
    "크리스마스": (12, 25), "성탄절": (12, 25), "크리스마스 이브": (12, 24), "신정": (1, 1), "새해 첫날": (1, 1), "삼일절": (3, 1),
    "어린이날": (5, 5), "현충일": (6, 6), "제헌절": (7, 17), "광복절": (8, 15), "개천절": (10, 3), "한글날": (10, 9), "할로윈": (10, 31),
    "핼러윈": (10, 31), "발렌타인데이": (2, 14), "밸런타인데이": (2, 14), "추수감사절": (11, 22, "thu"), "설날": (1, 1, "lunar"),
    "구정": (1, 1, "lunar"), "설 연휴": (1, 1, "lunar"), "추석": (8, 15, "lunar"), "한가위": (8, 15, "lunar")}

# Thirds of an anchor (a month: 1-10, 11-20, 21-end; a year: four months each; a season: one
# month each). Korean suffixes follow the anchor ("5월 초"), prefixes precede a season ("늦가을").
PARTS = {"early": 0, "beginning": 0, "start": 0, "mid": 1, "middle": 1, "late": 2, "end": 2,
         "초": 0, "초순": 0, "초반": 0, "상순": 0, "중순": 1, "중반": 1, "하순": 2, "말": 2, "말경": 2}
SEASON_PREFIXES = {"초": 0, "한": 1, "늦": 2}
HALVES = {"전반": 0, "상반기": 0, "후반": 1, "하반기": 1}
ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3, "fifth": 4,
            "5th": 4, "last": -1, "첫": 0, "첫째": 0, "처음": 0, "둘째": 1, "셋째": 2, "넷째": 3, "다섯째": 4, "마지막": -1,
            **{f"{n}{gap}번째": i for i, n in enumerate(("두", "세", "네", "다섯"), 1) for gap in ("", " ")}}
# "a few"/"a couple of" read as three: a little wide rather than too narrow.
_NUMBER_WORDS = ("a an one 한 하나", "two 두", "three few couple 세", "four 네", "five 다섯", "six 여섯", "seven 일곱",
                 "eight 여덟", "nine 아홉", "ten 열")
NUMBERS = {word: n for n, words in enumerate(_NUMBER_WORDS, 1) for word in words.split()}
_UNIT_WORDS = {"day": "days 일", "week": "weeks 주 주일", "month": "months 개월 달", "year": "years 년 해"}
UNITS = {word: unit for unit, words in _UNIT_WORDS.items() for word in (unit, *words.split())}
COUNTED = {"하루": (1, "day"), "이틀": (2, "day"), "사흘": (3, "day"), "나흘": (4, "day"), "닷새": (5, "day"),
           "열흘": (10, "day"), "보름": (15, "day"), "일주일": (1, "week"), "fortnight": (2, "week")}
# How many units back a relative word counts: "this week" 0, "last month" 1, "재작년" 2.
RELATIVE = {"this": 0, "last": 1, "previous": 1, "이번": 0, "지난": 1, "저번": 1}
RELATIVE_UNITS = {"이달": (0, "month"), "금주": (0, "week")}
RELATIVE_YEARS = {"올해": 0, "금년": 0, "작년": 1, "지난해": 1, "재작년": 2}
RECENT = {"past", "last", "최근", "지난"}
LATEST = {"latest", "newest", "most recent", "최신", "가장 최근"}
LATEST_NOUNS = {"digest", "digests", "day", "issue", "issues", "다이제스트", "날", "호"}

# Words that open a single date to the corpus's edge, before it or after it.
OPEN_BEFORE = {"since": "from", "after": "after", "before": "before", "until": "until", "till": "until", "through": "until", "by": "until"}
OPEN_AFTER = {"이후": "from", "부터": "from", "이전": "until", "까지": "until", "전": "before", "후": "after",
              "뒤": "after", "onwards": "from", "onward": "from", "or later": "from", "and later": "from"}
SPAN_TO = {"to", "through", "until", "till", "-", "–", "—", "~", "부터", "에서"}
AND = {"and", "or", "&", ",", "과", "와", "및"}
SHIFT_AFTER = {"after": 1, "before": -1, "뒤": 1, "후": 1, "전": -1}
# Words before a month, a season or a year that make it one ("in May", "since 2024"); not "and",
# "on" or "to", which come before verbs as often ("and may introduce").
CUES = {"in", "from", "since", "until", "till", "before", "after", "of", "during", "through", "by", "between", "over"}
# A number before one of these is a count, not a year or a day ("2048 tokens", "'24 heads").
COUNT_NOUNS = set("token tokens step steps example examples sample samples image images param params parameters dim dims layer"
                  " layers head heads epoch epochs expert experts gpus bit bits k m b x % billion million".split())
# A bare year counts before (up to three words before) one of these: "the 2023 ViT paper". Not
# before other nouns: "the 2024 AIME problems" are what papers of any year evaluate on.
PAPER_NOUNS = (r"papers?|entr(?:y|ies)|stud(?:y|ies)|works?|analys[ie]s|findings?|methods?|approach(?:es)?|surveys?"
               r"|articles?|posts?|preprints?|proposals?|techniques?")
DIGEST_WORDS = {"논문", "다이제스트", "paper", "papers", "entries", "digest", "digests"}
# Several words read as one.
PHRASES = {"new year's day", "new year's eve", "new year's", "christmas eve", "christmas day", "valentine's day", "most recent",
           "or later", "and later", "크리스마스 이브", "설 연휴", "새해 첫날", "가장 최근", "두 번째", "세 번째", "네 번째", "다섯 번째"}
# Korean particles that say nothing to the grammar, dropped ("5월에" is 5월), and other pieces it reads.
KO_QUIET = set("에 은 는 이 가 을 를 도 만 로 으로 쯤 경 동안 간 중 께 엔 에는 무렵 즈음 당일 자 자의".split())
KO_OTHER = set("년도 월 다음 전날 이튿날 사이 연휴 의 분기 주차 째".split())


def _add_months(d: date, n: int) -> date:
    year, month = divmod(d.year * 12 + d.month - 1 + n, 12)
    return date(year, month + 1, min(d.day, calendar.monthrange(year, month + 1)[1]))  # May 31 - 3 months: Feb 28


def months(first: int, count: int) -> Within:
    """`count` whole months from month `first` of a year; a winter runs into the next year."""
    return lambda year: (lo := date(year, first, 1), _add_months(lo, count) - DAY)


def on(month: int, day: int | None, kind: str = "") -> Within:
    """A day, or a month (day None); holidays: "thu" the first Thursday from it, "lunar" see HOLIDAYS."""
    if kind == "lunar":
        return lambda year: (d := _lunar(year, month, day)) and (d - DAY, d + DAY)
    if kind == "thu":
        return lambda year: (date(year, month, day) + timedelta(days=(3 - date(year, month, day).weekday()) % 7),) * 2
    return (lambda year: (date(year, month, day),) * 2) if day else months(month, 1)


@lru_cache(maxsize=64)
def _lunar(year: int, month: int, day: int) -> date | None:
    lunar = KoreanLunarCalendar()
    return date.fromisoformat(lunar.SolarIsoFormat()) if lunar.setLunarDate(year, month, day, False) else None


def part(index: int, parts: int) -> Mod:
    """The index-th of `parts` parts: of whole months by months (late 2024: September-December, early
    summer: June), of one month by 10 or 15 days (mid-May: 11-20, its second half: 16-31), else by days."""
    index %= parts  # "the last quarter"

    def mod(r: Range) -> Range | None:
        lo, hi = r
        whole = (hi.year - lo.year) * 12 + hi.month - lo.month + 1 if lo.day == 1 and (hi + DAY).day == 1 else 0
        if whole > 1 and whole % parts == 0:
            return (start := _add_months(lo, whole // parts * index)), _add_months(start, whole // parts) - DAY
        size = 30 // parts if whole == 1 else ((hi - lo).days + 1) // parts
        start = lo + timedelta(days=size * index)
        return (start, hi if index == parts - 1 else start + timedelta(days=size - 1)) if size else None

    return mod


def edge(count: int, unit: str, last: bool, skip: int = 0) -> Mod:
    """The first or last `count` days, weeks, months or years; skipping two weeks, the third week of May."""
    n, days = count * (12 if unit == "year" else 1), timedelta(days=7 if unit == "week" else 1)
    if unit in ("month", "year"):
        return lambda r: (max(r[0], _add_months(r[1] + DAY, -n)), r[1]) if last else (r[0], min(r[1], _add_months(r[0], n) - DAY))
    return lambda r: (max(r[0], r[1] - days * count + DAY), r[1]) if last else (lo := r[0] + days * skip, min(r[1], lo + days * count - DAY))


def shift(count: int | None, unit: str, sign: int) -> Mod:
    """"the week after" (count None) is the next seven days; "two days after" the one day two days later."""
    days = timedelta(days=7 if unit == "week" else 1)
    if count is None:
        return lambda r: (r[1] + DAY, r[1] + days) if sign > 0 else (r[0] - days, r[0] - DAY)
    return lambda r: (r[1] + days * count,) * 2 if sign > 0 else (r[0] - days * count,) * 2


def calendar_range(unit: str, back: int, d: date) -> Range:
    """The calendar day, week, month or year holding day d (back=0), or `back` of them before."""
    if unit in ("day", "week"):
        start = d - timedelta(days=back if unit == "day" else d.weekday() + 7 * back)
        return start, start + timedelta(days=0 if unit == "day" else 6)
    first = _add_months(d.replace(day=1), -back)
    return months(first.month, 1)(first.year) if unit == "month" else months(1, 12)(d.year - back)

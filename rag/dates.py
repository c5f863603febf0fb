"""Day constraints in questions, Korean or English, read as day ranges of the digest.

Everything resolves against the corpus, not the wall clock: a date without a year is the
latest such day on or before the digest's newest day, and "last week" or "지난달" count back
from that newest day. The digest is an archive (its newest day may be months old), so the
clock would turn "last week" into an empty filter.

Each rule is a pattern plus a builder; rules run from the most specific to the least, and a
matched phrase is blanked out so a later rule cannot read it again ("last week of April" is
not also "last week"). Whatever is left is the question's topic.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date, timedelta

Range = tuple[date, date]

MONTHS = {
    name: i
    for i, names in enumerate(
        [(), ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
         ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
         ("october", "oct"), ("november", "nov"), ("december", "dec")]
    )
    for name in names
}
_MON = r"(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
_ORD = r"(?:st|nd|rd|th)?"
_KO_Y = r"(?:(\d{4}|\d{2})\s*년\s*)?"  # "2025년" or "25년", only ever before a month

_ISO = re.compile(r"(?<!\d)(20\d\d|19\d\d)[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_ISO_MONTH = re.compile(r"(?<![\d-])(20\d\d)-(\d{1,2})(?![\d-])")
_KO_SPAN = re.compile(
    _KO_Y + r"(\d{1,2})\s*월\s*(\d{1,2})\s*일?\s*(?:~|-|–|부터|에서)\s*(?:(\d{1,2})\s*월\s*)?(\d{1,2})\s*일(?:\s*까지)?"
)
_KO_DATE = re.compile(_KO_Y + r"(?:(\d{1,2})\s*월\s*)?(\d{1,2})\s*일")
# Korean particles that may follow a date phrase; anything else means another word ("초거대").
_KO_END = r"(?=$|[\s,.?!~]|에|의|은|는|도|까지|부터|쯤|경|동안|이후|이전)"
_KO_PART = re.compile(_KO_Y + r"(\d{1,2})\s*월\s*(초순|초반|초|상순|중순|중반|하순|후반|말경|말)" + _KO_END)
_KO_MONTH = re.compile(_KO_Y + r"(\d{1,2})\s*월(?!\s*\d{1,2}\s*일)")
_KO_HALF = re.compile(r"(?:(\d{4}|\d{2})\s*년\s*)?(상반기|하반기)")
_KO_QUARTER = re.compile(r"(?:(\d{4}|\d{2})\s*년\s*)?([1-4])\s*분기")
_KO_YEAR = re.compile(r"(\d{4})\s*년(?!\s*\d{1,2}\s*월)")
_KO_RELATIVE = re.compile(r"(?:(이번|지난|저번)\s*(주|달)|(올해|금년|작년|지난해|재작년))" + _KO_END)
_KO_RECENT = re.compile(r"최근\s*(\d{1,3})\s*(일|주|개월|달)")
# "올해 5월", "May of last year": a relative year written before (or after) a month.
_KO_YEAR_WORD = re.compile(r"(올해|금년|작년|지난해|재작년)\s*(?=\d{1,2}\s*월)")
_EN_YEAR_WORD = re.compile(rf"\b{_MON}\s+(?:of\s+)?(this|last)\s+year\b", re.I)
_KO_LATEST = re.compile(r"(?:가장\s*최근|최신)\s*(?:의\s*)?(?:다이제스트|날|호)" + _KO_END)
_EN_SPAN = re.compile(
    rf"\b{_MON}\s+(\d{{1,2}}){_ORD}\s*(?:-|–|~|to|through|until)\s*(\d{{1,2}}){_ORD}\b(?:,?\s*(\d{{4}}))?", re.I
)
_EN_DM_SPAN = re.compile(rf"\b(\d{{1,2}}){_ORD}\s*(?:-|–|~|to)\s*(\d{{1,2}}){_ORD}\s+{_MON}\b(?:,?\s*(\d{{4}}))?", re.I)
_EN_MDY = re.compile(rf"\b{_MON}\s+(\d{{1,2}}){_ORD}\b(?:,?\s*(\d{{4}}))?", re.I)
_EN_DMY = re.compile(rf"\b(\d{{1,2}}){_ORD}\s+(?:of\s+)?{_MON}\b(?:,?\s*(\d{{4}}))?", re.I)
_EN_PART = re.compile(
    rf"\b(?:(early|mid|late)[\s-]+|(?:the\s+)?(beginning|start|middle|end)\s+of\s+){_MON}(?:,?\s+(?:of\s+)?(\d{{4}}))?",
    re.I,
)
_EN_MONTH = re.compile(rf"\b{_MON}(?:\s+(?:of\s+)?(\d{{4}}))?\b", re.I)
_EN_HALF = re.compile(r"\b(?:the\s+)?(first|second|1st|2nd)\s+half\s+of\s+(\d{4})\b|\bH([12])\s*(\d{4})\b", re.I)
_EN_QUARTER = re.compile(
    r"\bQ([1-4])\s*(?:of\s+)?(\d{4})\b|\b(\d{4})\s*Q([1-4])\b|\b(?:the\s+)?(first|second|third|fourth)\s+quarter\s+of\s+(\d{4})\b",
    re.I,
)
# "since"/"after"/"before"/"until" are left outside the match: they open the range (see _open_side).
_EN_YEAR = re.compile(
    r"(?:\b(?:in|from|during|of)\s+|(?<=since )|(?<=after )|(?<=before )|(?<=until ))(20\d\d|19\d\d)\b", re.I
)
_EN_RELATIVE = re.compile(r"\b(this|last|past|previous)\s+(week|month|year)\b(?!\s+of\b)", re.I)
_EN_RECENT = re.compile(r"\b(?:in\s+)?(?:the\s+)?(?:last|past)\s+(\d{1,3})\s+(days?|weeks?|months?)\b", re.I)
_EN_LATEST = re.compile(r"\b(?:the\s+)?(?:latest|most\s+recent|newest|last)\s+(?:digest|day|issue)s?\b(?!\s+of\b)", re.I)
_WEEK = re.compile(rf"\b(first|second|third|fourth|last|1st|2nd|3rd|4th)\s+week\s+of\s+{_MON}(?:\s+(\d{{4}}))?", re.I)
_WEEK_OF = re.compile(
    rf"\bweek\s+of\s+(?:(20\d\d)-(\d{{1,2}})-(\d{{1,2}})|{_MON}\s+(\d{{1,2}}){_ORD}(?:,?\s*(\d{{4}}))?)", re.I
)
_KO_WEEK = re.compile(_KO_Y + r"(\d{1,2})\s*월\s*(첫|둘째|셋째|넷째|마지막)\s*(?:째\s*)?주")
# "5/20", "05/20/2025" (month first, unless the first number cannot be a month). Without a
# year it is only a date next to a word that says so: "4/8-bit" or "1/3 of" must stay text.
_SLASH = re.compile(r"(?<![\d/.])(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?(?![\d/%.\-])")
_SLASH_BEFORE = re.compile(r"\b(?:on|from|since|until|to|between|dated|and|after|before)\s*$", re.I)
_SLASH_AFTER = re.compile(r"^\s*(?:에|의|부터|까지|이후|이전|~|–|자|논문|papers?|entries|digest)")
_RANGE_WORDS = re.compile(r"\bbetween\b|\bfrom\b.+\b(?:to|until|through)\b|부터|에서.+까지|~|–|\bthrough\b", re.I)
# A single date with one of these right before or after it is open on one side.
_OPEN_BEFORE = re.compile(r"\b(since|after|before|until|till)\s+(?:the\s+)?$", re.I)
_OPEN_AFTER = re.compile(r"^\s*(?:에\s*)?(이후|부터|이전|까지|onwards?|or later|and later)")

_WEEK_INDEX = {"first": 0, "1st": 0, "첫": 0, "second": 1, "2nd": 1, "둘째": 1,
               "third": 2, "3rd": 2, "셋째": 2, "fourth": 3, "4th": 3, "넷째": 3}
# Thirds of a month, as the digest's readers say them.
_PARTS = {"early": 0, "beginning": 0, "start": 0, "초": 0, "초순": 0, "초반": 0, "상순": 0,
          "mid": 1, "middle": 1, "중순": 1, "중반": 1,
          "late": 2, "end": 2, "하순": 2, "후반": 2, "말": 2, "말경": 2}
_HALVES = {"first": 1, "1st": 1, "1": 1, "상반기": 1, "second": 2, "2nd": 2, "2": 2, "하반기": 2}
_QUARTERS = {"first": 1, "second": 2, "third": 3, "fourth": 4}


def _num(s: str | None) -> int | None:
    return int(s) if s else None


def _year(s: str | None) -> int | None:
    """A year as written: "25" is 2025."""
    if not s:
        return None
    return 2000 + int(s) if len(s) == 2 else int(s)


def _month(name: str) -> int:
    return MONTHS[name.lower().rstrip(".")]


def _span(year: int, first: tuple[int, int], last: tuple[int, int | None]) -> Range | None:
    """(month, day) to (month, day or end of month) within a year; None when invalid."""
    try:
        end_day = last[1] or calendar.monthrange(year, last[0])[1]
        lo, hi = date(year, *first), date(year, last[0], end_day)
    except ValueError:
        return None
    return (lo, hi) if lo <= hi else None


def _in_year(year: int | None, first: tuple[int, int], last: tuple[int, int | None], days: list[date]) -> Range | None:
    """A span of one year; without a year, the latest year where it starts by the newest day."""
    if not (1 <= first[0] <= 12 and 1 <= last[0] <= 12):
        return None
    if year is not None:
        return _span(year, first, last)
    latest = _newest(days)
    for y in range(latest.year, (days[0].year if days else latest.year) - 1, -1):
        rng = _span(y, first, last)
        if rng and rng[0] <= latest:
            return rng
    return None


def _newest(days: list[date]) -> date:
    return days[-1] if days else date.today()


def _resolve(year: int | None, month: int, day_: int | None, days: list[date]) -> Range | None:
    """A date, or a whole month when `day_` is None."""
    return _in_year(year, (month, day_ or 1), (month, day_), days)


def _month_part(part: str, year: int | None, month: int, days: list[date]) -> Range | None:
    """Early (1-10), mid (11-20) or late (21-end) in a month."""
    third = _PARTS[part.lower()]
    if third < 2:
        return _in_year(year, (month, 1 + 10 * third), (month, 10 + 10 * third), days)
    return _in_year(year, (month, 21), (month, None), days)


def _months(first: int, count: int, year: int | None, days: list[date]) -> Range | None:
    """`count` whole months from month `first` (a half year, a quarter)."""
    return _in_year(year, (first, 1), (first + count - 1, None), days)


def _week_range(which: str, year: int | None, month: int, days: list[date]) -> Range | None:
    rng = _resolve(year, month, None, days)
    if rng is None:
        return None
    first, last = rng
    if which.lower() in ("last", "마지막"):
        return last - timedelta(days=6), last
    start = first + timedelta(days=7 * _WEEK_INDEX[which.lower()])
    return start, min(start + timedelta(days=6), last)


def _week_of(day: Range | None) -> Range | None:
    """Monday to Sunday of the week holding a day."""
    if day is None:
        return None
    monday = day[0] - timedelta(days=day[0].weekday())
    return monday, monday + timedelta(days=6)


def _months_back(d: date, n: int) -> date:
    """The same day n months earlier (clamped to the month's end)."""
    month_index = d.year * 12 + d.month - 1 - n
    year, month = divmod(month_index, 12)
    return date(year, month + 1, min(d.day, calendar.monthrange(year, month + 1)[1]))


def _relative(unit: str, back: int, days: list[date]) -> Range:
    """The calendar week/month/year holding the newest day (back=0) or the one before (1)."""
    newest = _newest(days)
    if unit == "week":
        monday = newest - timedelta(days=newest.weekday() + 7 * back)
        return monday, min(monday + timedelta(days=6), newest)
    if unit == "month":
        first = _months_back(newest.replace(day=1), back)
        return first, min(first.replace(day=calendar.monthrange(first.year, first.month)[1]), newest)
    year = newest.year - back
    return date(year, 1, 1), min(date(year, 12, 31), newest)


def _recent(count: int, unit: str, days: list[date]) -> Range | None:
    """The last `count` days/weeks/months up to the newest day."""
    if count < 1:
        return None
    newest = _newest(days)
    if unit.startswith(("month", "개월", "달")):
        return _months_back(newest, count) + timedelta(days=1), newest
    per = 7 if unit.startswith(("week", "주")) else 1
    return newest - timedelta(days=per * count - 1), newest


_KO_RELATIVE_UNIT = {"주": "week", "달": "month"}
_KO_RELATIVE_YEAR = {"올해": 0, "금년": 0, "작년": 1, "지난해": 1, "재작년": 2}


def _ko_relative(m: re.Match, days: list[date]) -> Range:
    if m[3]:
        return _relative("year", _KO_RELATIVE_YEAR[m[3]], days)
    return _relative(_KO_RELATIVE_UNIT[m[2]], 0 if m[1] == "이번" else 1, days)


def _en_relative(m: re.Match, days: list[date]) -> Range | None:
    which, unit = m[1].lower(), m[2].lower()
    if which == "past":  # "the past week": the last seven days, not a calendar week
        return _recent(1, unit, days)
    return _relative(unit, 0 if which == "this" else 1, days)


def _slash(m: re.Match, days: list[date]) -> Range | None:
    a, b, year = int(m[1]), int(m[2]), _year(m[3])
    if year is None:
        before, after = m.string[: m.start()], m.string[m.end():]
        if not (_SLASH_BEFORE.search(before) or _SLASH_AFTER.search(after)):
            return None
    month, day_ = (b, a) if a > 12 else (a, b)
    return _resolve(year, month, day_, days)


# A rule's builder turns a match into a range (None: not a date after all); None as the
# builder marks the Korean day, which parse_days reads with the month named before it.
Rule = tuple[re.Pattern, Callable[[re.Match, list[date]], Range | None] | None]


def _en_month(m: re.Match, days: list[date]) -> Range | None:
    # "may" is also a verb: a bare month name counts only when capitalised or with a year.
    if not (m[2] or m[1][0].isupper()) or (m[1].lower() == "may" and not m[2] and m.start() == 0):
        return None
    return _resolve(_num(m[2]), _month(m[1]), None, days)


# Most specific first: a span before its single days, a part of a month before the month.
RULES: list[Rule] = [
    (_ISO, lambda m, d: _resolve(int(m[1]), int(m[2]), int(m[3]), d)),
    (_WEEK, lambda m, d: _week_range(m[1], _num(m[3]), _month(m[2]), d)),
    (_KO_WEEK, lambda m, d: _week_range(m[3], _year(m[1]), int(m[2]), d)),
    (_WEEK_OF, lambda m, d: _week_of(
        _resolve(int(m[1]), int(m[2]), int(m[3]), d) if m[1] else _resolve(_num(m[6]), _month(m[4]), int(m[5]), d))),
    (_KO_SPAN, lambda m, d: _in_year(_year(m[1]), (int(m[2]), int(m[3])), (int(m[4] or m[2]), int(m[5])), d)),
    (_EN_SPAN, lambda m, d: _in_year(_num(m[4]), (_month(m[1]), int(m[2])), (_month(m[1]), int(m[3])), d)),
    (_EN_DM_SPAN, lambda m, d: _in_year(_num(m[4]), (_month(m[3]), int(m[1])), (_month(m[3]), int(m[2])), d)),
    (_SLASH, _slash),
    (_KO_PART, lambda m, d: _month_part(m[3], _year(m[1]), int(m[2]), d)),
    (_EN_PART, lambda m, d: _month_part(m[1] or m[2], _num(m[4]), _month(m[3]), d)),
    (_EN_MDY, lambda m, d: _resolve(_num(m[3]), _month(m[1]), int(m[2]), d)),
    (_EN_DMY, lambda m, d: _resolve(_num(m[3]), _month(m[2]), int(m[1]), d)),
    (_ISO_MONTH, lambda m, d: _resolve(int(m[1]), int(m[2]), None, d)),
    (_KO_HALF, lambda m, d: _months(1 + 6 * (_HALVES[m[2]] - 1), 6, _year(m[1]), d)),
    (_KO_QUARTER, lambda m, d: _months(1 + 3 * (int(m[2]) - 1), 3, _year(m[1]), d)),
    (_EN_HALF, lambda m, d: _months(1 + 6 * (_HALVES[(m[1] or m[3]).lower()] - 1), 6, int(m[2] or m[4]), d)),
    (_EN_QUARTER, lambda m, d: _months(
        1 + 3 * (int(m[1] or m[4] or _QUARTERS[(m[5] or "first").lower()]) - 1), 3, int(m[2] or m[3] or m[6]), d)),
    (_KO_DATE, None),  # needs the month of the date before it: see parse_days
    (_KO_MONTH, lambda m, d: _resolve(_year(m[1]), int(m[2]), None, d)),
    (_EN_MONTH, _en_month),
    (_KO_YEAR, lambda m, d: (date(int(m[1]), 1, 1), date(int(m[1]), 12, 31))),
    (_EN_YEAR, lambda m, d: (date(int(m[1]), 1, 1), date(int(m[1]), 12, 31))),
    (_KO_RECENT, lambda m, d: _recent(int(m[1]), m[2], d)),
    (_EN_RECENT, lambda m, d: _recent(int(m[1]), m[2].lower(), d)),
    (_KO_LATEST, lambda m, d: (_newest(d), _newest(d))),
    (_EN_LATEST, lambda m, d: (_newest(d), _newest(d))),
    (_KO_RELATIVE, _ko_relative),
    (_EN_RELATIVE, _en_relative),
]


def _absolute_years(text: str, days: list[date]) -> str:
    """"올해 5월" -> "2025년 5월", "May of last year" -> "May 2024" (years of the newest day)."""
    year = _newest(days).year
    text = _KO_YEAR_WORD.sub(lambda m: f"{year - _KO_RELATIVE_YEAR[m[1]]}년 ", text)
    return _EN_YEAR_WORD.sub(lambda m: f"{m[1]} {year - (m[2].lower() == 'last')}", text)


def _open_side(text: str, start: int, end: int) -> str | None:
    """'from' or 'until' when a word next to the phrase leaves its range open on one side."""
    before, after = _OPEN_BEFORE.search(text[:start]), _OPEN_AFTER.search(text[end:])
    word = (before[1] if before else after[1] if after else "").lower()
    if word in ("since", "이후", "부터", "onward", "onwards", "or later", "and later"):
        return "from"
    if word == "after":
        return "after"
    if word in ("until", "till", "이전", "까지"):
        return "until"
    if word == "before":
        return "before"
    return None


def _opened(rng: Range, side: str, days: list[date]) -> Range:
    """A range extended to the corpus's first or newest day."""
    first, newest = (days[0], days[-1]) if days else (date.min, date.max)
    if side in ("from", "after"):
        lo = rng[0] if side == "from" else rng[1] + timedelta(days=1)
        return lo, max(lo, newest)
    hi = rng[1] if side == "until" else rng[0] - timedelta(days=1)
    return min(first, hi), hi


def parse_days(text: str, corpus_days: list[date]) -> tuple[list[Range], str]:
    """Day ranges named in the text, and the text with those phrases removed."""
    found: list[tuple[int, Range, str | None]] = []
    rest = _absolute_years(text, corpus_days)
    # "5월 16일과 20일": a bare day inherits the month and year named just before it.
    context: dict[str, int | None] = {"year": None, "month": None}

    def ko_date(m: re.Match, days: list[date]) -> Range | None:
        year, month = _year(m[1]) or context["year"], _num(m[2]) or context["month"]
        if month is None:
            return None
        context.update(year=year, month=month)
        return _resolve(year, month, int(m[3]), days)

    for pattern, build in RULES:
        for m in list(pattern.finditer(rest)):
            rng = (build or ko_date)(m, corpus_days)
            if rng is not None:
                found.append((m.start(), rng, _open_side(rest, m.start(), m.end())))
                rest = rest[: m.start()] + " " * (m.end() - m.start()) + rest[m.end():]
    found.sort(key=lambda item: item[0])
    ranges = [rng for _, rng, _ in found]
    if len(ranges) == 2 and _RANGE_WORDS.search(text):
        return [(min(ranges[0][0], ranges[1][0]), max(ranges[0][1], ranges[1][1]))], rest
    if len(found) == 1 and found[0][2]:
        return [_opened(ranges[0], found[0][2], corpus_days)], rest
    return ranges, rest

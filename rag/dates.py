"""Day constraints in questions, Korean or English, read as day ranges of the digest.

Everything resolves against the corpus, not the wall clock: a date without a year is the
latest such day on or before the digest's newest day (or in the one year the question names),
and "last week" or "지난달" count back from that newest day. The digest is an archive (its
newest day may be months old), so the clock would turn "last week" into an empty filter.

Each rule is a pattern plus a builder; rules run from the most specific to the least, and a
matched phrase is blanked out so a later rule cannot read it again ("last week of April" is
not also "last week"). Whatever is left is the question's topic.

A wrong filter hides every other entry, so the rules lean towards reading too little: ML text
is full of things shaped like dates ("GPT-4 may", "1/3 of the data", "2048 tokens", "MAR",
"Genie 3 월드 모델"), and a month name, a year or a slash date counts only where the words
around it say it is one.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
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
_DAY = r"(?<![\w.\-])(\d{1,2})" + _ORD  # "GPT-4 May", "Qwen 2.5 May": not days
_YEAR4 = r"(19\d\d|20\d\d)"
_KO_Y = r"(?:(\d{4}|\d{2})\s*년\s*)?"  # "2025년" or "25년", only ever before a month
# Korean particles that may follow a date phrase; anything else means another word
# ("초거대", "월드 모델", "월등한", "주요").
_KO_END = r"(?=$|[\s,.?!~()\-–/]|에|의|은|는|이|가|을|를|과|와|도|만|로|으로|자|및|또는|하고|이랑|랑|까지|부터|쯤|경|동안|간|이후|이전|전|후|사이|중)"
_KO_NUM = {"한": 1, "두": 2, "세": 3, "네": 4, "일": 1}

_ISO = re.compile(r"(?<![A-Za-z0-9/\-])" + _YEAR4 + r"(?:[-/]|\.\s*)(\d{1,2})(?:[-/]|\.\s*)(\d{1,2})(?![0-9A-Za-z/\-])")
_ISO_MONTH = re.compile(r"(?<![A-Za-z0-9/\-])(20\d\d)-(\d{1,2})(?![0-9A-Za-z/\-])")
_KO_SPAN = re.compile(
    _KO_Y + r"(?:(\d{1,2})\s*월\s*)?(\d{1,2})\s*일?\s*(?:~|-|–|부터|에서)\s*(?:(\d{1,2})\s*월\s*)?(\d{1,2})\s*일(?:\s*까지)?" + _KO_END
)
_KO_MONTH_SPAN = re.compile(_KO_Y + r"(\d{1,2})\s*월?\s*(?:~|-|–)\s*(\d{1,2})\s*월(?:\s*까지)?" + _KO_END)
_KO_MONTH_NAMED = re.compile(_KO_Y + r"(\d{1,2})\s*월")  # the month a bare Korean day takes
_KO_DATE = re.compile(_KO_Y + r"(?:(\d{1,2})\s*월\s*)?(\d{1,2})\s*일" + _KO_END)
_KO_PART = re.compile(_KO_Y + r"(\d{1,2})\s*월\s*(초순|초반|초|상순|중순|중반|하순|전반|후반|말경|말)" + _KO_END)
_KO_YEAR_PART = re.compile(r"(\d{4}|\d{2})\s*년\s*(초반|초|중반|전반|후반|말경|말)" + _KO_END)
_KO_MONTH = re.compile(_KO_Y + r"(\d{1,2})\s*월(?!\s*\d{1,2}\s*일)" + _KO_END)
_KO_HALF = re.compile(r"(?:(\d{4}|\d{2})\s*년\s*)?(상반기|하반기)")
_KO_QUARTER = re.compile(r"(?:(\d{4}|\d{2})\s*년\s*)?([1-4])분기" + _KO_END)
_KO_YEAR_SPAN = re.compile(r"(\d{4})\s*년?\s*(?:~|-|–|부터|에서)\s*(\d{4})\s*년(?:\s*까지)?" + _KO_END)
_KO_YEAR = re.compile(r"(\d{4})\s*년(?!\s*\d{1,2}\s*월)" + _KO_END)
_KO_RELATIVE = re.compile(r"(?:(이번|지난|저번)\s*(주|달)|(이달|금주|올해|금년|작년|지난해|재작년))" + _KO_END)
_KO_RECENT = re.compile(r"(?:최근|지난)\s*(\d{1,3}|한|두|세|네|일)\s*(주일|일|주|개월|달|년)" + _KO_END)
# "올해 5월", "작년 하반기", "May of last year": a relative year written before or after.
_KO_YEAR_WORD = re.compile(r"(올해|금년|작년|지난해|재작년)\s*(?=\d{1,2}\s*월|상반기|하반기|[1-4]분기|초|중반|후반|말)")
_EN_YEAR_WORD = re.compile(rf"\b{_MON}\s+(?:of\s+)?(this|last)\s+year\b", re.I)
_EN_YEAR_WORD_PART = re.compile(r"(?:(?<=of )|(?<=early )|(?<=mid-)|(?<=mid )|(?<=late ))(this|last)\s+year\b", re.I)
_KO_LATEST = re.compile(r"(?:가장\s*최근|최신)\s*(?:의\s*)?(?:다이제스트|날|호)" + _KO_END)
# "May 16 and 20" -> "May 16 and May 20", so each day is read (and "between" joins them).
_EN_DAY_LIST = re.compile(rf"\b{_MON}(\s+)(\d{{1,2}}{_ORD})(\s*(?:,|and|or|&)\s*(?:the\s+)?)(\d{{1,2}}{_ORD})\b(?!\s*(?:%|x\b|[kmb]\b))", re.I)
_TO = r"\s*(?:-|–|~|to|through|until)\s*"      # between the two ends of an English span
_AND_YEAR = rf"(?:,?\s*{_YEAR4})?"                 # "May 20" or "May 20, 2025"
_PART_OF = r"\b(?:(early|mid|late)[\s-]+|(?:the\s+)?(beginning|start|middle|end)\s+of\s+)"
_EN_SPAN = re.compile(rf"\b{_MON}\s+{_DAY}{_TO}(?:the\s+)?(\d{{1,2}}){_ORD}\b{_AND_YEAR}", re.I)
_EN_CROSS_SPAN = re.compile(rf"\b{_MON}\s+{_DAY}{_TO}{_MON}\s+(\d{{1,2}}){_ORD}\b{_AND_YEAR}", re.I)
_EN_DM_SPAN = re.compile(rf"{_DAY}\s*(?:-|–|~|to)\s*(\d{{1,2}}){_ORD}\s+{_MON}\b{_AND_YEAR}", re.I)
_EN_MDY = re.compile(rf"\b{_MON}\s+{_DAY}\b{_AND_YEAR}", re.I)
_EN_DMY = re.compile(rf"{_DAY}\s+(?:of\s+)?{_MON}\b{_AND_YEAR}", re.I)
_EN_PART = re.compile(rf"{_PART_OF}{_MON}(?:,?\s+(?:of\s+)?{_YEAR4})?", re.I)
_EN_YEAR_PART = re.compile(rf"{_PART_OF}{_YEAR4}\b", re.I)
_EN_MONTH_SPAN = re.compile(rf"\b{_MON}\s*(?:-|–|~|to|through|until|and)\s*{_MON}(?:,?\s+{_YEAR4})?\b", re.I)
_EN_MONTH = re.compile(rf"\b{_MON}(?:,?\s+(?:of\s+)?{_YEAR4})?\b", re.I)
_EN_MONTH_HALF = re.compile(rf"\b(?:the\s+)?(first|second|1st|2nd)\s+half\s+of\s+{_MON}(?:,?\s+{_YEAR4})?", re.I)
_EN_HALF = re.compile(rf"\b(?:the\s+)?(first|second|1st|2nd)\s+half\s+of\s+{_YEAR4}\b|\bH([12])\s*{_YEAR4}\b", re.I)
_EN_QUARTER = re.compile(
    rf"\bQ([1-4])\s*(?:of\s+)?{_YEAR4}\b|\b{_YEAR4}\s*Q([1-4])\b|\b(?:the\s+)?(first|second|third|fourth)\s+quarter\s+of\s+{_YEAR4}\b",
    re.I,
)
_EN_YEAR_SPAN = re.compile(rf"\b(?:from\s+|between\s+)?{_YEAR4}\s*(?:-|–|~|to|through|until|and)\s*{_YEAR4}\b", re.I)
# "since"/"after"/"before"/"until"/"by" stay outside the match: they open the range (_open_side).
# A four-digit number before these is a count ("2048 tokens"), not a year.
_NOT_A_COUNT = r"(?!\s*(?:tokens?|steps?|examples?|samples?|images?|params?|parameters|dims?|[kmb]\b))"
# A year right before (up to three words before) one of these names the year of a paper: "the
# 2023 ViT paper", "Which 2020 paper", "the 2022 induction-heads analysis". Not before other
# nouns: "the 2024 AIME problems" are what papers of any year evaluate on, and "(2023)" is how
# abstracts cite ("Kaplan et al. (2020)").
_PAPER_NOUNS = (
    r"(?:papers?|entr(?:y|ies)|stud(?:y|ies)|works?|analys[ie]s|findings?|methods?|approach(?:es)?|surveys?"
    r"|articles?|posts?|preprints?|proposals?|techniques?)"
)
_EN_YEAR = re.compile(
    r"(?:\b(?:in|from|during|of)\s+|(?<=since )|(?<=after )|(?<=before )|(?<=until )|(?<=through )|(?<=by ))"
    + _YEAR4 + r"\b" + _NOT_A_COUNT
    + r"|\b" + _YEAR4 + rf"(?=(?:\s+[\w\-.]+){{0,3}}?\s+{_PAPER_NOUNS}\b)",
    re.I,
)
_EN_RELATIVE = re.compile(r"\b(this|last|past|previous)\s+(week|month|year)\b(?!\s+of\b)", re.I)
_EN_RECENT = re.compile(r"\b(?:in\s+|over\s+)?(?:the\s+)?(?:last|past)\s+(\d{1,3}|few|couple of)\s+(days?|weeks?|months?|years?)\b", re.I)
_EN_LATEST = re.compile(
    r"\b(?:(?:the\s+)?(?:latest|most\s+recent|newest)|the\s+last)\s+(?:digest|day|issue)s?\b(?!\s+of\b)", re.I
)
_WEEK = re.compile(rf"\b(first|second|third|fourth|last|1st|2nd|3rd|4th)\s+week\s+of\s+{_MON}(?:\s+{_YEAR4})?", re.I)
_WEEK_OF = re.compile(
    rf"\bweek\s+of\s+(?:(20\d\d)-(\d{{1,2}})-(\d{{1,2}})|{_MON}\s+(\d{{1,2}}){_ORD}\b(?!\s*[-–~])(?:,?\s*{_YEAR4})?)", re.I
)
_KO_WEEK = re.compile(_KO_Y + r"(\d{1,2})\s*월\s*(첫|둘째|두\s*번째|셋째|세\s*번째|넷째|네\s*번째|마지막|[1-5])\s*(?:째\s*)?주(?:차)?" + _KO_END)
# "5/20", "05/20/2025" (month first, unless the first number cannot be a month). Without a
# year it is a date only right before a digest word or after "on"/"dated": fractions
# ("1/3 of the data", "1/8까지", "4/8-bit") sit next to every other word.
_SLASH = re.compile(r"(?<![\w/.\-])(\d{1,2})/(\d{1,2})(?:/(\d{4}))?(?![\w/%.\-])")
_SLASH_SPAN = re.compile(r"(?<![\w/.\-])(\d{1,2})/(\d{1,2})\s*(?:~|–|-|부터)\s*(\d{1,2})/(\d{1,2})(?![\w/%.\-])(?:\s*까지)?")
_SLASH_BEFORE = re.compile(r"\b(?:on|dated)\s+$", re.I)
_DIGEST_WORD = r"(?:논문|다이제스트|papers?|entries|digests?)"
_SLASH_AFTER = re.compile(rf"^\s*(?:의|에)?\s*{_DIGEST_WORD}")
_RANGE_WORDS = re.compile(r"\bbetween\b|\bfrom\b.+\b(?:to|until|through)\b|부터|에서.+까지|사이|~|–|\bthrough\b", re.I)
# A single date with one of these right before or after it is open on one side.
_OPEN_BEFORE = re.compile(r"\b(since|after|before|until|till|through|by)\s+(?:the\s+)?$", re.I)
_OPEN_AFTER = re.compile(r"^\s*(?:에\s*)?(이후|부터|이전|까지|onwards?|or later|and later)")

_WEEK_INDEX = {"first": 0, "1st": 0, "첫": 0, "1": 0, "second": 1, "2nd": 1, "둘째": 1, "두번째": 1, "2": 1,
               "third": 2, "3rd": 2, "셋째": 2, "세번째": 2, "3": 2, "fourth": 3, "4th": 3, "넷째": 3, "네번째": 3, "4": 3}
# Thirds of a month, as the digest's readers say them.
_PARTS = {"early": 0, "beginning": 0, "start": 0, "초": 0, "초순": 0, "초반": 0, "상순": 0,
          "mid": 1, "middle": 1, "중순": 1, "중반": 1,
          "late": 2, "end": 2, "하순": 2, "말": 2, "말경": 2}
# Halves: "11월 후반" is the 16th to the end, "2024년 전반" January to June.
_HALF_PARTS = {"전반": 0, "후반": 1}
_HALVES = {"first": 1, "1st": 1, "1": 1, "상반기": 1, "second": 2, "2nd": 2, "2": 2, "하반기": 2}
_QUARTERS = {"first": 1, "second": 2, "third": 3, "fourth": 4}
_KO_RELATIVE_YEAR = {"올해": 0, "금년": 0, "작년": 1, "지난해": 1, "재작년": 2}


@dataclass(frozen=True)
class _Context:
    """What every rule resolves against."""

    text: str              # the question as the rules read it (relative years made absolute)
    newest: date
    first: date
    year: int | None       # the one year the question names, lent to its year-less dates
    years: range           # years a bare number may be: the corpus's, one either side

    @classmethod
    def of(cls, text: str, days: list[date]) -> "_Context":
        newest = days[-1] if days else date.today()
        first = days[0] if days else newest
        years = range(first.year - 1, newest.year + 2)
        named = {int(y) for y in re.findall(r"(?<![0-9A-Za-z\-])(19\d\d|20\d\d)(?![0-9A-Za-z\-])", text) if int(y) in years}
        named |= {2000 + int(y) for y in re.findall(r"(?<!\d)(\d{2})\s*년(?=\s*\d{1,2}\s*월)", text)}
        return cls(text, newest, first, named.pop() if len(named) == 1 else None, years)


Builder = Callable[[re.Match, _Context], "Range | None"]


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


def _in_year(year: int | None, first: tuple[int, int], last: tuple[int, int | None], ctx: _Context) -> Range | None:
    """A span of one year; without a year, the question's year, else the latest year where
    it starts by the newest day."""
    if not (1 <= first[0] <= 12 and 1 <= last[0] <= 12):
        return None
    year = year or ctx.year
    if year is not None:
        return _span(year, first, last)
    for y in range(ctx.newest.year, ctx.first.year - 1, -1):
        rng = _span(y, first, last)
        if rng and rng[0] <= ctx.newest:
            return rng
    return None


def _resolve(year: int | None, month: int, day_: int | None, ctx: _Context) -> Range | None:
    """A date, or a whole month when `day_` is None."""
    return _in_year(year, (month, day_ or 1), (month, day_), ctx)


def _whole_years(lo: int, hi: int, ctx: _Context) -> Range | None:
    """Years lo..hi, when both are plausible years of the digest (not "2048 tokens")."""
    if lo not in ctx.years or hi not in ctx.years or lo > hi:
        return None
    return date(lo, 1, 1), date(hi, 12, 31)


def _named_year(m: re.Match) -> int:
    """The year a match of _EN_YEAR names (each of its alternatives has its own group)."""
    return int(next(group for group in m.groups() if group))


def _month_part(part: str, year: int | None, month: int, ctx: _Context) -> Range | None:
    """Early (1-10), mid (11-20) or late (21-end) in a month; or its first or second half."""
    if part in _HALF_PARTS:
        return _in_year(year, (month, 1 + 15 * _HALF_PARTS[part]), (month, 15 if part == "전반" else None), ctx)
    third = _PARTS[part.lower()]
    if third < 2:
        return _in_year(year, (month, 1 + 10 * third), (month, 10 + 10 * third), ctx)
    return _in_year(year, (month, 21), (month, None), ctx)


def _year_part(part: str, year: int, ctx: _Context) -> Range | None:
    """Early (Jan-Apr), mid (May-Aug) or late (Sep-Dec) in a year; or its first or second half."""
    if part in _HALF_PARTS:
        return _months(1 + 6 * _HALF_PARTS[part], 6, year, ctx)
    return _months(1 + 4 * _PARTS[part.lower()], 4, year, ctx)


def _months(first: int, count: int, year: int | None, ctx: _Context) -> Range | None:
    """`count` whole months from month `first` (a half year, a quarter)."""
    if year is not None and year not in ctx.years:
        return None
    return _in_year(year, (first, 1), (first + count - 1, None), ctx)


def _week_range(which: str, year: int | None, month: int, ctx: _Context) -> Range | None:
    rng = _resolve(year, month, None, ctx)
    if rng is None:
        return None
    first, last = rng
    which = re.sub(r"\s+", "", which.lower())
    if which in ("last", "마지막"):
        return last - timedelta(days=6), last
    start = first + timedelta(days=7 * _WEEK_INDEX.get(which, 4))
    return (start, min(start + timedelta(days=6), last)) if start <= last else None


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


def _relative(unit: str, back: int, ctx: _Context) -> Range:
    """The calendar week/month/year holding the newest day (back=0) or one before (1, 2)."""
    newest = ctx.newest
    if unit == "week":
        monday = newest - timedelta(days=newest.weekday() + 7 * back)
        return monday, min(monday + timedelta(days=6), newest)
    if unit == "month":
        first = _months_back(newest.replace(day=1), back)
        return first, min(first.replace(day=calendar.monthrange(first.year, first.month)[1]), newest)
    year = newest.year - back
    return date(year, 1, 1), min(date(year, 12, 31), newest)


def _recent(count: int, unit: str, ctx: _Context) -> Range | None:
    """The last `count` days/weeks/months/years up to the newest day."""
    if count < 1:
        return None
    newest = ctx.newest
    if unit.startswith(("year", "년")):
        count, unit = 12 * count, "month"
    if unit.startswith(("month", "개월", "달")):
        return _months_back(newest, count) + timedelta(days=1), newest
    per = 7 if unit.startswith(("week", "주")) else 1
    return newest - timedelta(days=per * count - 1), newest


def _ko_relative(m: re.Match, ctx: _Context) -> Range:
    word = m[3]
    if word == "이달":
        return _relative("month", 0, ctx)
    if word == "금주":
        return _relative("week", 0, ctx)
    if word:
        return _relative("year", _KO_RELATIVE_YEAR[word], ctx)
    return _relative({"주": "week", "달": "month"}[m[2]], 0 if m[1] == "이번" else 1, ctx)


def _ko_recent(m: re.Match, ctx: _Context) -> Range | None:
    count = int(m[1]) if m[1].isdigit() else _KO_NUM[m[1]]
    return _recent(count, "주" if m[2] == "주일" else m[2], ctx)


def _en_relative(m: re.Match, ctx: _Context) -> Range | None:
    which, unit = m[1].lower(), m[2].lower()
    if which == "past":  # "the past week": the last seven days, not a calendar week
        return _recent(1, unit, ctx)
    return _relative(unit, 0 if which == "this" else 1, ctx)


def _en_recent(m: re.Match, ctx: _Context) -> Range | None:
    count = int(m[1]) if m[1].isdigit() else 3  # "the last few weeks", "a couple of months"
    return _recent(count, m[2].lower(), ctx)


def _slash(m: re.Match, ctx: _Context) -> Range | None:
    a, b, year = int(m[1]), int(m[2]), _num(m[3])
    if year is None:
        before, after = m.string[: m.start()], m.string[m.end():]
        at_end = re.match(r"\s*(?:$|[?.!,])", after)
        if not (_SLASH_AFTER.search(after) or _SLASH_BEFORE.search(before) and at_end):
            return None
    elif year not in ctx.years:
        return None
    month, day_ = (b, a) if a > 12 else (a, b)
    return _resolve(year, month, day_, ctx)


# Words that make the next word a month ("in May", "since March"); not "and"/"on"/"to",
# which precede verbs as often ("... and may introduce", "on March alone" is rare).
_MONTH_CUE = re.compile(r"\b(?:in|from|since|until|till|before|after|of|during|through|by|last|this)\s+(?:the\s+)?$", re.I)


def _month_word_ok(m: re.Match, group: int, bare: bool = False) -> bool:
    """Whether a month name really is one: "MAR", "May I", "GPT-4 may fail" are not.

    A lower-case "may"/"march" (verbs) needs a year or a preposition before it; a bare month
    (no day, no year) needs a preposition before it or "papers"/"논문" after it, and never
    precedes a capitalised word ("Jun Zhu", "May Only Be Worth").
    """
    word = m[group]
    if len(word) > 1 and word.isupper():
        return False
    before, after = m.string[: m.start()], m.string[m.end():]
    cue_before = _MONTH_CUE.search(before)
    if word[0].islower() and word.rstrip(".").lower() in ("may", "march") and not cue_before:
        return bool(re.search(r"\d{4}", m[0]))
    if not bare:
        return True
    if re.match(r"\s+[A-Z]", after) or len(word.rstrip(".")) <= 3 and word.lower() != "may":
        return False
    return bool(cue_before or re.match(rf"\s*{_DIGEST_WORD}", after, re.I))


def _with_month(group: int, build: Builder, bare: bool = False) -> Builder:
    """A builder that first checks the month name in `group` (see _month_word_ok)."""
    return lambda m, ctx: build(m, ctx) if m[group] is None or _month_word_ok(m, group, bare) else None


def _en_bare_month(m: re.Match, ctx: _Context) -> Range | None:
    if m[2]:
        return _resolve(int(m[2]), _month(m[1]), None, ctx) if _month_word_ok(m, 1) else None
    return _resolve(None, _month(m[1]), None, ctx) if _month_word_ok(m, 1, bare=True) else None


# Most specific first: a span before its single days, a part of a month before the month.
RULES: list[tuple[re.Pattern, Builder | None]] = [
    (_WEEK_OF, _with_month(4, lambda m, c: _week_of(
        _resolve(int(m[1]), int(m[2]), int(m[3]), c) if m[1] else _resolve(_num(m[6]), _month(m[4]), int(m[5]), c)))),
    (_ISO, lambda m, c: _resolve(int(m[1]), int(m[2]), int(m[3]), c)),
    (_WEEK, _with_month(2, lambda m, c: _week_range(m[1], _num(m[3]), _month(m[2]), c))),
    (_KO_WEEK, lambda m, c: _week_range(m[3], _year(m[1]), int(m[2]), c)),
    (_KO_SPAN, lambda m, c: _ko_span(m, c)),
    (_KO_MONTH_SPAN, lambda m, c: _in_year(_year(m[1]), (int(m[2]), 1), (int(m[3]), None), c)),
    (_EN_SPAN, _with_month(1, lambda m, c: _in_year(_num(m[4]), (_month(m[1]), int(m[2])), (_month(m[1]), int(m[3])), c))),
    (_EN_CROSS_SPAN, _with_month(1, lambda m, c: _cross_span(m, c))),
    (_EN_DM_SPAN, _with_month(3, lambda m, c: _in_year(_num(m[4]), (_month(m[3]), int(m[1])), (_month(m[3]), int(m[2])), c))),
    (_SLASH_SPAN, lambda m, c: _in_year(None, (int(m[1]), int(m[2])), (int(m[3]), int(m[4])), c)
                  if _SLASH_AFTER.search(m.string[m.end():]) else None),
    (_SLASH, _slash),
    (_KO_PART, lambda m, c: _month_part(m[3], _year(m[1]), int(m[2]), c)),
    (_EN_MONTH_HALF, _with_month(2, lambda m, c: _month_part(
        "전반" if _HALVES[m[1].lower()] == 1 else "후반", _num(m[3]), _month(m[2]), c))),
    (_EN_PART, _with_month(3, lambda m, c: _month_part(m[1] or m[2], _num(m[4]), _month(m[3]), c))),
    (_KO_YEAR_PART, lambda m, c: _year_part(m[2], _year(m[1]), c)),
    (_EN_YEAR_PART, lambda m, c: _year_part(m[1] or m[2], int(m[3]), c)),
    (_EN_MDY, _with_month(1, lambda m, c: _resolve(_num(m[3]), _month(m[1]), int(m[2]), c))),
    (_EN_DMY, _with_month(2, lambda m, c: _resolve(_num(m[3]), _month(m[2]), int(m[1]), c))),
    (_EN_MONTH_SPAN, _with_month(1, lambda m, c: _in_year(_num(m[3]), (_month(m[1]), 1), (_month(m[2]), None), c)
                                 if _month(m[1]) <= _month(m[2]) else None)),
    (_ISO_MONTH, lambda m, c: _resolve(int(m[1]), int(m[2]), None, c)),
    (_KO_HALF, lambda m, c: _months(1 + 6 * (_HALVES[m[2]] - 1), 6, _year(m[1]), c)),
    (_KO_QUARTER, lambda m, c: _months(1 + 3 * (int(m[2]) - 1), 3, _year(m[1]), c)),
    (_EN_HALF, lambda m, c: _months(1 + 6 * (_HALVES[(m[1] or m[3]).lower()] - 1), 6, int(m[2] or m[4]), c)),
    (_EN_QUARTER, lambda m, c: _months(
        1 + 3 * (int(m[1] or m[4] or _QUARTERS[(m[5] or "first").lower()]) - 1), 3, int(m[2] or m[3] or m[6]), c)),
    (_KO_DATE, None),  # needs the month named before it: see _ko_date
    (_KO_MONTH, lambda m, c: _resolve(_year(m[1]), int(m[2]), None, c)),
    (_EN_MONTH, _en_bare_month),
    (_KO_YEAR_SPAN, lambda m, c: _whole_years(int(m[1]), int(m[2]), c)),
    (_EN_YEAR_SPAN, lambda m, c: _whole_years(int(m[1]), int(m[2]), c)),
    (_KO_YEAR, lambda m, c: _whole_years(int(m[1]), int(m[1]), c)),
    (_EN_YEAR, lambda m, c: _whole_years(year := _named_year(m), year, c)),
    (_KO_RECENT, _ko_recent),
    (_EN_RECENT, _en_recent),
    (_KO_LATEST, lambda m, c: (c.newest, c.newest)),
    (_EN_LATEST, lambda m, c: (c.newest, c.newest)),
    (_KO_RELATIVE, _ko_relative),
    (_EN_RELATIVE, _en_relative),
]


def _cross_span(m: re.Match, ctx: _Context) -> Range | None:
    """"May 30 to June 2, 2024", "Dec 28 to Jan 3": two days of one span."""
    year = _num(m[5])
    first, second = _resolve(year, _month(m[1]), int(m[2]), ctx), _resolve(year, _month(m[3]), int(m[4]), ctx)
    return _joined(first, second) if first and second else None


def _ko_month(m: re.Match, ctx: _Context) -> tuple[int | None, int | None]:
    """(year, month) of a Korean day phrase: its own, else the ones named before it
    ("5월 16일과 20일", "11월 후반(16일~30일)")."""
    year, month = _year(m[1]), _num(m[2])
    if month is None:
        before = _KO_MONTH_NAMED.findall(ctx.text[: m.start()])
        if before:
            year, month = _year(before[-1][0]) or year, int(before[-1][1])
    return year, month


def _ko_date(m: re.Match, ctx: _Context) -> Range | None:
    year, month = _ko_month(m, ctx)
    return _resolve(year, month, int(m[3]), ctx) if month else None


def _ko_span(m: re.Match, ctx: _Context) -> Range | None:
    year, month = _ko_month(m, ctx)
    return _in_year(year, (month, int(m[3])), (int(m[4] or month), int(m[5])), ctx) if month else None


def _absolute_years(text: str, newest: date) -> str:
    """"올해 5월" -> "2025년 5월", "May of last year" -> "May 2024" (years of the newest day)."""
    year = newest.year
    text = _KO_YEAR_WORD.sub(lambda m: f"{year - _KO_RELATIVE_YEAR[m[1]]}년 ", text)
    text = _EN_YEAR_WORD.sub(lambda m: f"{m[1]} {year - (m[2].lower() == 'last')}", text)
    return _EN_YEAR_WORD_PART.sub(lambda m: str(year - (m[1].lower() == "last")), text)


def _open_side(text: str, start: int, end: int) -> str | None:
    """'from', 'after', 'until' or 'before' when a word next to the phrase opens its range."""
    before, after = _OPEN_BEFORE.search(text[:start]), _OPEN_AFTER.search(text[end:])
    word = (before[1] if before else after[1] if after else "").lower()
    if word in ("since", "이후", "부터", "onward", "onwards", "or later", "and later"):
        return "from"
    if word in ("until", "till", "through", "by", "이전", "까지"):
        return "until"
    return word or None  # "after", "before"


def _opened(rng: Range, side: str, ctx: _Context) -> Range:
    """A range extended to the corpus's first or newest day."""
    if side in ("from", "after"):
        lo = rng[0] if side == "from" else rng[1] + timedelta(days=1)
        return lo, max(lo, ctx.newest)
    hi = rng[1] if side == "until" else rng[0] - timedelta(days=1)
    return min(ctx.first, hi), hi


def _joined(first: Range, second: Range) -> Range:
    """Two ends of one span; an end that falls before the start is in the following year
    ("12월 28일부터 1월 3일까지", "2024년 11월부터 2월까지"), unless it is a whole year ("between
    the 2024 paper and the 2023 paper" spans both years)."""
    if first[0] > second[1] and first[0] <= _a_year_later(second[1]) and not _whole_year(second):
        second = (_a_year_later(second[0]), _a_year_later(second[1]))
    return min(first[0], second[0]), max(first[1], second[1])


def _whole_year(r: Range) -> bool:
    """Whether a range is one calendar year ("in 2024"), which never wraps into the next."""
    return r == (date(r[0].year, 1, 1), date(r[0].year, 12, 31))


def _a_year_later(d: date) -> date:
    """The same day a year later; February 29th becomes the 28th."""
    return d.replace(year=d.year + 1, day=min(d.day, calendar.monthrange(d.year + 1, d.month)[1]))


# Every rule needs one of these; most questions have none, and skip the ~40 patterns.
_HINT = re.compile(
    r"\d|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|week|month|year|latest|newest|recent|last|past|this)"
    r"|올해|금년|작년|지난|재작년|이번|저번|이달|금주|최근|최신|상반기|하반기",
    re.I,
)


def parse_days(text: str, corpus_days: list[date]) -> tuple[list[Range], str]:
    """Day ranges named in the text, and the text with those phrases removed."""
    if not _HINT.search(text):
        return [], text
    newest = corpus_days[-1] if corpus_days else date.today()
    rest = _EN_DAY_LIST.sub(lambda m: f"{m[1]}{m[2]}{m[3]}{m[4]}{m[1]} {m[5]}", _absolute_years(text, newest))
    ctx = _Context.of(rest, corpus_days)
    found: list[tuple[int, Range, str | None]] = []
    for pattern, build in RULES:
        for m in list(pattern.finditer(rest)):
            try:
                rng = (build or _ko_date)(m, ctx)
                side = _open_side(rest, m.start(), m.end()) if rng else None
            except (ValueError, OverflowError):  # "10000년", "after December 9999"
                continue
            if rng is not None:
                found.append((m.start(), rng, side))
                rest = rest[: m.start()] + " " * (m.end() - m.start()) + rest[m.end():]
    found.sort(key=lambda item: item[0])
    ranges = list(dict.fromkeys(rng for _, rng, _ in found))  # "11월 후반(16~30일)" says it twice
    try:
        if len(ranges) == 2 and _RANGE_WORDS.search(text):
            return [_joined(ranges[0], ranges[1])], rest
        if len(ranges) == 1 and found[0][2]:
            return [_opened(ranges[0], found[0][2], ctx)], rest
    except (ValueError, OverflowError):
        return [], rest
    return ranges, rest

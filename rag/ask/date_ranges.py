"""What the date words mean as day ranges: a month or a day in a given year, a holiday, a part of
a range ("early", "the second half"), its first or last N days, the day after, a calendar week.

Two kinds of function come out of here. An `InYear` gives what an anchor names in one year ("May"
in 2024 is 2024-05-01..2024-05-31); the reader decides the year later. A `RangeChange` maps a range
to a range ("late" of May is 21..31); the reader stacks them, so "the last 10 days of the first
half of 2024" needs no rule of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import lru_cache

from dateutil.relativedelta import relativedelta
from korean_lunar_calendar import KoreanLunarCalendar

from rag.model import Range

InYear = Callable[[int], "Range | None"]
RangeChange = Callable[[Range], "Range | None"]
DAY = timedelta(days=1)
WEEK = timedelta(days=7)


def then(in_year: InYear, change: RangeChange) -> InYear:
    """An anchor with one more change applied to what it names in a year."""

    def changed(year: int) -> Range | None:
        named = in_year(year)
        return named and change(named)

    return changed


def months(first: int, count: int) -> InYear:
    """`count` whole months from month `first` of a year; a winter runs into the next year."""

    return lambda year: _month_span(date(year, first, 1), count)


def _month_span(start: date, count: int) -> Range:
    return start, start + relativedelta(months=count) - DAY


def on(month: int, day: int | None, kind: str = "") -> InYear:
    """A day, or a whole month (day None); holidays see `date_words.HOLIDAYS` for `kind`."""
    if kind == "lunar":
        return lambda year: _lunar_holiday(year, month, day or 1)
    if kind == "thursday":
        return lambda year: (_thursday_from(date(year, month, day or 1)),) * 2
    if not day:  # None, or a 0 read as no day
        return months(month, 1)
    return lambda year: (date(year, month, day),) * 2


def _thursday_from(day: date) -> date:
    return day + timedelta(days=(3 - day.weekday()) % 7)


@lru_cache(maxsize=64)
def _lunar_holiday(year: int, month: int, day: int) -> Range | None:
    """The three days around a day of the Korean lunar calendar (None when that year lacks it)."""
    lunar = KoreanLunarCalendar()
    if not lunar.setLunarDate(year, month, day, False):
        return None
    solar = date.fromisoformat(lunar.SolarIsoFormat())
    return solar - DAY, solar + DAY


def _whole_months(lo: date, hi: date) -> int:
    """How many whole calendar months lo..hi covers exactly, 0 when it does not start and end on
    month edges."""
    if lo.day != 1 or (hi + DAY).day != 1:
        return 0
    return (hi.year - lo.year) * 12 + hi.month - lo.month + 1


def part(index: int, parts: int) -> RangeChange:
    """The index-th of `parts` parts: of whole months by months (late 2024: September-December,
    early summer: June), of one month by 10 or 15 days (mid-May: 11-20, its second half: 16-31),
    else by days. A negative index counts from the end ("the last quarter")."""
    index %= parts

    def change(whole_range: Range) -> Range | None:
        lo, hi = whole_range
        whole = _whole_months(lo, hi)
        if whole > 1 and whole % parts == 0:
            start = lo + relativedelta(months=whole // parts * index)
            return start, start + relativedelta(months=whole // parts) - DAY
        size = 30 // parts if whole == 1 else ((hi - lo).days + 1) // parts
        if not size:
            return None
        start = lo + timedelta(days=size * index)
        return start, hi if index == parts - 1 else start + timedelta(days=size - 1)

    return change


def edge(count: int, unit: str, last: bool, skip: int = 0) -> RangeChange:
    """The first or last `count` days, weeks, months or years of a range; `skip` weeks first (the
    third week of May skips two)."""
    if unit in ("month", "year"):
        span = relativedelta(months=count * (12 if unit == "year" else 1))
        if last:
            return lambda r: (max(r[0], r[1] + DAY - span), r[1])
        return lambda r: (r[0], min(r[1], r[0] + span - DAY))
    step = WEEK if unit == "week" else DAY
    if last:
        return lambda r: (max(r[0], r[1] - step * count + DAY), r[1])

    def first(whole_range: Range) -> Range:
        start = whole_range[0] + step * skip
        return start, min(whole_range[1], start + step * count - DAY)

    return first


def shift(count: int | None, unit: str, sign: int) -> RangeChange:
    """A shift: "the week after" (count None) is the next seven days; "two days after" the one day two days
    later; sign -1 goes before."""
    step = WEEK if unit == "week" else DAY
    if count is None:
        if sign > 0:
            return lambda r: (r[1] + DAY, r[1] + step)
        return lambda r: (r[0] - step, r[0] - DAY)
    if sign > 0:
        return lambda r: (r[1] + step * count,) * 2
    return lambda r: (r[0] - step * count,) * 2


def week_holding(day: date) -> Range:
    """Monday to Sunday of the week a day falls in."""
    return calendar_range("week", 0, day)


def calendar_range(unit: str, back: int, day: date) -> Range:
    """The calendar day, week, month or year holding `day` (back=0), or `back` of them before."""
    if unit == "day":
        start = day - timedelta(days=back)
        return start, start
    if unit == "week":
        start = day - timedelta(days=day.weekday()) - WEEK * back
        return start, start + timedelta(days=6)
    if unit == "month":
        return _month_span(day.replace(day=1) - relativedelta(months=back), 1)
    return _month_span(date(day.year - back, 1, 1), 12)

"""The anchors of date expressions (a day, month, season, holiday, year, relative phrase) and the
modifiers around them ("early", "the last 10 days of", "the day after"), read at a token.

An anchor becomes a `Point`: what it names in a year, and the year when it was written with one.
Relative phrases ("last week") resolve at once against the corpus's newest day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum

from rag.ask import date_ranges as ranges
from rag.ask import date_words as words
from rag.ask.date_tokens import Count, TokenCursor, is_hangul
from rag.ask.date_words import Side
from rag.model import Range


class Bare(Enum):
    """An anchor that is a date only where the words around it say so ("in May", "5/20 논문";
    "GPT-4 may", "1/3 of the data", "the fall of perplexity" are not dates)."""

    MONTH = "month"
    SEASON = "season"
    YEAR = "year"
    SLASH = "slash"
    KOREAN_YEAR = "년"  # "2024년": a date, and it may date the next anchor ("2024년 여름")


@dataclass
class Point:
    """An anchor with its modifiers, not yet placed in a year; the first end of a span holds the
    other."""

    in_year: ranges.InYear
    year: int | None  # the year written with it ("May 2024", "작년 5월"); lent to the others
    start: int  # its first token, and the one after its last (blanked in the topic)
    end: int
    unit: str | None = None  # its finest calendar field; a bare number beside it in a span is one
    month: int | None = None  # its month, lent to a bare day beside it ("May 16-21", "16–21 May")
    bare: Bare | None = None
    name_token: int | None = None  # its month's or season's name ("may" is also a verb)
    already_over: bool = False  # "last summer": the latest one over by the newest day
    clip_to_newest: bool = False  # "this week": ends at the newest day
    shift: ranges.RangeChange | None = None  # "the day after", applied once it is placed
    span_end: Point | None = None  # the second end of a span
    side: Side | None = None


@dataclass(frozen=True)
class Modifier:
    """A change to an anchor's range, read up to token `end`. A shift ("the day after") applies
    once the anchor is placed in a year; the others ("early", "the last 10 days of") to what it
    names in any year."""

    change: ranges.RangeChange
    end: int
    is_shift: bool = False


@dataclass(frozen=True)
class Corpus:
    """The days a question's dates resolve against: the digest is an archive, so "last week" is
    the week before its newest day, not before today."""

    first: date
    newest: date

    @classmethod
    def of(cls, days: list[date]) -> Corpus:
        newest = days[-1] if days else date.today()
        return cls(days[0] if days else newest, newest)

    @property
    def years(self) -> range:
        """What a number alone may be as a year."""
        return range(self.first.year - 1, self.newest.year + 2)


def _nothing(_: Range) -> None:
    """A part that does not exist ("Q5")."""
    return None


def _fixed(day_range: Range) -> ranges.InYear:
    """A range that is the same whatever the year (what a relative phrase resolved to)."""
    return lambda _year: day_range


class AnchorReader(TokenCursor):
    """Anchors and modifiers at a token, for the grammar (`rag.ask.date_grammar`) to combine."""

    def __init__(self, text: str, corpus: Corpus):
        super().__init__(text)
        self.corpus = corpus

    def anchor(self, j: int) -> Point | None:
        return self.numeric(j) or self.relative(j) or self.named(j) or self.year(j)

    def numeric(self, j: int) -> Point | None:
        """2025-05-21, 2025/05/21, "2025. 5. 20.", 2025-05; 5/20, 05/21/2025 (month first unless
        it cannot be)."""
        first, separator, second = self.number(j), self.word(j + 1), self.number(j + 2)
        third = self.number(j + 4) if self.word(j + 3) == separator else None
        if first is None or second is None or separator not in ("-", "/", "."):
            return None
        if len(self.word(j + 2)) > 2 or self.touches(j, "/-" + "." * (separator == "/")):
            return None
        if len(self.word(j)) == 4:  # the year first
            day, end = (third, j + 5) if third and len(self.word(j + 4)) <= 2 else (None, j + 3)
            valid = 1 <= second <= 12 and (day or separator == "-")
            if not valid or self.touches(end - 1, "/-", after=True):
                return None
            return Point(ranges.on(second, day), first, j, end, "day" if day else "month", second)
        year_last = third and separator == "/" and len(self.word(j + 4)) == 4
        year, end = (third, j + 5) if year_last else (None, j + 3)
        if separator != "/" or len(self.word(j)) > 2 or self.touches(end - 1, "/%.-", after=True):
            return None
        if year and year not in self.corpus.years:
            return None
        month, day = (second, first) if first > 12 else (first, second)
        bare = None if year else Bare.SLASH
        return Point(ranges.on(month, day), year, j, end, "day", month, bare)

    def relative(self, j: int) -> Point | None:
        """A phrase relative to the newest day: "last week", "지난달", "the past 2 weeks", "최근 3개월", "3 days ago", "the latest
        digest", "last summer"."""
        text, following, newest = self.word(j), self.word(j + 1), self.corpus.newest
        noun_at = self.skip(j + 1, ("의",))
        the_last = text == "last" and self.word(j - 1) == "the"
        recent = self.count(j + 1) if text in words.RECENT else None
        if not recent and text == "past" and following in words.UNITS:  # "the past week": 7 days
            recent = Count(1, words.UNITS[following], j + 2)
        if (
            (text in words.LATEST or the_last)
            and self.word(noun_at) in words.LATEST_NOUNS
            and self.word(noun_at + 1) != "of"
        ):
            return Point(_fixed((newest, newest)), None, j, noun_at + 1)
        if text in words.RELATIVE_UNITS:  # "이달", "금주"
            back, unit = words.RELATIVE_UNITS[text]
            return Point(
                _fixed(ranges.calendar_range(unit, back, newest)),
                None,
                j,
                j + 1,
                clip_to_newest=True,
            )
        if (
            text in words.RELATIVE
            and words.UNITS.get(following) in ("week", "month", "year")
            and self.word(j + 2) != "of"
        ):
            unit, back = words.UNITS[following], words.RELATIVE[text]
            return Point(
                _fixed(ranges.calendar_range(unit, back, newest)),
                None,
                j,
                j + 2,
                clip_to_newest=True,
            )
        if recent and self.word(recent.end) != "of":
            latest = ranges.edge(recent.number, recent.unit, last=True)((date.min, newest))
            return Point(_fixed(latest), None, j, recent.end) if latest else None
        if (ago := self.count(j)) and self.word(ago.end) in ("ago", "전"):
            return Point(
                _fixed(ranges.calendar_range(ago.unit, ago.number, newest)), None, j, ago.end + 1
            )
        if (
            text in words.RELATIVE
            and not the_last
            and (point := self.named(j + 1))
            and point.year is None
        ):
            back = words.RELATIVE[text]  # "last summer", "this May"
            point.start, point.bare, point.already_over = j, None, back > 0
            point.year = None if back else newest.year
            return point
        return None

    def named(self, j: int) -> Point | None:
        """May 21, 21 May 2025, the 21st of May, May 2025, 5월 21일, summer of 2024, Christmas
        2024, 늦가을, 추석."""
        korean = bool(self.number(j)) and (
            self.word(j + 1) == "월"
            and self.glued(j + 1)
            or self.word(j + 1) in words.SPAN_TO
            and self.word(j + 3) == "월"
        )
        day = None if korean else self.day_of_month(j)
        k = self.skip(j + 1, ("of",)) if day else j
        if korean or self.word(k) in words.MONTHS:
            return self.month(j, k, day, korean)
        if day is None:
            return self.season_or_holiday(j, k)
        return None

    def month(self, j: int, k: int, day: int | None, korean: bool) -> Point:
        """A month's name or number at k, with a day before it (j) or after it, and a year."""
        if korean:
            month, end = self.number(k) or 0, k + 1 + (self.word(k + 1) == "월")
        else:
            month, end = words.MONTHS[self.word(k)], k + 1 + (self.word(k + 1) == ".")
        day_at = self.skip(end)
        day_after, unit_after = self.day_of_month(day_at), self.word(day_at + 1)
        if (
            day is None
            and day_after
            and (not korean or unit_after == "일" or unit_after in words.SPAN_TO)
        ):
            day, end = day_after, day_at + 1 + (unit_after == "일")  # "5월 21일", "5월 16~21일"
        year, end = self.year_after(end)
        bare = None if day or year or korean else Bare.MONTH
        unit = "day" if day else "month"
        return Point(ranges.on(month, day), year, j, end, unit, month, bare, None if korean else k)

    def season_or_holiday(self, j: int, k: int) -> Point | None:
        """A season ("summer of 2024", "늦가을") or a holiday ("Christmas 2024", "추석") at k."""
        name = self.word(k)
        prefixed = (
            name in words.SEASON_PREFIXES
            and self.word(k + 1) in words.SEASONS
            and self.glued(k + 1)
        )
        if not (name in words.SEASONS or name in words.HOLIDAYS or prefixed):
            return None
        year, end = self.year_after(k + 1 + prefixed)
        if name in words.HOLIDAYS:
            month, day, *kind = words.HOLIDAYS[name]
            in_year = ranges.on(month, day, kind[0] if kind else "")
            return Point(in_year, year, j, end + (self.word(end) == "연휴"))
        if self.word(k + 1) in ("et", "of") and year is None or self.touches(k, "-", after=True):
            return None  # "Winter et al.", "the fall of perplexity", "spring-based"
        in_year = ranges.months(words.SEASONS[self.word(k + prefixed)], 3)
        if prefixed:
            in_year = ranges.then(in_year, ranges.part(words.SEASON_PREFIXES[name], 3))
        bare = None if year or prefixed else Bare.SEASON
        return Point(in_year, year, j, end, bare=bare, name_token=k)

    def year_after(self, j: int) -> tuple[int | None, int]:
        """A year after an anchor ("May 2025", "May, 2025", "summer of '24", "May of last year"),
        and the token after it."""
        k = self.skip(j, (",", "of"))
        if self.word(k) in words.RELATIVE and self.word(k + 1) == "year":
            return self.corpus.newest.year - words.RELATIVE[self.word(k)], k + 2
        return (self.number(k), k + 1) if self.is_year(k) else (None, j)

    def year(self, j: int) -> Point | None:
        """A year alone: "in 2024", "the 2023 ViT paper", "since '23" (see the grammar's
        `admitted`); Korean "2024년", "24년도", "작년", which may date what follows ("2024년
        여름"), and "상반기", "1분기" of the latest year."""
        text, number, unit = self.word(j), self.number(j), self.word(j + 1)
        whole_year = ranges.months(1, 12)
        if text in words.RELATIVE_YEARS:
            year = self.corpus.newest.year - words.RELATIVE_YEARS[text]
            return Point(
                whole_year, year, j, j + 1, "year", bare=Bare.KOREAN_YEAR, clip_to_newest=True
            )
        if (
            number
            and unit in ("년", "년도")
            and self.glued(j + 1)
            and text.isdigit()
            and len(text) in (2, 4)
        ):
            year = number if len(text) == 4 else 2000 + number
            return (
                Point(whole_year, year, j, j + 2, "year", bare=Bare.KOREAN_YEAR)
                if year in self.corpus.years
                else None
            )
        if text in ("상반기", "하반기") or unit == "분기" and self.glued(j + 1):
            return Point(whole_year, None, j, j, "year")  # the modifier reads the word itself
        if (
            not self.is_year(j)
            or number not in self.corpus.years
            or self.touches(j, "/")
            or self.touches(j, "/", after=True)
        ):
            return None
        return Point(whole_year, number, j, j + 1, "year", bare=Bare.YEAR)

    def bare_number(self, j: int, other: Point) -> Point | None:
        """A number whose unit the other end says: "May 16-21", "16–21 May", "2023~2024년", "5월
        16일과 20일"."""
        number, text = self.number(j), self.word(j)
        if number is None or not other.unit or self.word(j + 1) in words.COUNT_NOUNS:
            return None
        if self.touches(j, "%", True) or self.touches(j, "/."):
            return None
        if other.unit == "year":  # only ever the first end: "2023~2024년"
            if (
                self.word(j + 1) in words.SPAN_TO
                and self.is_year(j)
                and number in self.corpus.years
            ):
                return Point(ranges.months(1, 12), number, j, j + 1, "year", bare=other.bare)
            return None
        if not text[0].isdigit() or len(text.rstrip("stndrh")) > 2 or other.unit != "day":
            return None
        year, end = self.year_after(j + 1 + (self.word(j + 1) == "일"))
        return Point(
            ranges.on(other.month or 0, number), year, j, end, "day", other.month, other.bare
        )

    def modifier(self, j: int, korean: bool) -> Modifier | None:
        """A part, half, quarter, N-th week or first/last N days ("the last 10 days of April",
        "4월 마지막 10일", "Q2"), or a shift ("the day after", "이틀 뒤"); English ones come
        before the anchor, Korean ones after it."""
        j = self.skip(j, ("의",) if korean else ("the",))
        text, number = self.word(j), self.number(j)
        if not text or is_hangul(text) != korean and not (korean and number):
            return None
        return self.shift_modifier(j, korean) or self.range_modifier(j, korean)

    def shift_modifier(self, j: int, korean: bool) -> Modifier | None:
        """A shift: "the day after", "the week before", "다음 날", "전날", "two days after", "이틀 뒤";
        and "the week of May 19" (its Monday to Sunday)."""
        text, following = self.word(j), self.word(j + 1)
        if not korean and text in ("day", "week") and following in words.SHIFT_AFTER:
            return Modifier(
                ranges.shift(None, text, words.SHIFT_AFTER[following]), j + 2, is_shift=True
            )
        if not korean and text == "week" and following == "of":
            week_of = lambda r: ranges.week_holding(r[0]) if r[0] == r[1] else r  # noqa: E731
            return Modifier(week_of, self.skip(j + 2))
        if korean and (text == "다음" and following in ("날", "주") or text in ("전날", "이튿날")):
            unit = "week" if following == "주" else "day"
            change = ranges.shift(None, unit, -1 if text == "전날" else 1)
            return Modifier(change, j + 1 + (text == "다음"), is_shift=True)
        count = self.count(j)
        if not count or count.unit not in ("day", "week"):
            return None
        sign = words.SHIFT_AFTER.get(self.word(count.end))
        if sign is None or is_hangul(self.word(count.end)) != korean:
            return None
        return Modifier(ranges.shift(count.number, count.unit, sign), count.end + 1, is_shift=True)

    def range_modifier(self, j: int, korean: bool) -> Modifier | None:
        """A part of the anchor's range: "early", "Q2", "the second half of", "4월 셋째 주", "the
        last 10 days of"."""
        text, number, following = self.word(j), self.number(j), self.word(j + 1)
        index, count = words.ORDINALS.get(text), self.count(j + 1)
        if (
            text in ("q", "h") and (part := self.number(j + 1)) and self.glued(j + 1)
        ):  # "Q2 2025", "H1 2025"
            parts = 4 if text == "q" else 2
            change, j = ranges.part(part - 1, parts) if part <= parts else _nothing, j + 2
        elif text in words.PARTS and (
            korean or text in ("early", "mid", "late") or following == "of"
        ):
            change, j = ranges.part(words.PARTS[text], 3), j + 1
        elif text in words.HALVES:
            change, j = ranges.part(words.HALVES[text], 2), j + 1
        elif index is not None and following in ("half", "quarter"):
            change, j = ranges.part(index, 2 if following == "half" else 4), j + 2
        elif korean and number and following == "분기" and self.glued(j + 1):
            change, j = ranges.part(number - 1, 4) if number <= 4 else _nothing, j + 2
        elif index is not None and following in ("week", "주", "주차"):
            change, j = ranges.edge(1, "week", index == -1, index or 0), j + 2  # "셋째 주"
        elif korean and number and following == "주차":  # "3주차"
            change, j = ranges.edge(1, "week", False, number - 1), j + 2
        elif index is not None and count:
            change, j = ranges.edge(count.number, count.unit, index < 0), count.end
        else:
            return None
        relative_or_topic = index is not None or text in ("beginning", "start", "middle", "end")
        if not korean and relative_or_topic and self.word(j) != "of":
            return (
                None  # "the last 10 days" and "last week" are relative, "the second half" a topic
            )
        return Modifier(change, self.skip(j, () if korean else ("-", "of")))

"""Day constraints in questions, Korean or English, read as day ranges of the digest.

The tokens (`date_tokens`) are read by the grammar (`date_grammar`, over the anchors and modifiers
of `date_anchors`, whose words are in `date_words` and whose ranges are made in `date_ranges`);
this module places what it read in years and opens it to the corpus's edges. Dates resolve
against the corpus, not the clock: the digest is an archive. README "Questions it understands"
lists what is read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from rag.ask.date_anchors import Corpus, Point
from rag.ask.date_grammar import Reader
from rag.ask.date_ranges import DAY, InYear, RangeChange
from rag.ask.date_tokens import KNOWN_WORDS, is_hangul
from rag.ask.date_words import Side
from rag.model import Range

# Words an expression may start with besides a number; the other words of a long question are
# passed over at once.
_STARTS = KNOWN_WORDS | {"the", "week", "from", "between", "q", "h"}


def _in(in_year: InYear, year: int) -> Range | None:
    """What an anchor names in a year, None where that year lacks it ("2월 30일")."""
    try:
        return in_year(year)
    except (ValueError, OverflowError):  # "after December 9999"
        return None


def _shifted(shift: RangeChange, day_range: Range) -> Range | None:
    """A placed range shifted ("the day after"), None when that leaves the calendar."""
    try:
        return shift(day_range)
    except (ValueError, OverflowError):
        return None


class _Placer:
    """Puts read points in years: the year written with them, else the question's one year, else
    the latest that fits the corpus."""

    def __init__(self, corpus: Corpus, lent_year: int | None):
        self.corpus = corpus
        self.lent_year = lent_year  # the one year the question names, for the points without one

    def place(
        self, point: Point, by: date | None = None, after: date | None = None, lend: bool = True
    ) -> Range | None:
        """A point in its year, else the lent year, else the latest that starts by the newest day
        ("last summer": the latest over by then); a span's end goes by the other end (starting by
        its start, or after it)."""
        year = point.year
        if year is None and lend and not point.already_over and by is None and after is None:
            year = self.lent_year
        if year is not None:
            found = _in(point.in_year, year)
        else:
            found = self._latest_fitting(point, self._fits(point, by, after), after is not None)
        if found and point.shift:
            found = _shifted(point.shift, found)
        newest = self.corpus.newest
        if found and point.clip_to_newest and found[0] <= newest:  # "this week": up to now
            found = found[0], min(found[1], newest)
        return found if found and found[0] <= found[1] else None

    def _fits(self, point: Point, by: date | None, after: date | None) -> Callable[[Range], bool]:
        if after:
            return lambda r: r[0] >= after
        if point.already_over:
            return lambda r: r[1] < self.corpus.newest
        return lambda r: r[0] <= (by or self.corpus.newest)

    def _latest_fitting(
        self, point: Point, fits: Callable[[Range], bool], earliest: bool
    ) -> Range | None:
        """The latest year's range that fits (the earliest, placing the end after a start)."""
        years = self.corpus.years if earliest else reversed(self.corpus.years)
        for year in years:
            found = _in(point.in_year, year)
            if found and fits(found):
                return found
        return None

    def resolve(self, point: Point) -> Range | None:
        """A point's range, or a span's (its ends placed by each other), opened to an edge of the
        corpus."""
        if point.span_end:
            return self._span(point, point.span_end)
        found = self.place(point)
        if not found:
            return None
        if point.side in (Side.FROM, Side.AFTER):
            start = found[0] if point.side is Side.FROM else found[1] + DAY
            return start, max(start, self.corpus.newest)
        if point.side in (Side.UNTIL, Side.BEFORE):
            end = found[1] if point.side is Side.UNTIL else found[0] - DAY
            return min(self.corpus.first, end), end
        return found

    def _span(self, left: Point, right: Point) -> Range | None:
        if left.year is not None and right.year is None:  # "2024년 11월부터 2월까지": February 2025
            low = self.place(left, lend=False)
            high = low and self.place(right, after=low[0], lend=False)
        else:  # "12월 28일부터 1월 3일까지", "from January to March 2024"
            high = self.place(right)
            low = high and self.place(left, by=high[0], lend=False)
        if not low or not high:
            return None
        return min(low[0], high[0]), max(low[1], high[1])


def _read(reader: Reader) -> list[Point]:
    """Every expression in the question, left to right."""
    found: list[Point] = []
    i = 0
    while i < len(reader.tokens):
        starts = reader.tokens[i].number is not None or reader.word(i) in _STARTS
        read = reader.expression(i) if starts else []
        found += read
        i = max(read[-1].end, i + 1) if read else i + 1
    return found


def _lent_year(found: list[Point]) -> int | None:
    """The one year the question names, if it names exactly one ("May 20 to 25, 2024")."""
    years = {
        end.year
        for point in found
        for end in (point, point.span_end)
        if end and end.year is not None
    }
    return years.pop() if len(years) == 1 else None


def _where(reader: Reader, point: Point) -> tuple[int, int]:
    """Where the point's words stand in the text, with a particle glued after them ("5월에")."""
    text = reader.text
    start, end = reader.tokens[point.start].start, reader.tokens[point.end - 1].end
    return start, next((k for k in range(end, len(text)) if not is_hangul(text[k])), len(text))


def parse_days(text: str, corpus_days: list[date]) -> tuple[list[Range], str]:
    """Day ranges named in the text, and the text with those phrases removed."""
    corpus = Corpus.of(corpus_days)
    reader = Reader(text, corpus)
    found = _read(reader)
    placer = _Placer(corpus, _lent_year(found))
    placed: list[tuple[Point, Range]] = []
    rest = text
    for point in found:
        if day_range := placer.resolve(point):
            placed.append((point, day_range))
            start, end = _where(reader, point)
            rest = rest[:start] + " " * (end - start) + rest[end:]
    ranges = list(
        dict.fromkeys(day_range for _, day_range in placed)
    )  # "the May 20, 2024 paper ... the May 20 paper": one day
    if (
        len(ranges) == 2 and placed[0][0].side is Side.BETWEEN
    ):  # "between the 2025 paper and the 2024 paper"
        return [(min(ranges[0][0], ranges[1][0]), max(ranges[0][1], ranges[1][1]))], rest
    return ranges, rest

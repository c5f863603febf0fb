"""The grammar of date expressions, read left to right over a question's tokens.

An expression is an anchor (`rag.ask.date_anchors`) with its modifiers, alone, in a list ("May 16
and 20"), in a span ("from May to July", "2023~2024년") or opened to an edge of the corpus ("since
May", "5월 이후"). A wrong filter hides every other entry, so a bare month, season, year or slash
date counts only where the words around it say so.
"""

from __future__ import annotations

import re

from rag.ask import date_words as words
from rag.ask.date_anchors import AnchorReader, Bare, Modifier, Point
from rag.ask.date_ranges import then
from rag.ask.date_tokens import is_hangul
from rag.ask.date_words import Side

# A bare year counts before (up to three words before) a noun for a paper: "the 2023 ViT paper".
_PAPER_AFTER = re.compile(rf"(?:\s+[\w\-.]+){{0,3}}?\s+(?:{words.PAPER_NOUNS})\b", re.I)

# Words that open an expression: "since May", "from May to July", "between 2023 and 2024".
_OPENERS = {*words.OPEN_BEFORE, "from", "between"}


class Reader(AnchorReader):
    """Expressions at a token: spans, lists, open ends, and the checks that bare anchors are
    dates."""

    def expression(self, i: int) -> list[Point]:
        """A point, a span or a list of points at token i, and the words that open it."""
        opener = self.word(i) if self.word(i) in _OPENERS else None
        j = self.skip(i + (opener is not None))
        left, right = self.point(j), None
        if left is None:  # "16–21 May", "2023~2024년": the first end takes the second's unit
            if self.number(j) is None or self.word(j + 1) not in words.SPAN_TO:
                return []
            right = self.point(j + 2)
            left = right and self.bare_number(j, right)
            if left is None:
                return []
        elif self.word(left.end) in words.SPAN_TO | words.AND:
            after_joint = self.skip(left.end + 1)
            right = self.point(after_joint) or self.bare_number(after_joint, left)
        end = (right or left).end
        is_span = right is not None and (
            self.word(left.end) in words.SPAN_TO or opener == "between" or self.word(end) == "사이"
        )
        if right is not None and not is_span:  # "May 16 and 20", "2025년 5월 16일과 20일": two days
            return [p for p in (left, right) if self.admitted(p, p.start, p.end)]
        if not self.admitted(left, left.start, end, right):
            return []
        left.span_end, left.end, left.side = right, *self.open_side(opener, end, is_span)
        return [left]

    def open_side(self, opener: str | None, end: int, is_span: bool) -> tuple[int, Side | None]:
        """Where the expression ends with the words that close it, and which edge it opens to."""
        if is_span:
            return end + (self.word(end) in ("까지", "사이")), None
        side = words.OPEN_BEFORE.get(opener or "")
        if side is None and (side := words.OPEN_AFTER.get(self.word(end))):
            end += 1  # "2025년 5월 이후", "May 2024 onwards"
        if side is None and opener == "between":
            side = Side.BETWEEN
        return end, side

    def admitted(self, point: Point, start: int, end: int, span_end: Point | None = None) -> bool:
        """Whether the words around a bare anchor (or a span of two) say it is a date."""
        if point.bare is None or span_end and span_end.bare is None:
            return True
        after = self.word(end)
        if point.bare is Bare.SLASH:  # "5/20 논문", "papers on 5/20?": not "1/3 of the data"
            next_char = self.text[self.tokens[end - 1].end :].lstrip()[:1]
            on_day = self.word(start - 1) in ("on", "dated") and (
                next_char == "" or next_char in "?.!,"
            )
            return after in words.DIGEST_WORDS or on_day
        if point.bare is Bare.YEAR:
            return self.cued(start, the=False) or bool(
                _PAPER_AFTER.match(self.text, self.tokens[end - 1].end)
            )
        name = self.tokens[point.name_token or 0]
        if is_hangul(name.text):  # "봄에", "여름 논문"; not the verb of "수혜를 봄." or "해봄"
            return not name.glued and (
                self.text[name.end : name.end + 1].isalpha() or after in words.DIGEST_WORDS
            )
        if end < len(self.tokens) and self.text[self.tokens[end].start].isupper():
            return False  # "Jun Zhu", "May Only Be Worth"
        return self.cued(start) or after in words.DIGEST_WORDS

    def point(self, i: int) -> Point | None:
        """English modifiers, an anchor (a Korean year may come first: "2024년 여름"), Korean
        modifiers."""
        before: list[Modifier] = []
        j = i
        while modifier := self.modifier(j, korean=False):
            before.insert(
                0, modifier
            )  # the last read applies first: "the last week of the first half of 2024"
            j = modifier.end
        point = self.anchor(j)
        if point is None:
            return None
        if (
            point.bare is Bare.KOREAN_YEAR
            and (dated := self.anchor(point.end))
            and dated.year is None
        ):
            dated.year, dated.start, dated.bare = (
                point.year,
                point.start,
                None,
            )  # "2024년 여름", "작년 5월"
            point = dated
        after: list[Modifier] = []
        while modifier := self.modifier(point.end, korean=True):
            after.append(modifier)
            point.end = modifier.end
        apply_modifiers(point, before + after)
        return self.checked(point, i)

    def checked(self, point: Point, i: int) -> Point | None:
        """The point starting at token i, unless its words say it is no date."""
        if point.bare is Bare.KOREAN_YEAR and self.is_count_of_years(point):
            return None
        name_token = self.tokens[point.name_token] if point.name_token is not None else None
        name = self.text[name_token.start : name_token.end] if name_token else ""
        point.start = i
        if point.bare is Bare.KOREAN_YEAR:
            point.bare = None
        if len(name) > 1 and name.isupper():  # "MAR", "MAY"
            return None
        if (
            name in ("may", "march")
            and not self.cued(i)
            and not any(self.is_year(k) for k in range(i, point.end))
        ):
            return None  # "GPT-4 may fail"
        return point

    def is_count_of_years(self, point: Point) -> bool:
        """Whether it is a count: "24년 동안" is 24 years, not 2024."""
        return (
            len(self.word(point.start)) == 2
            and self.word(point.start + 1) == "년"
            and self.word(point.end) not in words.DIGEST_WORDS
        )


def apply_modifiers(point: Point, modifiers: list[Modifier]) -> None:
    """Stack the modifiers on the point; the last shift wins."""
    for modifier in modifiers:
        if modifier.is_shift:
            point.shift = modifier.change
        else:  # "early this year" is not cut short at the newest day
            point.in_year = then(point.in_year, modifier.change)
            point.bare, point.clip_to_newest = None, False

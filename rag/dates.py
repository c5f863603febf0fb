"""Day constraints in questions, Korean or English, read as day ranges of the digest.

A date expression is composed, not listed: an anchor (a day, month, season, holiday, year or
relative phrase), modifiers (early/mid/late, the first or last N days of, halves, quarters, the
N-th week, the day after) and a span (from ... to, between, 부터 ... 까지, since, 이후). A modifier
maps a range to a range, so "the last 10 days of the first half of 2024" needs no rule of its own;
`rag.date_words` holds the words. Everything resolves against the corpus, not the clock (the digest
is an archive): a date without a year is the latest such day by the newest day, or in the one year
the question names, and "last week" counts back from the newest day. A wrong filter hides every
other entry, so a bare month, season, year or slash date counts only where the words around it say
so: ML text is full of look-alikes ("GPT-4 may", "1/3 of the data", "2048 tokens", "MAR", "Genie 3
월드 모델", "the fall of perplexity", "Winter et al.").
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from korean_lunar_calendar import KoreanLunarCalendar

from rag import date_words as W
from rag.date_words import Range

Within = Callable[[int], "Range | None"]  # what an anchor names in a given year
Mod = Callable[[Range], "Range | None"]
DAY = timedelta(days=1)
_PHRASE = "|".join(p.replace("'", "['’]").replace(" ", r"\s+") for p in sorted(W.PHRASES, key=len, reverse=True))
_TOKEN = re.compile(
    rf"(?i:{_PHRASE})(?![A-Za-z])|['’]\d\d(?!\d)|\d+(?:(?:st|nd|rd|th)(?![A-Za-z]))?|[A-Za-z]+(?:['’]s(?![A-Za-z]))?|[가-힣]+|\S"
)
_KO_PIECE = re.compile("|".join(sorted(map(re.escape, W.KO_PIECES), key=len, reverse=True)))
_PAPER_AFTER = re.compile(rf"(?:\s+[\w\-.]+){{0,3}}?\s+(?:{W.PAPER_NOUNS})\b", re.I)


@dataclass(frozen=True)
class _Tok:
    text: str               # lower-cased with ’ as ', a Korean piece, or a phrase ("new year's eve")
    raw: str
    start: int
    end: int
    glued: bool             # nothing between it and the token before ("5월", "Q3", "mid-May")
    num: int | None = None  # a number's value ("21st": 21, "'24": 2024)


def _tokens(text: str) -> list[_Tok]:
    """Words, numbers and signs; a Hangul word splits into date pieces or stays one word."""
    toks: list[_Tok] = []
    for m in _TOKEN.finditer(text):
        raw, start = m[0], m.start()
        glued = start > 0 and not text[start - 1].isspace()
        pieces = _pieces(raw, start > 0 and text[start - 1].isalnum()) if W.is_hangul(raw) and " " not in raw else None
        for k, piece in enumerate(pieces or ()):
            if piece not in W.KO_QUIET:  # particles: "5월에" is 5월
                toks.append(_Tok(piece, piece, start, start + len(piece), glued or k > 0))
            start += len(piece)
        if pieces is None:
            num = 2000 + int(raw[1:]) if raw[0] in "'’" and len(raw) > 1 else int(raw.rstrip("stndrh")) if raw[0].isdigit() else None
            toks.append(_Tok(" ".join(raw.lower().replace("’", "'").split()), raw, start, m.end(), glued, num))
    return toks


def _pieces(word: str, after_word: bool) -> list[str] | None:
    """"지난달에" -> 지난, 달, 에; None for another word ("주요"; "가설을": a particle ends a word)."""
    pieces, pos = [], 0
    while m := _KO_PIECE.match(word, pos):
        pieces.append(m[0])
        pos = m.end()
    return pieces if pos == len(word) and (after_word or pieces[0] not in W.KO_QUIET) else None


def _add_months(d: date, n: int) -> date:
    year, month = divmod(d.year * 12 + d.month - 1 + n, 12)
    return date(year, month + 1, min(d.day, calendar.monthrange(year, month + 1)[1]))  # May 31 - 3 months: Feb 28


def _months(first: int, count: int) -> Within:
    return lambda year: (lo := date(year, first, 1), _add_months(lo, count) - DAY)  # a winter runs into the next year


def _date(month: int, day: int | None, kind: str = "") -> Within:
    """A day, or a month (day None); holidays: "thu" the first Thursday from it, "lunar" see W.HOLIDAYS."""
    if kind == "lunar":
        return lambda year: (d := _lunar(year, month, day)) and (d - DAY, d + DAY)
    if kind == "thu":
        return lambda year: (date(year, month, day) + timedelta(days=(3 - date(year, month, day).weekday()) % 7),) * 2
    return (lambda year: (date(year, month, day),) * 2) if day else _months(month, 1)


@lru_cache(maxsize=64)
def _lunar(year: int, month: int, day: int) -> date | None:
    lunar = KoreanLunarCalendar()
    return date.fromisoformat(lunar.SolarIsoFormat()) if lunar.setLunarDate(year, month, day, False) else None


_YEAR = _months(1, 12)


def _then(within: Within, mod: Mod) -> Within:
    return lambda year: (r := within(year)) and mod(r)


def _part(index: int, parts: int) -> Mod:
    """The index-th of `parts` parts: of whole months by months (late 2024: September-December, early
    summer: June), of one month by 10 or 15 days (mid-May: 11-20, its second half: 16-31), else by days."""
    index %= parts  # "the last quarter"

    def mod(r: Range) -> Range | None:
        lo, hi = r
        months = (hi.year - lo.year) * 12 + hi.month - lo.month + 1 if lo.day == 1 and (hi + DAY).day == 1 else 0
        if months > 1 and months % parts == 0:
            return (start := _add_months(lo, months // parts * index)), _add_months(start, months // parts) - DAY
        size = 30 // parts if months == 1 else ((hi - lo).days + 1) // parts
        start = lo + timedelta(days=size * index)
        return (start, hi if index == parts - 1 else start + timedelta(days=size - 1)) if size else None

    return mod


def _edge(count: int, unit: str, last: bool, skip: int = 0) -> Mod:
    """The first or last `count` days, weeks, months or years; skipping two weeks, the third week of May."""
    months, days = count * (12 if unit == "year" else 1), timedelta(days=7 if unit == "week" else 1)
    if unit in ("month", "year"):
        return lambda r: (max(r[0], _add_months(r[1] + DAY, -months)), r[1]) if last else (r[0], min(r[1], _add_months(r[0], months) - DAY))
    return lambda r: (max(r[0], r[1] - days * count + DAY), r[1]) if last else (lo := r[0] + days * skip, min(r[1], lo + days * count - DAY))


def _shift(count: int | None, unit: str, sign: int) -> Mod:
    """"the week after" (count None) is the next seven days; "two days after" the one day two days later."""
    days = timedelta(days=7 if unit == "week" else 1)
    if count is None:
        return lambda r: (r[1] + DAY, r[1] + days) if sign > 0 else (r[0] - days, r[0] - DAY)
    return lambda r: (r[1] + days * count,) * 2 if sign > 0 else (r[0] - days * count,) * 2


def _calendar(unit: str, back: int, d: date) -> Range:
    """The calendar day, week, month or year holding day d (back=0), or `back` of them before."""
    if unit in ("day", "week"):
        start = d - timedelta(days=back if unit == "day" else d.weekday() + 7 * back)
        return start, start + timedelta(days=0 if unit == "day" else 6)
    first = _add_months(d.replace(day=1), -back)
    return _months(first.month, 1)(first.year) if unit == "month" else _YEAR(d.year - back)


@dataclass
class _Point:
    """An anchor with its modifiers, not yet placed in a year; the first end of a span holds the other."""

    within: Within
    year: int | None           # the year written with it ("May 2024", "작년 5월"); lent to the others
    start: int                 # its first token, and the one after its last (blanked in the topic)
    end: int
    unit: str | None = None    # its finest calendar field; a bare number beside it in a span is one
    month: int | None = None   # its month, lent to a bare day beside it ("May 16-21", "16–21 May")
    bare: str | None = None    # "month", "season", "year", "slash": a date only where words around say so
    word: int | None = None    # the token of its month's or season's name ("may" is also a verb)
    ended: bool = False        # "last summer": the latest one already over by the newest day
    clip: bool = False         # "this week": ends at the newest day
    shift: Mod | None = None   # "the day after", applied once it is placed
    to: _Point | None = None   # the second end of a span
    side: str | None = None    # "from", "after", "before", "until" (open to the corpus's edge), "week of",
    #                            "between" (no second end: joins the next point)


class _Reader:
    """The grammar, read left to right over a question's tokens, and where what it reads falls."""

    def __init__(self, text: str, corpus_days: list[date]):
        self.text, self.toks = text, _tokens(text)
        self.newest = corpus_days[-1] if corpus_days else date.today()
        self.first = corpus_days[0] if corpus_days else self.newest
        self.years = range(self.first.year - 1, self.newest.year + 2)  # what a number alone may be

    def w(self, j: int) -> str:
        return self.toks[j].text if 0 <= j < len(self.toks) else ""

    def num(self, j: int) -> int | None:
        return self.toks[j].num if 0 <= j < len(self.toks) else None

    def skip(self, j: int, words: tuple[str, ...] = ("the",)) -> int:
        while self.w(j) in words:
            j += 1
        return j

    def touches(self, j: int, chars: str, after: bool = False) -> bool:
        """Whether a letter, a digit or one of `chars` is right before (after) token j: "gpt-4o-2024-05-13"."""
        pos = self.toks[j].end if after else self.toks[j].start - 1
        c = self.text[pos] if 0 <= pos < len(self.text) else " "
        return c.isascii() and c.isalnum() or c in chars

    def cued(self, j: int, the: bool = True) -> bool:
        """Whether a word before token j makes it a date ("in May", "since the spring"; "of the 2027 rules": no)."""
        k = j - 1
        while the and self.w(k) == "the":
            k -= 1
        return self.w(k) in W.CUES

    def expression(self, i: int) -> list[_Point]:
        """A point, a span or a list of points at token i, and the words that open it."""
        opener = self.w(i) if self.w(i) in W.OPEN_BEFORE or self.w(i) in ("from", "between") else None
        j = self.skip(i + bool(opener))
        week_of = self.w(j) == "week" and self.w(j + 1) == "of"
        j = self.skip(j + 2) if week_of else j
        left, right = self.point(j), None
        if left is None:  # "16–21 May", "9~10월", "2023~2024년": the first end takes the second's unit
            right = self.point(j + 2) if self.num(j) is not None and self.w(j + 1) in W.SPAN_TO else None
            if not (left := right and self.bare(j, right)):
                return []
        elif self.w(left.end) in W.SPAN_TO | W.AND:
            right = self.point(self.skip(left.end + 1)) or self.bare(self.skip(left.end + 1), left)
        end = (right or left).end
        span = right is not None and (self.w(left.end) in W.SPAN_TO or opener == "between" or self.w(end) == "사이")
        if right and not span:  # "May 16 and 20", "2025년 5월 16일과 20일": two days
            return [p for p in (left, right) if self.admitted(p, p.start, p.end)]
        if not self.admitted(left, left.start, end):
            return []
        end += span and self.w(end) in ("까지", "사이")
        side = None if span else W.OPEN_BEFORE.get(opener or "")
        if not span and not side and self.w(end) in W.OPEN_AFTER:
            side, end = W.OPEN_AFTER[self.w(end)], end + 1
        left.to, left.end, left.side = right, end, side or ("week of" if week_of else "between" if opener == "between" and not span else None)
        return [left]

    def admitted(self, p: _Point, start: int, end: int) -> bool:
        """Whether the words around a bare month, season, year or slash date (or a span of two) say it is one."""
        if p.bare is None or p.to and p.to.bare is None:
            return True
        after, word = self.w(end), self.toks[p.word or 0]
        if p.bare == "slash":
            rest = self.text[self.toks[end - 1].end :].lstrip()
            return after in W.DIGEST_WORDS or self.w(start - 1) in ("on", "dated") and (not rest or rest[0] in "?.!,")
        if p.bare == "year":
            return self.cued(start, the=False) or bool(_PAPER_AFTER.match(self.text, self.toks[end - 1].end))
        if W.is_hangul(word.text):  # "봄에", "여름 논문"; not the verb of "수혜를 봄." or "해봄"
            return not word.glued and (self.text[word.end : word.end + 1].isalpha() or after in W.DIGEST_WORDS)
        if end < len(self.toks) and self.toks[end].raw[0].isupper():  # "Jun Zhu", "May Only Be Worth"
            return False
        if p.bare == "month" and len(word.text.rstrip(".")) <= 3 and word.text != "may":
            return False  # "Jan", "Mar": names and acronyms more often than months
        return self.cued(start) or after in W.DIGEST_WORDS

    def point(self, i: int) -> _Point | None:
        """Modifiers and a shift, a Korean year, an anchor, Korean modifiers and shift after it."""
        before, after, shift, j = [], [], None, i
        while True:
            if m := self.modifier(j, korean=False):
                before.append(m[0])
            elif shift is None and (m := self.shift(self.skip(j), korean=False)):
                shift = m[0]
            else:
                break
            j = m[1]
        year, k, short = self.year_before(j)
        if (p := self.anchor(k) or self.year_alone(j, k, year, short)) is None:
            return None
        if year is not None and p.year is None:  # "2024년 여름", "작년 5월"
            p.year, p.bare = year, None
        while m := self.modifier(p.end, korean=True):
            after.append(m[0])
            p.end = m[1]
        for mod in [*reversed(before), *after]:
            p.within, p.bare, p.clip = _then(p.within, mod), None, False  # "early this year" is not cut short
        if shift is None and (m := self.shift(p.end, korean=True)):
            shift, p.end = m
        p.start, p.shift, word = i, shift, self.toks[p.word].raw if p.word is not None else ""
        if len(word) > 1 and word.isupper():  # "MAR", "MAY"
            return None
        if word in ("may", "march") and not self.cued(i) and not any(self.is_year(k) for k in range(i, p.end)):
            return None  # "GPT-4 may fail"
        return p

    def modifier(self, j: int, korean: bool) -> tuple[Mod, int] | None:
        """A part, half, quarter, N-th week or first/last N days: "the last 10 days of April", "4월 마지막 10일"."""
        j = self.skip(j, ("의",) if korean else ("the",))
        t, n, nxt = self.w(j), self.num(j), self.w(j + 1)
        index, c = W.ORDINALS.get(t), self.count(j + 1)
        if not t or W.is_hangul(t) != korean and not (korean and n):
            return None
        if t in W.PARTS and (korean or t in ("early", "mid", "late") or nxt == "of"):
            mod, j = _part(W.PARTS[t], 3), j + 1
        elif t in W.HALVES or index is not None and nxt in ("half", "quarter"):
            mod, j = (_part(W.HALVES[t], 2), j + 1) if t in W.HALVES else (_part(index, 2 if nxt == "half" else 4), j + 2)
        elif korean and n and nxt == "분기" and self.toks[j + 1].glued:
            mod, j = _part(n - 1, 4) if n <= 4 else (lambda r: None), j + 2
        elif index is not None and nxt in ("week", "주", "주차") or korean and n and nxt == "주차":  # "셋째 주", "3주차"
            mod, j = _edge(1, "week", index == -1, index if n is None or index is not None else n - 1), j + 2
        elif index is not None and c:
            mod, j = _edge(c[0], c[1], index < 0), c[2]
        else:
            return None
        if not korean and (index is not None or t in ("beginning", "start", "middle", "end")) and self.w(j) != "of":
            return None  # "the last 10 days" and "last week" are relative, "the second half" a topic
        return mod, self.skip(j, () if korean else ("-", "of"))

    def shift(self, j: int, korean: bool) -> tuple[Mod, int] | None:
        """"the day after", "two days before" (before the anchor); "다음 날", "전날", "이틀 뒤" (after it)."""
        t, nxt, c = self.w(j), self.w(j + 1), self.count(j)
        if not korean and t in ("day", "week") and nxt in ("after", "before"):
            return _shift(None, t, W.SHIFT_AFTER[nxt]), j + 2
        if korean and (t == "다음" and nxt in ("날", "주") or t in ("전날", "이튿날")):
            return _shift(None, "week" if nxt == "주" else "day", -1 if t == "전날" else 1), j + 1 + (t == "다음")
        if c and c[1] in ("day", "week") and self.w(c[2]) in W.SHIFT_AFTER and W.is_hangul(self.w(c[2])) == korean:
            return _shift(c[0], c[1], W.SHIFT_AFTER[self.w(c[2])]), c[2] + 1
        return None

    def count(self, j: int) -> tuple[int, str, int] | None:
        """A number of days, weeks, months or years: "10 days", "a couple of months", "3개월", "이틀"."""
        if self.w(j) in W.COUNTED:
            return (*W.COUNTED[self.w(j)], j + 1)
        j += self.w(j) == "a" and self.w(j + 1) in ("few", "couple")
        t, k = self.w(j), self.skip(j + 1, ("of",))
        n, k = (int(t) if t.isdigit() else W.NUMBERS.get(t), k) if t not in W.UNITS else (1, j)  # "the past week"
        return (n, W.UNITS[self.w(k)], k + 1) if n is not None and self.w(k) in W.UNITS else None

    def year_before(self, j: int) -> tuple[int | None, int, bool]:
        """A Korean year before what it dates ("2024년", "작년"), and whether it is "24년" (alone, maybe 24 years)."""
        t, n = self.w(j), self.num(j)
        if t in W.RELATIVE_YEARS:
            return self.newest.year - W.RELATIVE_YEARS[t], j + 1, False
        if n and self.w(j + 1) in ("년", "년도") and self.toks[j + 1].glued and t.isdigit() and len(t) in (2, 4):
            return n if len(t) == 4 else 2000 + n, j + 2, len(t) == 2 and self.w(j + 1) == "년"
        return None, j, False

    def year_alone(self, j: int, k: int, year: int | None, short: bool) -> _Point | None:
        """A Korean year with no anchor after it: "2024년 논문", "작년", "2025년 1분기", "2021년 9~10월"."""
        if year is not None and self.w(k).isdigit() and self.w(k + 1) in W.SPAN_TO:  # "2021년 9~10월"
            return _Point(_date(self.num(k) or 0, None), year, j, k + 1, "month", self.num(k))
        halves = self.w(k) in ("상반기", "하반기") or self.w(k + 1) == "분기" and self.toks[k + 1].glued
        if not halves and (year is None or short and self.w(k) not in W.DIGEST_WORDS):
            return None  # "24년 동안" is 24 years
        if year is not None and self.w(j) not in W.RELATIVE_YEARS and year not in self.years:
            return None
        return _Point(_YEAR, year, j, k, "year", clip=self.w(j) in W.RELATIVE_YEARS)

    def anchor(self, j: int) -> _Point | None:
        return self.numeric(j) or self.relative(j) or self.named(j) or self.korean(j) or self.year(j)

    def numeric(self, j: int) -> _Point | None:
        """2025-05-21, 2025/05/21, "2025. 5. 20.", 2025-05; 5/20, 05/21/2025 (month first unless it cannot be)."""
        a, sep, b, c = self.num(j), self.w(j + 1), self.num(j + 2), self.num(j + 4) if self.w(j + 3) == self.w(j + 1) else None
        if a is None or b is None or sep not in ("-", "/", ".") or len(self.w(j + 2)) > 2 or self.touches(j, "/-" + "." * (sep == "/")):
            return None
        if len(self.w(j)) == 4:  # the year first
            day = c if c and len(self.w(j + 4)) <= 2 else None
            end = j + (5 if day else 3)
            ok = 1 <= b <= 12 and (day or sep == "-") and not self.touches(end - 1, "/-", after=True)
            return _Point(_date(b, day), a, j, end, "day" if day else "month", b) if ok else None
        year = c if sep == "/" and len(self.w(j + 4)) == 4 else None
        end = j + (5 if year else 3)
        if sep != "/" or len(self.w(j)) > 2 or self.touches(end - 1, "/%.-", after=True) or year and year not in self.years:
            return None
        month, day = (b, a) if a > 12 else (a, b)
        return _Point(_date(month, day), year, j, end, "day", month, None if year else "slash")

    def relative(self, j: int) -> _Point | None:
        """"last week", "지난달", "the past 2 weeks", "최근 3개월", "3 days ago", "the latest digest", "last summer"."""
        t, nxt, k, newest = self.w(j), self.w(j + 1), self.skip(j + 1, ("의",)), self.newest
        r, end, clip, c = None, j + 2, False, self.count(j + 1) if t in W.RECENT else None
        if (t in W.LATEST or t == "last" and self.w(j - 1) == "the") and self.w(k) in W.LATEST_NOUNS and self.w(k + 1) != "of":
            r, end = (newest, newest), k + 1
        elif t in W.RELATIVE_UNITS:
            r, end, clip = _calendar(W.RELATIVE_UNITS[t][1], W.RELATIVE_UNITS[t][0], newest), j + 1, True
        elif t in W.RELATIVE and W.UNITS.get(nxt) in ("week", "month", "year") and self.w(j + 2) != "of":
            r, clip = _calendar(W.UNITS[nxt], W.RELATIVE[t], newest), True
        elif c and self.w(c[2]) != "of":  # "the past week": the last seven days, not a calendar week
            r, end = _edge(c[0], c[1], True)((date.min, newest)), c[2]
        elif (c := self.count(j)) and self.w(c[2]) in ("ago", "전"):
            r, end = _calendar(c[1], c[0], newest), c[2] + 1
        elif t in W.RELATIVE and not (t == "last" and self.w(j - 1) == "the") and (p := self.named(j + 1)) and p.year is None:
            p.start, p.bare, p.ended, p.year = j, None, W.RELATIVE[t] > 0, None if W.RELATIVE[t] else newest.year
            return p
        return _Point(lambda _: r, None, j, end, clip=clip) if r else None

    def day(self, j: int) -> int | None:
        """A day of a month: not "GPT-4 May" or "Qwen 2.5 May", not "20 tokens"."""
        n, t = self.num(j), self.w(j)
        ok = n and 1 <= n <= 31 and t[0].isdigit() and len(t.rstrip("stndrh")) <= 2 and not self.touches(j, ".-")
        return n if ok and self.w(j + 1) not in W.COUNT_NOUNS else None

    def named(self, j: int) -> _Point | None:
        """May 21, 21 May 2025, the 21st of May, May 2025, summer of 2024, Christmas 2024, 늦가을, 추석."""
        day = self.day(j)
        k = self.skip(j + 1, ("of",)) if day else j
        t, prefix = self.w(k), self.w(k) in W.SEASON_PREFIXES and self.w(k + 1) in W.SEASONS and self.toks[k + 1].glued
        if t in W.MONTHS:
            month, e = W.MONTHS[t], k + 1 + (self.w(k + 1) == ".")
            if day is None and (d := self.day(self.skip(e))):
                day, e = d, self.skip(e) + 1
            year, e = self.year_after(e)
            return _Point(_date(month, day), year, j, e, "day" if day else "month", month, None if day or year else "month", k)
        if day or not (t in W.SEASONS or t in W.HOLIDAYS or prefix):
            return None
        year, e = self.year_after(k + 1 + prefix)
        if t in W.SEASONS and (self.w(k + 1) in ("et", "of") and year is None or self.touches(k, "-", after=True)):
            return None  # "Winter et al.", "the fall of perplexity", "spring-based"
        if t in W.HOLIDAYS:
            return _Point(_date(*W.HOLIDAYS[t]), year, j, e + (self.w(e) == "연휴"))
        within = _months(W.SEASONS[self.w(k + prefix)], 3)
        within = _then(within, _part(W.SEASON_PREFIXES[t], 3)) if prefix else within
        return _Point(within, year, j, e, bare=None if year or prefix else "season", word=k)

    def year_after(self, j: int) -> tuple[int | None, int]:
        """A year after an anchor: "May 2025", "May, 2025", "summer of '24", "May of last year"."""
        k = self.skip(j, (",", "of"))
        if self.is_year(k):
            return self.num(k), k + 1
        if self.w(k) in W.RELATIVE and self.w(k + 1) == "year":
            return self.newest.year - W.RELATIVE[self.w(k)], k + 2
        return None, j

    def is_year(self, k: int) -> bool:
        t, n = self.w(k), self.num(k)
        return bool(n and 1900 <= n <= 2099 and (t.isdigit() and len(t) == 4 or t[0] == "'") and self.w(k + 1) not in W.COUNT_NOUNS)

    def korean(self, j: int) -> _Point | None:
        """5월, 5월 21일, and 5월 16 before a span ("5월 16~21일")."""
        month, nxt = self.num(j), self.w(j + 3)
        if not (month and self.w(j + 1) == "월" and self.toks[j + 1].glued):
            return None
        day = self.num(j + 2) if nxt == "일" and self.toks[j + 3].glued or nxt in W.SPAN_TO and self.w(j + 2).isdigit() else None
        return _Point(_date(month, day), None, j, j + 2 + bool(day) + (bool(day) and nxt == "일"), "day" if day else "month", month)

    def year(self, j: int) -> _Point | None:
        """A year alone ("in 2024", "the 2023 ViT paper", "since '23"; see admitted), or Q2 2025,
        Q3 '24, H1 2025: a quarter or a half, which needs its year ("Q4 1024" is none)."""
        t, n = self.w(j), self.num(j + 1)
        if t in ("q", "h") and n and self.toks[j + 1].glued:
            year, e = self.year_after(j + 2)
            ok = year and n <= (parts := 4 if t == "q" else 2)
            return _Point(_then(_YEAR, _part(n - 1, parts)), year, j, e) if ok else None
        n = self.num(j)
        if not self.is_year(j) or n not in self.years or self.touches(j, "/") or self.touches(j, "/", after=True):
            return None
        return _Point(_YEAR, n, j, j + 1, "year", bare="year")

    def bare(self, j: int, other: _Point) -> _Point | None:
        """A number whose unit the other end says: "May 16-21", "16–21 May", "9~10월", "5월 16일과 20일"."""
        n, t = self.num(j), self.w(j)
        if n is None or not other.unit or self.w(j + 1) in W.COUNT_NOUNS or self.touches(j, "%", True) or self.touches(j, "/."):
            return None
        first_end = self.w(j + 1) in W.SPAN_TO  # a bare month or year is only ever the first end
        if other.unit == "year":
            return _Point(_YEAR, n, j, j + 1, "year", bare=other.bare) if first_end and self.is_year(j) and n in self.years else None
        if not t[0].isdigit() or len(t.rstrip("stndrh")) > 2 or other.unit == "month" and not first_end:
            return None
        if other.unit == "month":
            return _Point(_date(n, None), None, j, j + 1, "month", n)
        year, e = self.year_after(j + 1 + (self.w(j + 1) == "일"))
        return _Point(_date(other.month or 0, n), year, j, e, "day", other.month, other.bare)

    def place(self, p: _Point, lent: int | None = None, by: date | None = None, after: date | None = None) -> Range | None:
        """A point in its year, else the question's one year, else the latest that starts by the newest day
        ("last summer": the latest over by then); a span's end goes by the other (by its start, or after)."""
        if p.year is not None or lent is not None and not p.ended and by is None and after is None:
            r = _in(p.within, lent if p.year is None else p.year)
        else:
            fits = lambda r: r[0] >= after if after else r[1] < self.newest if p.ended else r[0] <= (by or self.newest)  # noqa: E731
            r = next((r for y in (self.years if after else reversed(self.years)) if (r := _in(p.within, y)) and fits(r)), None)
        r = _in(lambda _: p.shift(r), 0) if r and p.shift else r
        if r and p.clip and r[0] <= self.newest:
            r = r[0], min(r[1], self.newest)
        return r if r and r[0] <= r[1] else None

    def resolve(self, p: _Point, lent: int | None) -> Range | None:
        """A point's range, or a span's (its ends placed by each other), opened to an edge of the corpus."""
        if right := p.to:
            if p.year is not None and right.year is None:  # "2024년 11월부터 2월까지": February 2025
                hi = (lo := self.place(p)) and self.place(right, after=lo[0])
            else:  # "12월 28일부터 1월 3일까지", "from January to March 2024"
                lo = (hi := self.place(right, lent)) and self.place(p, by=hi[0])
            return (min(lo[0], hi[0]), max(lo[1], hi[1])) if lo and hi else None
        r = self.place(p, lent)
        if r and p.side == "week of" and r[0] == r[1]:
            r = _calendar("week", 0, r[0])
        if r and p.side in ("from", "after"):
            return (lo := r[0] if p.side == "from" else r[1] + DAY), max(lo, self.newest)
        if r and p.side in ("until", "before"):
            return min(self.first, hi := r[1] if p.side == "until" else r[0] - DAY), hi
        return r


def _in(within: Within, year: int) -> Range | None:
    try:
        return within(year)
    except (ValueError, OverflowError):  # "2월 30일", "after December 9999"
        return None


def parse_days(text: str, corpus_days: list[date]) -> tuple[list[Range], str]:
    """Day ranges named in the text, and the text with those phrases removed."""
    reader, found, i = _Reader(text, corpus_days), [], 0
    while i < len(reader.toks):
        found += (got := reader.expression(i))
        i = max(got[-1].end, i + 1) if got else i + 1
    named = {q.year for p in found for q in (p, p.to) if q and q.year is not None}
    lent = named.pop() if len(named) == 1 else None  # "from January to March 2024"
    placed, rest = [], text
    for p in found:
        if r := reader.resolve(p, lent):
            placed.append((p, r))
            lo, hi = reader.toks[p.start].start, reader.toks[p.end - 1].end
            while hi < len(text) and W.is_hangul(text[hi]):  # the particle after it: "5월에"
                hi += 1
            rest = rest[:lo] + " " * (hi - lo) + rest[hi:]
    ranges = list(dict.fromkeys(r for _, r in placed))  # "2025년 11월 후반(16일~30일)" says it twice
    if len(ranges) == 2 and placed[0][0].side == "between":  # "between the 2025 paper and the 2024 paper"
        return [(min(ranges[0][0], ranges[1][0]), max(ranges[0][1], ranges[1][1]))], rest
    return ranges, rest

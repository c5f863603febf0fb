"""Day constraints in questions, Korean or English, read as day ranges of the digest.

A date expression is an anchor (a day, month, season, holiday, year, relative phrase), modifiers
that map its range to a range (early/mid/late, the last N days of, the day after), and a span; so
"the last 10 days of the first half of 2024" needs no rule of its own. It resolves against the
corpus, not the clock (the digest is an archive). A wrong filter hides every other entry, so a bare
month, season, year or slash date counts only where the words around it say so ("GPT-4 may", "1/3
of the data", "the fall of perplexity" are not dates). README "Questions it understands" has the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from rag.ask import date_words as W
from rag.ask.date_words import DAY, Mod, Within
from rag.model import Range

_PHRASE = "|".join(p.replace("'", "['’]").replace(" ", r"\s+") for p in sorted(W.PHRASES, key=len, reverse=True))
_TOKEN = re.compile(
    rf"(?i:{_PHRASE})(?![A-Za-z])|['’]\d\d(?!\d)|\d+(?:(?:st|nd|rd|th)(?![A-Za-z]))?|[A-Za-z]+(?:['’]s(?![A-Za-z]))?|[가-힣]+|\S"
)


def _hangul(word: str) -> bool:
    return "가" <= word[:1] <= "힣"


_WORDS = {word for table in (W.MONTHS, W.SEASONS, W.HOLIDAYS, W.PARTS, W.SEASON_PREFIXES, W.HALVES, W.ORDINALS, W.NUMBERS, W.UNITS,
          W.COUNTED, W.RELATIVE, W.RELATIVE_UNITS, W.RELATIVE_YEARS, W.RECENT, W.LATEST, W.LATEST_NOUNS, W.OPEN_BEFORE,
          W.OPEN_AFTER, W.SPAN_TO, W.AND, W.KO_QUIET, W.KO_OTHER) for word in table}
_KO_PIECE = re.compile("|".join(sorted((re.escape(w) for w in _WORDS if _hangul(w) and " " not in w), key=len, reverse=True)))
_PAPER_AFTER = re.compile(rf"(?:\s+[\w\-.]+){{0,3}}?\s+(?:{W.PAPER_NOUNS})\b", re.I)
_STARTS = _WORDS | {"the", "week", "from", "between", "q", "h"}  # other words of a long question are skipped at once


@dataclass(frozen=True)
class _Tok:
    text: str               # lower-cased with ’ as ', a Korean piece, or a phrase ("new year's eve")
    start: int
    end: int
    glued: bool             # nothing between it and the token before ("5월", "Q3", "mid-May")
    num: int | None = None  # a number's value ("21st": 21, "'24": 2024)


def _tokens(text: str) -> list[_Tok]:
    """Words, numbers and signs; a Hangul word is date pieces ("지난달에": 지난, 달, 에) or one word ("주요",
    and "가설을": a particle only ever ends a word)."""
    toks: list[_Tok] = []
    for m in _TOKEN.finditer(text):
        raw, start, pieces = m[0], m.start(), [p[0] for p in _KO_PIECE.finditer(m[0])] if _hangul(m[0]) else []
        glued = start > 0 and not text[start - 1].isspace()
        if sum(map(len, pieces)) == len(raw) and (pieces[0] not in W.KO_QUIET or start and text[start - 1].isalnum()):
            for k, piece in enumerate(pieces):
                if piece not in W.KO_QUIET:  # "5월에" is 5월
                    toks.append(_Tok(piece, start, start + len(piece), glued or k > 0))
                start += len(piece)
        else:
            num = 2000 + int(raw[1:]) if raw[0] in "'’" and len(raw) > 1 else int(raw.rstrip("stndrh")) if raw[0].isdigit() else None
            toks.append(_Tok(" ".join(raw.lower().replace("’", "'").split()), start, m.end(), glued, num))
    return toks


def _then(within: Within, mod: Mod) -> Within:
    return lambda year: (r := within(year)) and mod(r)


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
    #                            ("년": a Korean year, which may date the next anchor: "2024년 여름")
    word: int | None = None    # the token of its month's or season's name ("may" is also a verb)
    ended: bool = False        # "last summer": the latest one already over by the newest day
    clip: bool = False         # "this week": ends at the newest day
    shift: Mod | None = None   # "the day after", applied once it is placed
    to: _Point | None = None   # the second end of a span
    side: str | None = None    # "from", "after", "before", "until" (open to the corpus's edge), or "between"


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
        c = self.text[pos : pos + 1] if (pos := self.toks[j].end if after else self.toks[j].start - 1) >= 0 else ""
        return c.isascii() and c.isalnum() or bool(c) and c in chars

    def cued(self, j: int, the: bool = True) -> bool:
        """Whether a word before token j makes it a date ("in May", "since the spring"; "of the 2027 rules": no)."""
        return self.w(j - 1 - (the and self.w(j - 1) == "the")) in W.CUES

    def expression(self, i: int) -> list[_Point]:
        """A point, a span or a list of points at token i, and the words that open it."""
        opener = self.w(i) if self.w(i) in W.OPEN_BEFORE or self.w(i) in ("from", "between") else None
        j = self.skip(i + bool(opener))
        left, right = self.point(j), None
        if left is None:  # "16–21 May", "2023~2024년": the first end takes the second's unit
            right = self.point(j + 2) if self.num(j) is not None and self.w(j + 1) in W.SPAN_TO else None
            if not (left := right and self.bare(j, right)):
                return []
        elif self.w(left.end) in W.SPAN_TO | W.AND:
            right = self.point(self.skip(left.end + 1)) or self.bare(self.skip(left.end + 1), left)
        end = (right or left).end
        span = right is not None and (self.w(left.end) in W.SPAN_TO or opener == "between" or self.w(end) == "사이")
        if right and not span:  # "May 16 and 20", "2025년 5월 16일과 20일": two days
            return [p for p in (left, right) if self.admitted(p, p.start, p.end)]
        if not self.admitted(left, left.start, end, right):
            return []
        end += span and self.w(end) in ("까지", "사이")
        if not span and not (side := W.OPEN_BEFORE.get(opener or "")) and (side := W.OPEN_AFTER.get(self.w(end))):
            end += 1  # "2025년 5월 이후", "May 2024 onwards"
        left.to, left.end, left.side = right, end, None if span else side or ("between" if opener == "between" else None)
        return [left]

    def admitted(self, p: _Point, start: int, end: int, to: _Point | None = None) -> bool:
        """Whether the words around a bare month, season, year or slash date (or a span of two) say it is one."""
        if p.bare is None or to and to.bare is None:
            return True
        after, word = self.w(end), self.toks[p.word or 0]
        if p.bare == "slash":  # "5/20 논문", "papers on 5/20?": not "1/3 of the data"
            return after in W.DIGEST_WORDS or self.w(start - 1) in ("on", "dated") and self.text[self.toks[end - 1].end :].lstrip()[:1] in "?.!,"
        if p.bare == "year":
            return self.cued(start, the=False) or bool(_PAPER_AFTER.match(self.text, self.toks[end - 1].end))
        if _hangul(word.text):  # "봄에", "여름 논문"; not the verb of "수혜를 봄." or "해봄"
            return not word.glued and (self.text[word.end : word.end + 1].isalpha() or after in W.DIGEST_WORDS)
        if end < len(self.toks) and self.text[self.toks[end].start].isupper():  # "Jun Zhu", "May Only Be Worth"
            return False
        return self.cued(start) or after in W.DIGEST_WORDS

    def point(self, i: int) -> _Point | None:
        """English modifiers, an anchor (a Korean year may come first: "2024년 여름"), Korean modifiers."""
        mods, j, anchor = [], i, lambda k: self.numeric(k) or self.relative(k) or self.named(k) or self.year(k)
        while m := self.modifier(j, korean=False):
            mods.insert(0, m[:2])  # the last read applies first: "the last week of the first half of 2024"
            j = m[2]
        if (p := anchor(j)) is None:
            return None
        if p.bare == "년" and (q := anchor(p.end)) and q.year is None:  # "2024년 여름", "작년 5월", "24년 1분기"
            q.year, q.start, q.bare, p = p.year, p.start, None, q
        while m := self.modifier(p.end, korean=True):
            mods.append(m[:2])
            p.end = m[2]
        for mod, shift in mods:
            if shift:
                p.shift = mod
            else:  # "early this year" is not cut short at the newest day
                p.within, p.bare, p.clip = _then(p.within, mod), None, False
        if p.bare == "년" and len(self.w(p.start)) == 2 and self.w(p.start + 1) == "년" and self.w(p.end) not in W.DIGEST_WORDS:
            return None  # "24년 동안" is 24 years
        word = self.text[self.toks[p.word].start : self.toks[p.word].end] if p.word is not None else ""
        p.bare, p.start = None if p.bare == "년" else p.bare, i
        if len(word) > 1 and word.isupper():  # "MAR", "MAY"
            return None
        if word in ("may", "march") and not self.cued(i) and not any(self.is_year(k) for k in range(i, p.end)):
            return None  # "GPT-4 may fail"
        return p

    def modifier(self, j: int, korean: bool) -> tuple[Mod, bool, int] | None:
        """A part, half, quarter, N-th week or first/last N days ("the last 10 days of April", "4월 마지막
        10일", "Q2"), or a shift to apply once placed ("the day after", "이틀 뒤"): (mod, shift, next)."""
        j = self.skip(j, ("의",) if korean else ("the",))
        t, n, nxt, c = self.w(j), self.num(j), self.w(j + 1), self.count(j)
        index, glued = W.ORDINALS.get(t), j + 1 < len(self.toks) and self.toks[j + 1].glued
        if not t or _hangul(t) != korean and not (korean and n):
            return None
        if not korean and t in ("day", "week") and nxt in W.SHIFT_AFTER:  # "the day after"
            return W.shift(None, t, W.SHIFT_AFTER[nxt]), True, j + 2
        if not korean and t == "week" and nxt == "of":  # "the week of May 19": its Monday to Sunday
            return (lambda r: W.calendar_range("week", 0, r[0]) if r[0] == r[1] else r), False, self.skip(j + 2)
        if korean and (t == "다음" and nxt in ("날", "주") or t in ("전날", "이튿날")):
            return W.shift(None, "week" if nxt == "주" else "day", -1 if t == "전날" else 1), True, j + 1 + (t == "다음")
        if c and c[1] in ("day", "week") and self.w(c[2]) in W.SHIFT_AFTER and _hangul(self.w(c[2])) == korean:
            return W.shift(c[0], c[1], W.SHIFT_AFTER[self.w(c[2])]), True, c[2] + 1  # "two days after", "이틀 뒤"
        c = self.count(j + 1)
        if t in ("q", "h") and (q := self.num(j + 1)) and glued:  # "Q2 2025", "H1 2025"
            mod, j = W.part(q - 1, 4 if t == "q" else 2) if q <= (4 if t == "q" else 2) else (lambda r: None), j + 2
        elif t in W.PARTS and (korean or t in ("early", "mid", "late") or nxt == "of"):
            mod, j = W.part(W.PARTS[t], 3), j + 1
        elif t in W.HALVES or index is not None and nxt in ("half", "quarter"):
            mod, j = (W.part(W.HALVES[t], 2), j + 1) if t in W.HALVES else (W.part(index, 2 if nxt == "half" else 4), j + 2)
        elif korean and n and nxt == "분기" and glued:
            mod, j = W.part(n - 1, 4) if n <= 4 else (lambda r: None), j + 2
        elif index is not None and nxt in ("week", "주", "주차") or korean and n and nxt == "주차":  # "셋째 주", "3주차"
            mod, j = W.edge(1, "week", index == -1, index if n is None or index is not None else n - 1), j + 2
        elif index is not None and c:
            mod, j = W.edge(c[0], c[1], index < 0), c[2]
        else:
            return None
        if not korean and (index is not None or t in ("beginning", "start", "middle", "end")) and self.w(j) != "of":
            return None  # "the last 10 days" and "last week" are relative, "the second half" a topic
        return mod, False, self.skip(j, () if korean else ("-", "of"))

    def count(self, j: int) -> tuple[int, str, int] | None:
        """A number of days, weeks, months or years: "10 days", "a couple of months", "3개월", "이틀"."""
        if self.w(j) in W.COUNTED:
            return (*W.COUNTED[self.w(j)], j + 1)
        j += self.w(j) == "a" and self.w(j + 1) in ("few", "couple")
        t, k = self.w(j), self.skip(j + 1, ("of",))
        n = int(t) if t.isdigit() else W.NUMBERS.get(t)
        return (n, W.UNITS[self.w(k)], k + 1) if n is not None and self.w(k) in W.UNITS else None

    def numeric(self, j: int) -> _Point | None:
        """2025-05-21, 2025/05/21, "2025. 5. 20.", 2025-05; 5/20, 05/21/2025 (month first unless it cannot be)."""
        a, sep, b, c = self.num(j), self.w(j + 1), self.num(j + 2), self.num(j + 4) if self.w(j + 3) == self.w(j + 1) else None
        if a is None or b is None or sep not in ("-", "/", ".") or len(self.w(j + 2)) > 2 or self.touches(j, "/-" + "." * (sep == "/")):
            return None
        if len(self.w(j)) == 4:  # the year first
            day, end = (c, j + 5) if c and len(self.w(j + 4)) <= 2 else (None, j + 3)
            ok = 1 <= b <= 12 and (day or sep == "-") and not self.touches(end - 1, "/-", after=True)
            return _Point(W.on(b, day), a, j, end, "day" if day else "month", b) if ok else None
        year, end = (c, j + 5) if c and sep == "/" and len(self.w(j + 4)) == 4 else (None, j + 3)
        if sep != "/" or len(self.w(j)) > 2 or self.touches(end - 1, "/%.-", after=True) or year and year not in self.years:
            return None
        month, day = (b, a) if a > 12 else (a, b)
        return _Point(W.on(month, day), year, j, end, "day", month, None if year else "slash")

    def relative(self, j: int) -> _Point | None:
        """"last week", "지난달", "the past 2 weeks", "최근 3개월", "3 days ago", "the latest digest", "last summer"."""
        t, nxt, k, newest = self.w(j), self.w(j + 1), self.skip(j + 1, ("의",)), self.newest
        r, end, clip, c = None, j + 2, False, self.count(j + 1) if t in W.RECENT else None
        c = c or ((1, W.UNITS[nxt], j + 2) if t == "past" and nxt in W.UNITS else None)  # "the past week": 7 days
        if (t in W.LATEST or t == "last" and self.w(j - 1) == "the") and self.w(k) in W.LATEST_NOUNS and self.w(k + 1) != "of":
            r, end = (newest, newest), k + 1
        elif t in W.RELATIVE_UNITS:
            r, end, clip = W.calendar_range(W.RELATIVE_UNITS[t][1], W.RELATIVE_UNITS[t][0], newest), j + 1, True
        elif t in W.RELATIVE and W.UNITS.get(nxt) in ("week", "month", "year") and self.w(j + 2) != "of":
            r, clip = W.calendar_range(W.UNITS[nxt], W.RELATIVE[t], newest), True
        elif c and self.w(c[2]) != "of":
            r, end = W.edge(c[0], c[1], True)((date.min, newest)), c[2]
        elif (c := self.count(j)) and self.w(c[2]) in ("ago", "전"):
            r, end = W.calendar_range(c[1], c[0], newest), c[2] + 1
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
        """May 21, 21 May 2025, the 21st of May, May 2025, 5월 21일, summer of 2024, Christmas 2024, 늦가을, 추석."""
        korean = self.num(j) and (self.w(j + 1) == "월" and self.toks[j + 1].glued or self.w(j + 1) in W.SPAN_TO and self.w(j + 3) == "월")
        day = None if korean else self.day(j)
        k = self.skip(j + 1, ("of",)) if day else j
        t, prefix = self.w(k), self.w(k) in W.SEASON_PREFIXES and self.w(k + 1) in W.SEASONS and self.toks[k + 1].glued
        if t in W.MONTHS or korean:
            month, e = (self.num(k) or 0, k + 1 + (self.w(k + 1) == "월")) if korean else (W.MONTHS[t], k + 1 + (self.w(k + 1) == "."))
            d, after = self.day(self.skip(e)), self.w(self.skip(e) + 1)
            if day is None and d and (not korean or after == "일" or after in W.SPAN_TO):  # "5월 21일", "5월 16~21일"
                day, e = d, self.skip(e) + 1 + (after == "일")
            year, e = self.year_after(e)
            bare = None if day or year or korean else "month"
            return _Point(W.on(month, day), year, j, e, "day" if day else "month", month, bare, None if korean else k)
        if day or not (t in W.SEASONS or t in W.HOLIDAYS or prefix):
            return None
        year, e = self.year_after(k + 1 + prefix)
        if t in W.HOLIDAYS:
            return _Point(W.on(*W.HOLIDAYS[t]), year, j, e + (self.w(e) == "연휴"))
        if self.w(k + 1) in ("et", "of") and year is None or self.touches(k, "-", after=True):
            return None  # "Winter et al.", "the fall of perplexity", "spring-based"
        within = W.months(W.SEASONS[self.w(k + prefix)], 3)
        within = _then(within, W.part(W.SEASON_PREFIXES[t], 3)) if prefix else within
        return _Point(within, year, j, e, bare=None if year or prefix else "season", word=k)

    def year_after(self, j: int) -> tuple[int | None, int]:
        """A year after an anchor: "May 2025", "May, 2025", "summer of '24", "May of last year"."""
        k = self.skip(j, (",", "of"))
        if self.w(k) in W.RELATIVE and self.w(k + 1) == "year":
            return self.newest.year - W.RELATIVE[self.w(k)], k + 2
        return (self.num(k), k + 1) if self.is_year(k) else (None, j)

    def is_year(self, k: int) -> bool:
        t, n = self.w(k), self.num(k)
        return bool(n and 1900 <= n <= 2099 and (t.isdigit() and len(t) == 4 or t[0] == "'") and self.w(k + 1) not in W.COUNT_NOUNS)

    def year(self, j: int) -> _Point | None:
        """A year alone: "in 2024", "the 2023 ViT paper", "since '23" (see admitted); Korean "2024년",
        "24년도", "작년", which may date what follows ("2024년 여름"), and "상반기", "1분기" of the latest year."""
        t, n, unit = self.w(j), self.num(j), self.w(j + 1)
        if t in W.RELATIVE_YEARS:
            return _Point(W.months(1, 12), self.newest.year - W.RELATIVE_YEARS[t], j, j + 1, "year", bare="년", clip=True)
        if n and unit in ("년", "년도") and self.toks[j + 1].glued and t.isdigit() and len(t) in (2, 4):
            return _Point(W.months(1, 12), y, j, j + 2, "year", bare="년") if (y := n if len(t) == 4 else 2000 + n) in self.years else None
        if t in ("상반기", "하반기") or unit == "분기" and self.toks[j + 1].glued:
            return _Point(W.months(1, 12), None, j, j, "year")
        ok = self.is_year(j) and n in self.years and not self.touches(j, "/") and not self.touches(j, "/", after=True)
        return _Point(W.months(1, 12), n, j, j + 1, "year", bare="year") if ok else None

    def bare(self, j: int, other: _Point) -> _Point | None:
        """A number whose unit the other end says: "May 16-21", "16–21 May", "2023~2024년", "5월 16일과 20일"."""
        n, t = self.num(j), self.w(j)
        if n is None or not other.unit or self.w(j + 1) in W.COUNT_NOUNS or self.touches(j, "%", True) or self.touches(j, "/."):
            return None
        if other.unit == "year":  # only ever the first end: "2023~2024년"
            return _Point(W.months(1, 12), n, j, j + 1, "year", bare=other.bare) if self.w(j + 1) in W.SPAN_TO and self.is_year(j) and n in self.years else None
        if not t[0].isdigit() or len(t.rstrip("stndrh")) > 2 or other.unit != "day":
            return None
        year, e = self.year_after(j + 1 + (self.w(j + 1) == "일"))
        return _Point(W.on(other.month or 0, n), year, j, e, "day", other.month, other.bare)

    def place(self, p: _Point, lent: int | None = None, by: date | None = None, after: date | None = None) -> Range | None:
        """A point in its year, else the question's one year, else the latest that starts by the newest day
        ("last summer": the latest over by then); a span's end goes by the other (by its start, or after)."""
        if p.year is not None or lent is not None and not p.ended and by is None and after is None:
            r = _in(p.within, lent if p.year is None else p.year)
        else:
            fits = lambda r: r[0] >= after if after else r[1] < self.newest if p.ended else r[0] <= (by or self.newest)  # noqa: E731
            r = next((r for y in (self.years if after else reversed(self.years)) if (r := _in(p.within, y)) and fits(r)), None)
        r = _in(lambda _: p.shift(r), 0) if r and p.shift else r
        r = (r[0], min(r[1], self.newest)) if r and p.clip and r[0] <= self.newest else r  # "this week": up to now
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
        found += (got := reader.expression(i) if reader.toks[i].num is not None or reader.w(i) in _STARTS else [])
        i = max(got[-1].end, i + 1) if got else i + 1
    lent = named.pop() if len(named := {q.year for p in found for q in (p, p.to) if q and q.year is not None}) == 1 else None
    placed, rest = [], text
    for p in found:
        if r := reader.resolve(p, lent):
            placed.append((p, r))
            lo, hi = reader.toks[p.start].start, reader.toks[p.end - 1].end
            hi = next((k for k in range(hi, len(text)) if not _hangul(text[k])), len(text))  # and its particle: "5월에"
            rest = rest[:lo] + " " * (hi - lo) + rest[hi:]
    ranges = list(dict.fromkeys(r for _, r in placed))  # "the May 20, 2024 paper ... the May 20 paper": one day
    if len(ranges) == 2 and placed[0][0].side == "between":  # "between the 2025 paper and the 2024 paper"
        return [(min(ranges[0][0], ranges[1][0]), max(ranges[0][1], ranges[1][1]))], rest
    return ranges, rest

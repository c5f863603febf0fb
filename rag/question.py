"""Question understanding, rule-based: language, day constraints and tags, in Korean or English.

Dates without a year resolve against the corpus (the latest such day the digest has, on or
before its newest day), so "5월 20일" means the digest's May 20th, not today's.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date, timedelta

_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")
_LATIN = re.compile(r"[A-Za-z]")

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

_ISO = re.compile(r"(?<!\d)(20\d\d|19\d\d)[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_ISO_MONTH = re.compile(r"(?<![\d-])(20\d\d)-(\d{1,2})(?![\d-])")
_KO_DATE = re.compile(r"(?:(\d{4})\s*년\s*)?(?:(\d{1,2})\s*월\s*)?(\d{1,2})\s*일")
_KO_MONTH = re.compile(r"(?:(\d{4})\s*년\s*)?(\d{1,2})\s*월(?!\s*\d{1,2}\s*일)")
_KO_YEAR = re.compile(r"(\d{4})\s*년(?!\s*\d{1,2}\s*월)")
_EN_MDY = re.compile(rf"\b{_MON}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s*(\d{{4}}))?", re.I)
_EN_DMY = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MON}\b(?:,?\s*(\d{{4}}))?", re.I)
_EN_MONTH = re.compile(rf"\b{_MON}(?:\s+(?:of\s+)?(\d{{4}}))?\b", re.I)
_EN_YEAR = re.compile(r"\b(?:in|from|during|of|since)\s+(20\d\d|19\d\d)\b", re.I)
_WEEK = re.compile(
    rf"\b(first|second|third|fourth|last|1st|2nd|3rd|4th)\s+week\s+of\s+{_MON}(?:\s+(\d{{4}}))?", re.I
)
_KO_WEEK = re.compile(r"(?:(\d{4})\s*년\s*)?(\d{1,2})\s*월\s*(첫|둘째|셋째|넷째|마지막)\s*(?:째\s*)?주")
_RANGE_WORDS = re.compile(r"\bbetween\b|\bfrom\b.+\b(?:to|until|through)\b|부터|에서.+까지|~|–|\bthrough\b", re.I)
_TAG = re.compile(r"#([\w\-]+)")

_WEEK_INDEX = {"first": 0, "1st": 0, "첫": 0, "second": 1, "2nd": 1, "둘째": 1,
               "third": 2, "3rd": 2, "셋째": 2, "fourth": 3, "4th": 3, "넷째": 3}

# Words that only say "list what matches": when nothing else is left, the question is a filter.
_LIST_WORDS = set(
    """which what list all show give me tell the a an of on in at from between and or to was were
    is are did does post posted appeared published digest digests papers paper entries entry articles
    article please every any there that this these those day days for with tagged tag tags about
    논문 논문들 논문들은 논문은 목록 목록을 모두 전부 알려줘 알려 주세요 보여줘 다이제스트 다이제스트의 다이제스트에
    올라온 나온 소개된 있나 있나요 있었나 무엇 뭐 뭐가 어떤 것은 것들 관련 태그 태그의 의 에 에서 과 와 및
    날짜 날 하루 리스트 정리해줘 정리""".split()
)


@dataclass(frozen=True)
class Filters:
    """Constraints applied to retrieval: any of the day ranges, any of the tags."""

    days: tuple[tuple[date, date], ...] = ()
    tags: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.days or self.tags)


@dataclass(frozen=True)
class Understanding:
    """What the rules read from a question."""

    text: str
    lang: str
    filters: Filters = field(default_factory=Filters)
    listing: bool = False  # only a filter: list the matching entries
    topic: str = ""        # the question with dates and tags removed


def detect_language(text: str) -> str:
    """'ko' when Hangul carries a real share of the letters, else 'en'."""
    hangul = len(_HANGUL.findall(text))
    latin = len(_LATIN.findall(text))
    # A Hangul syllable carries about three Latin letters' worth of text.
    return "ko" if hangul and hangul * 3 >= latin * 0.5 else "en"


_ASK_EN = re.compile(r"\b(?:answer|reply|respond|write)\s+in\s+english\b|\bin english,?\s*please\b|영어로", re.I)
_ASK_KO = re.compile(r"\b(?:answer|reply|respond|write)\s+in\s+korean\b|\bin korean,?\s*please\b|한국어로|한글로", re.I)


def answer_language(text: str) -> str:
    """The language to answer in: what the question asks for, else the question's own."""
    if _ASK_EN.search(text):
        return "en"
    if _ASK_KO.search(text):
        return "ko"
    return detect_language(text)


def _resolve(year: int | None, month: int, day_: int | None, days: list[date]) -> tuple[date, date] | None:
    """A (possibly year-less) date or month as a range; year-less ones use the corpus."""
    def span(y: int) -> tuple[date, date] | None:
        try:
            if day_ is None:
                return date(y, month, 1), date(y, month, calendar.monthrange(y, month)[1])
            d = date(y, month, day_)
            return d, d
        except ValueError:
            return None

    if not 1 <= month <= 12:
        return None
    if year is not None:
        return span(year)
    latest = days[-1] if days else date.today()
    for y in range(latest.year, (days[0].year if days else latest.year) - 1, -1):
        rng = span(y)
        if rng and rng[0] <= latest:
            return rng
    return None


def _week_range(which: str, year: int | None, month: int, days: list[date]) -> tuple[date, date] | None:
    rng = _resolve(year, month, None, days)
    if rng is None:
        return None
    first, last = rng
    if which in ("last", "마지막"):
        return last - timedelta(days=6), last
    start = first + timedelta(days=7 * _WEEK_INDEX[which])
    return start, min(start + timedelta(days=6), last)


def parse_days(text: str, corpus_days: list[date]) -> tuple[list[tuple[date, date]], str]:
    """Day ranges named in the text, and the text with those phrases removed."""
    found: list[tuple[int, tuple[date, date]]] = []
    rest = text

    def take(pattern: re.Pattern, build) -> None:
        nonlocal rest
        for m in list(pattern.finditer(rest)):
            rng = build(m)
            if rng is not None:
                found.append((m.start(), rng))
                rest = rest[: m.start()] + " " * (m.end() - m.start()) + rest[m.end():]

    def num(s: str | None) -> int | None:
        return int(s) if s else None

    take(_ISO, lambda m: _resolve(int(m[1]), int(m[2]), int(m[3]), corpus_days))
    take(_WEEK, lambda m: _week_range(m[1].lower(), num(m[3]), MONTHS[m[2].lower().rstrip(".")], corpus_days))
    take(_KO_WEEK, lambda m: _week_range(m[3], num(m[1]), int(m[2]), corpus_days))
    # "5월 16일과 20일": a bare day inherits the month and year named just before it.
    context: dict[str, int | None] = {"year": None, "month": None}

    def ko_date(m: re.Match) -> tuple[date, date] | None:
        year, month = num(m[1]) or context["year"], num(m[2]) or context["month"]
        if month is None:
            return None
        context.update(year=year, month=month)
        return _resolve(year, month, int(m[3]), corpus_days)

    take(_KO_DATE, ko_date)
    take(_EN_MDY, lambda m: _resolve(num(m[3]), MONTHS[m[1].lower().rstrip(".")], int(m[2]), corpus_days))
    take(_EN_DMY, lambda m: _resolve(num(m[3]), MONTHS[m[2].lower().rstrip(".")], int(m[1]), corpus_days))
    take(_ISO_MONTH, lambda m: _resolve(int(m[1]), int(m[2]), None, corpus_days))
    take(_KO_MONTH, lambda m: _resolve(num(m[1]), int(m[2]), None, corpus_days))
    # "may" is also a verb: a bare month name counts only when capitalised or with a year.
    take(_EN_MONTH, lambda m: _resolve(num(m[2]), MONTHS[m[1].lower().rstrip(".")], None, corpus_days)
         if (m[2] or m[1][0].isupper()) and not (m[1].lower() == "may" and not m[2] and m.start() == 0) else None)
    take(_KO_YEAR, lambda m: (date(int(m[1]), 1, 1), date(int(m[1]), 12, 31)))
    take(_EN_YEAR, lambda m: (date(int(m[1]), 1, 1), date(int(m[1]), 12, 31)))
    ranges = [rng for _, rng in sorted(found)]
    if len(ranges) == 2 and _RANGE_WORDS.search(text):
        lo = min(ranges[0][0], ranges[1][0])
        hi = max(ranges[0][1], ranges[1][1])
        ranges = [(lo, hi)]
    return ranges, rest


def _tag_variants(tag: str) -> set[str]:
    spaced = tag.replace("-", " ").replace("_", " ")
    return {tag, spaced, spaced.replace(" ", "")}


# Words that make a tag name before them a filter ("RL 논문", "reasoning papers").
_KO_CUES = "논문|연구"
_EN_CUES = "papers|entries|works"
_TAG_CUE = re.compile(f"{_KO_CUES}|{_EN_CUES}", re.I)


@lru_cache(maxsize=8)
def _tag_word_pattern(known: frozenset[str]) -> tuple[re.Pattern | None, dict[str, str]]:
    """One compiled alternation of every tag variant followed by "papers"/"논문" (per tag set)."""
    variant_to_tag: dict[str, str] = {}
    for tag in known:
        for variant in _tag_variants(tag):
            variant_to_tag.setdefault(variant.casefold(), tag)
    if not variant_to_tag:
        return None, {}
    alternation = "|".join(re.escape(v) for v in sorted(variant_to_tag, key=len, reverse=True))
    pattern = re.compile(
        rf"(?<![\w-])({alternation})(?:\s*(?:관련\s*)?(?:{_KO_CUES})|\s+(?:{_EN_CUES}))", re.I
    )
    return pattern, variant_to_tag


def parse_tags(text: str, known_tags: Iterable[str]) -> tuple[list[str], str]:
    """Tags named in the text: `#tag`, or a known tag right before "papers"/"논문"."""
    known = frozenset(known_tags)
    tags: list[str] = []
    rest = text
    for m in list(_TAG.finditer(text)):
        tag = m[1].lower()
        if tag in known or not known:
            tags.append(tag)
            rest = rest.replace(m[0], " ", 1)
    # The alternation of every tag variant is slow to scan; most questions lack its cue words.
    pattern, variant_to_tag = _tag_word_pattern(known) if _TAG_CUE.search(rest) else (None, {})
    if pattern is not None:
        for m in list(pattern.finditer(rest)):
            tag = variant_to_tag[m[1].casefold()]
            if tag not in tags:
                tags.append(tag)
        rest = pattern.sub(" ", rest)
    return tags, rest


_JOSA = re.compile(r"(?<=[\uac00-\ud7a3])(?:들)?(?:은|는|이|가|을|를|의|에|에서|으로|로|과|와|도|만|이랑|랑)?$")


def _residual_words(text: str) -> list[str]:
    words = [_JOSA.sub("", w) for w in re.findall(r"[\w\-]+", text.lower())]
    return [w for w in words if w and w not in _LIST_WORDS and not w.isdigit()]


def understand(text: str, corpus_days: list[date], known_tags: Iterable[str]) -> Understanding:
    """Read language, day ranges and tags from a question; flag pure filter questions."""
    ranges, rest = parse_days(text, corpus_days)
    tags, rest = parse_tags(rest, known_tags)
    filters = Filters(days=tuple(ranges), tags=tuple(tags))
    residual = _residual_words(rest)
    return Understanding(
        text=text,
        lang=answer_language(text),
        filters=filters,
        listing=bool(filters) and not residual,
        topic=" ".join(rest.split()),
    )

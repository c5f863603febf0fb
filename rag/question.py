"""Question understanding, rule-based: language, day constraints and tags, in Korean or English.

Day constraints are read by `rag.dates`, against the corpus's days.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from rag.dates import parse_days

_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")
_LATIN = re.compile(r"[A-Za-z]")

_TAG = re.compile(r"#([\w\-]+)")

# Words that only say "list what matches": when nothing else is left, the question is a filter.
_LIST_WORDS = set(
    """which what list all show give me tell the a an of on in at from between and or to was were
    is are did does post posted appeared published digest digests papers paper entries entry articles
    article please every any there that this these those day days for with tagged tag tags about
    논문 논문들 논문들은 논문은 목록 목록을 모두 전부 알려줘 알려 주세요 보여줘 다이제스트 다이제스트의 다이제스트에
    올라온 나온 소개된 있나 있나요 있었나 무엇 뭐 뭐가 어떤 것은 것들 관련 태그 태그의 의 에 에서 과 와 및
    날짜 날 하루 리스트 정리해줘 정리 붙은 붙 달린 latest newest recent 최근 최신
    since after before until till onward onwards later 이후 이전 까지 부터 은 는 이 가 을 를 로 으로 도""".split()
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


def _tag_key(tag: str) -> str:
    """One spelling for a tag's variants: "efficient-training" and "efficient_training" meet."""
    return re.sub(r"[\s_\-]+", "", tag.casefold())


def _tag_variants(tag: str) -> set[str]:
    spaced = tag.replace("-", " ").replace("_", " ")
    return {tag, spaced, spaced.replace(" ", "")}


# Words that make a tag name next to them a filter ("RL 논문", "reasoning papers", "rl 태그",
# "tagged rl"); without one, a tag name is only a topic word.
_KO_CUES = "논문|연구"
_EN_CUES = "papers|entries|works"
_TAG_CUE = re.compile(rf"{_KO_CUES}|{_EN_CUES}|태그|\btag", re.I)


@lru_cache(maxsize=8)
def _tag_word_pattern(known: frozenset[str]) -> tuple[re.Pattern | None, dict[str, tuple[str, ...]]]:
    """One compiled alternation of every tag variant next to a cue word (per tag set), and
    each variant's tags (every spelling of it the digest uses)."""
    spellings = _tag_spellings(known)
    variant_to_tags = {v.casefold(): spellings[_tag_key(tag)] for tag in known for v in _tag_variants(tag)}
    if not variant_to_tags:
        return None, {}
    alternation = "|".join(re.escape(v) for v in sorted(variant_to_tags, key=len, reverse=True))
    pattern = re.compile(
        rf"(?<![\w-])({alternation})(?:\s*(?:관련\s*)?(?:{_KO_CUES})|\s+(?:{_EN_CUES})|\s*태그|\s+tags?\b)"
        rf"|\btagged\s+(?:with\s+|as\s+)?(?:the\s+)?#?({alternation})(?![\w-])",
        re.I,
    )
    return pattern, variant_to_tags


@lru_cache(maxsize=8)
def _tag_spellings(known: frozenset[str]) -> dict[str, tuple[str, ...]]:
    """Tags by their one spelling (_tag_key)."""
    by_key: dict[str, list[str]] = {}
    for tag in sorted(known):
        by_key.setdefault(_tag_key(tag), []).append(tag)
    return {key: tuple(tags) for key, tags in by_key.items()}


def parse_tags(text: str, known_tags: Iterable[str]) -> tuple[list[str], str]:
    """Tags named in the text: `#tag`, or a known tag next to "papers"/"논문"/"tagged"."""
    known = frozenset(known_tags)
    tags: list[str] = []
    rest = text
    for m in list(_TAG.finditer(text)):
        tag = m[1].lower()
        if tag in known or not known:
            tags.extend(t for t in _tag_spellings(known).get(_tag_key(tag), (tag,)) if t not in tags)
            rest = rest.replace(m[0], " ", 1)
    # The alternation of every tag variant is slow to scan; most questions lack its cue words.
    pattern, variant_to_tags = _tag_word_pattern(known) if _TAG_CUE.search(rest) else (None, {})
    if pattern is not None:
        for m in list(pattern.finditer(rest)):
            tags.extend(t for t in variant_to_tags[(m[1] or m[2]).casefold()] if t not in tags)
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

"""Question understanding, rule-based: language, day constraints and tags, in Korean or English.

Day constraints are read by `rag.ask.dates`, against the corpus's days.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from rag.ask.authors import read_authors
from rag.ask.dates import parse_days
from rag.index.tokens import analyse_query, english_stems, tokenize_query
from rag.model import Filters, Range
from rag.names import Roster
from rag.text import HANGUL

_LATIN = re.compile(r"[A-Za-z]")

_TAG = re.compile(r"#([\w\-]+)")

# What is left of a question once its dates and tags are read, when it only says "list what
# matches": its tokens (rag.index.lexical: Kiwi morphemes, English stems, its stopwords dropped)
# are all among these. Korean is written as Kiwi's morphemes ("올라온" -> 올라오), English
# as words the stemmer reduces the way the tokenizer does.
_LIST_TOKENS_KO = set(
    """목록 리스트 모두 전부 전체 다 정리 알리 보이 보여주 찾 올라오 나오 소개 게시 공개 발표 있 무엇 뭐
    어떤 것 관련 태그 붙 달리 날짜 날 하루 주 주간 달 동안 기간 사이 간 중 최근 최신 이후 이전
    의 에 은 는 이 가 을 를 과 와 도 로 으로 에서 태
    실리 수록 게재 등장 다루 포함 언급 올리 업로드 나열 하""".split()
)
_LIST_WORDS_EN = """which what list all show give me tell every everything any there that this these those new
    a an the of on in at from between and or to was were is are did does do for with about please article articles
    entry entries paper papers digest digests item items one ones get find see let know want need could would can
    up during week weeks month months year years
    post posted appear appeared publish published cover covered include included feature featured release
    released come came out day days tag tags tagged latest newest recent since after before until till
    through onward onwards later got anything something have has had issue issues edition editions carry
    carries carried contain contains hold holds introduce introduced present presented highlight highlighted
    s""".split()  # "s": what the tokenizer leaves of "what's"


@lru_cache(maxsize=1)
def _list_tokens() -> frozenset[str]:
    return frozenset(_LIST_TOKENS_KO | english_stems(_LIST_WORDS_EN))


@dataclass(frozen=True)
class Understanding:
    """What the rules read from a question."""

    text: str
    lang: str
    filters: Filters = field(default_factory=Filters)
    listing: bool = False  # only a filter: list the matching entries
    topic: str = ""        # the question with dates and tags removed
    asks_list: bool = False  # nothing but "list them" is asked (a listing once any filter applies)
    many: bool = False     # asks for every entry on a topic ("which papers ...", "관련 논문들")
    parts: tuple[str, ...] = ()  # a comparison's two described papers, each searched alone
    # Each part's own days when a side of a comparison names some ("the 2023 paper that ...,
    # and the 2024 paper that ..."; () for a side that names none), else (): every part then
    # searches under `filters`.
    part_days: tuple[tuple[Range, ...], ...] = ()
    unknown_authors: tuple[str, ...] = ()  # people the question names whom the digest never lists


def detect_language(text: str) -> str:
    """'ko' when Hangul carries a real share of the letters, else 'en'."""
    hangul = len(HANGUL.findall(text))
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


def match_key(tag: str) -> str:
    """What a tag name and the words naming it in a question share: "efficient training",
    "efficient-training" and "EfficientTraining" meet."""
    return re.sub(r"[\s_\-]+", "", tag.casefold())


def _tag_variants(tag: str) -> set[str]:
    spaced = tag.replace("-", " ").replace("_", " ")
    return {tag, spaced, spaced.replace(" ", "")}


# Words that make a tag name next to them a filter ("RL 논문", "reasoning papers", "rl 태그",
# "tagged rl", "with the rl tag", "태그가 rl인"); without one, a tag name is only a topic word.
_KO_CUES = "논문|연구"
_EN_CUES = "papers|entries"
_TAG_CUE = re.compile(rf"{_KO_CUES}|{_EN_CUES}|태그|\btag", re.I)
_LIST_SEP = r"\s*(?:,|/|&|\band\b|\bor\b|및|과|와|이나)\s*"
# A tag this rare ("ai": one entry) is more likely a topic word than a filter: it counts
# only when it is named as a tag (#ai, "tagged ai", "ai 태그").
MIN_CUED_TAG_ENTRIES = 3


@dataclass(frozen=True)
class _TagPatterns:
    """The compiled tag patterns of one tag set (see _tag_patterns)."""

    cued: re.Pattern       # a list of tag names next to a cue word
    item: re.Pattern       # one tag name, to split a matched list
    tags_of: dict[str, tuple[str, ...]]  # variant (casefolded) -> every spelling of its tag


def _trie_pattern(words: list[str]) -> str:
    """One regex alternation of the words, factored by common prefixes so matching does not
    try a thousand alternatives at each position; longer words win as in a sorted alternation."""
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


@lru_cache(maxsize=8)
def _tag_patterns(known: frozenset[str]) -> _TagPatterns | None:
    """One alternation of every tag variant, compiled into the cue patterns (per tag set)."""
    spellings = _tag_spellings(known)
    tags_of = {v.casefold(): spellings[match_key(tag)] for tag in known for v in _tag_variants(tag)}
    if not tags_of:
        return None
    alt = _trie_pattern(sorted(tags_of))
    names = rf"#?(?:{alt})(?:{_LIST_SEP}#?(?:{alt}))*"
    cued = re.compile(
        rf"(?<![\w-])(?P<loose>{names})(?![\w-])\s*(?:관련\s*)?(?:{_KO_CUES})"
        rf"|(?<![\w-])(?P<loose_en>{names})\s+(?:{_EN_CUES})\b"
        rf"|(?<![\w-])(?P<ko_tag>{names})(?![\w-])\s*태그"
        rf"|\btagged\s+(?:with\s+|as\s+)?(?:the\s+)?(?P<tagged>{names})(?![\w-])"
        rf"|(?<![\w-])(?P<hyphen_tagged>{names})-tagged\b"
        rf"|\b(?:with|under)\s+the\s+(?P<the_tag>{names})\s+tags?\b"
        rf"|태그(?:가|는)\s*(?P<ko_is>{names})\s*(?:인|이고|이거나|이)",
        re.I,
    )
    return _TagPatterns(cued, re.compile(rf"(?<![\w-])(?:{alt})(?![\w-])", re.I), tags_of)


@lru_cache(maxsize=8)
def _tag_spellings(known: frozenset[str]) -> dict[str, tuple[str, ...]]:
    """Tags by their match_key (a tag the digest spelled two ways is one tag since parsing, but a
    hand-made index may still hold both)."""
    by_key: dict[str, list[str]] = {}
    for tag in sorted(known):
        by_key.setdefault(match_key(tag), []).append(tag)
    return {key: tuple(tags) for key, tags in by_key.items()}


def _names_a_tag(text: str, tags_of: dict[str, tuple[str, ...]]) -> bool:
    """Whether any run of up to four words of the text is a tag variant."""
    # "rl-tagged" names the tag rl.
    words = re.findall(r"[a-z0-9_\-]+|[^\W\da-z_]+", re.sub(r"-(?=tagged\b)", " ", text.casefold()))
    return any(" ".join(words[i : i + n]) in tags_of for n in range(1, 5) for i in range(len(words) - n + 1))


def parse_tags(text: str, known_tags: Mapping[str, int] | Iterable[str], papers_cue: bool = True) -> tuple[list[str], str]:
    """Tags named in the text: `#tag`, or known tags next to a cue ("RL 논문", "tagged rl").

    `known_tags` may carry each tag's number of entries (an index's tag Counter): a rare tag
    then needs `#`, "tagged" or "태그" to count. With `papers_cue` False, a tag name next to
    "논문"/"papers" alone is not a tag.
    """
    counts = known_tags if isinstance(known_tags, Mapping) else {}
    known = frozenset(known_tags)
    spellings = _tag_spellings(known)
    tags: list[str] = []
    rest = text
    for m in list(_TAG.finditer(text)):
        tag = m[1].lower()
        if match_key(tag) in spellings or not known:
            tags.extend(t for t in spellings.get(match_key(tag), (tag,)) if t not in tags)
            rest = rest.replace(m[0], " ", 1)
    # The alternation of every tag variant is slow to scan: only a question with a
    # cue word and a tag's name in it gets there.
    patterns = _tag_patterns(known) if _TAG_CUE.search(rest) else None
    if patterns is None or not _names_a_tag(rest, patterns.tags_of):
        return tags, rest
    taken: list[re.Match] = []
    for m in patterns.cued.finditer(rest):
        by_papers = m["loose"] or m["loose_en"]
        if by_papers and (not papers_cue or _ends_a_phrase(rest[: m.start()])):
            continue
        branch = m.lastgroup
        assert branch is not None  # each branch of `cued` ends in its own named group
        named = [patterns.tags_of[name.casefold()] for name in patterns.item.findall(m[branch])]
        if by_papers:
            named = [spelled for spelled in named if sum(counts.get(t, MIN_CUED_TAG_ENTRIES) for t in spelled) >= MIN_CUED_TAG_ENTRIES]
        if named:
            tags.extend(t for spelled in named for t in spelled if t not in tags)
            taken.append(m)
    for m in reversed(taken):  # from the end, so earlier offsets stay valid
        rest = rest[: m.start()] + " " + rest[m.end():]
    return tags, rest


# English words that may stand before a tag name used as a filter ("the RL papers", "new
# reasoning papers"). Any other English word makes the tag name the end of a longer name
# ("length generalization 논문", "vision language model papers"): a topic, not a tag.
_TAG_LEADS = set(
    """the which what all any new recent latest newest other some more those these about on of for in from
    list show find see give me are were did many few good best interesting notable and or with two three
    several their its""".split()
)


def _ends_a_phrase(before: str) -> bool:
    """Whether the text before a tag name ends in an English word that joins it to a longer name."""
    prev = re.search(r"([A-Za-z][\w\-]*)\s+$", before)
    return prev is not None and prev[1].lower() not in _TAG_LEADS


def _residual_words(text: str) -> list[str]:
    """The question's own words once dates and tags are gone (empty: a pure filter question)."""
    return _content(tokenize_query(text))


def content_tokens(text: str) -> list[str]:
    """The tokens of a text that say what it is about (no list-asking words, no numbers)."""
    return list(dict.fromkeys(_content(tokenize_query(text))))


def _content(tokens: Iterable[str]) -> list[str]:
    """The tokens that say what is asked about: not list-asking words, not bare numbers."""
    return [t for t in tokens if t not in _list_tokens() and not t.isdigit()]


# A question that compares or contrasts: its two sides are searched apart, since one query
# vector for two different papers lands between them.
COMPARE = re.compile(r"\b(compare|comparison|contrast|versus|vs\.?|differ|differences?|both)\b|비교|차이|각각", re.I)
# Where a comparison's second side starts, most telling first: ", and the 2025 paper ...",
# "... with the empirical study ...", "...한 논문과, ...한 모델을 비교". Splitting at a bare "and"
# or "와" would cut descriptions ("images with a VQ-VAE and models the prior") in half.
_SIDE_BREAKS = [
    re.compile(r"[,;]\s*(?:and\s+|while\s+)?(?=the other\b)|[,;]\s*(?=다른 하나는)", re.I),
    re.compile(r",\s*(?:and|with|versus|vs\.?)\s+(?=(?:the|a|an|that|its)\b)", re.I),
    re.compile(r"\s+(?:with|to|against|versus|vs\.?)\s+(?=the\b)", re.I),
    re.compile(r"(?<=논문|모델|연구|방법|기법|접근)(?:과|와|이랑|하고)\s*,\s*"),
    re.compile(r"(?:(?<=논문|모델|연구|방법|기법|접근)|(?<=[A-Za-z0-9)]))(?:과|와|이랑|하고)\s+"),
    re.compile(r"\s+(?:and|versus|vs\.?)\s+(?=(?:the|a|an)\b)", re.I),
    # "with a"/"to an" more often goes on describing one paper ("the LLM with a memory pool").
    re.compile(r"\s+(?:with|to|against)\s+(?=an?\b)", re.I),
    re.compile(r",\s*그리고\s+"),
    # Two papers named, not described: "Compare Emu3 and CogVideoX", "How do IneqMath and
    # Kimina-Prover differ", "NVILA vs Emu2".
    re.compile(r"\s+(?:and|versus|vs\.?)\s+(?=[A-Z0-9][\w\-.]*[A-Z0-9])"),
]
_MIN_SIDE_CHARS = 8
# Where a long description changes clause: punctuation, or (found by Kiwi, see
# `rag.index.tokens.Analysis.clause_ends`) a Korean ending that joins two clauses ("...바꿔서 ...").
_CLAUSE_PUNCT = re.compile(r"[,;:]\s+")
# A piece shorter than this ("With GRPO,") joins the next one rather than standing alone.
_MIN_CLAUSE_CHARS = 12


# A question for every entry on a topic, not for one paper: a plural word for entries
# ("which papers ...", "논문들", "관련 논문", "모두"), or "list"/"any". One-paper questions
# ("Which paper ...", "...한 논문은?") have none of these.
_MANY = re.compile(
    r"\b(?:which|what|list|all|any|show|find|name)\b(?:\s+(?!(?:from|of|in|on|with|by|and)\b)[\w#\-()]+){0,3}?"
    r"\s+(?:papers|entries|articles)\b"
    r"|^\s*list\b|\bpapers\s+(?:on|about|that|which|from|in|dealing|studying)\b"
    r"|논문들|연구들|항목들|것들|관련\s*(?:논문|연구)|목록|(?:모두|전부|다)\s*(?:알려|보여|찾아|정리|나열)|정리해",
    re.I,
)


def asks_for_many(text: str) -> bool:
    """Whether a question asks for every entry on its topic rather than one paper."""
    return bool(_MANY.search(text)) and not COMPARE.search(text)


def comparison_sides(topic: str) -> tuple[str, ...]:
    """The two papers a comparison question describes, or () when it is not one."""
    if not COMPARE.search(topic):
        return ()
    for brk in _SIDE_BREAKS:
        for m in brk.finditer(topic):
            before, after = topic[: m.start()].strip(), topic[m.end():].strip()
            if _bracket_depth(before) == 0 and _a_side(before) and _a_side(after):
                return before, after
    return ()


def _a_side(text: str) -> bool:
    """Whether a piece can stand as one side: a description, or a name ("MDETR", "Emu3")."""
    return len(text) >= _MIN_SIDE_CHARS or bool(re.search(r"[A-Z][\w\-]*[A-Z0-9]|[A-Za-z]+\d", text))


def _bracket_depth(text: str) -> int:
    """How many brackets are open at the end of text: a break inside "(... to a CLIP
    encoder ...)" is part of one side's description, not the start of the other side."""
    depth = 0
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}" and depth:
            depth -= 1
    return depth


def clauses(text: str) -> tuple[str, ...]:
    """The clauses of a long description, or () when it has fewer than two.

    A question that paraphrases one sentence of an abstract in one clause and another in the
    next matches each sentence better than it matches the abstract as a whole. Pieces with
    no words of their own (what a date or tag left: "에 올라온 논문 중에서") are not clauses,
    and nothing inside brackets splits.
    """
    analysis = analyse_query(text)
    cuts = sorted({m.end() for m in _CLAUSE_PUNCT.finditer(text)} | set(analysis.clause_ends))
    bounds = [0, *(c for c in cuts if _bracket_depth(text[:c]) == 0), len(text)]
    pieces: list[str] = []
    carry = ""
    for lo, hi in zip(bounds, bounds[1:]):
        words = _content(t for t, start in zip(analysis.tokens, analysis.starts) if lo <= start < hi)
        piece = (carry + " " + text[lo:hi].strip().rstrip(",;:")).strip() if words else carry
        carry = "" if len(piece) >= _MIN_CLAUSE_CHARS else piece
        if not carry and piece:
            pieces.append(piece)
    if carry and pieces:
        pieces[-1] = f"{pieces[-1]} {carry}"
    return tuple(pieces) if len(pieces) > 1 else ()


def understand(
    text: str, corpus_days: list[date], known_tags: Mapping[str, int] | Iterable[str], roster: Roster | None = None,
) -> Understanding:
    """Read language, day ranges, authors and tags from a question; flag pure filter questions."""
    ranges, after_days = parse_days(text, corpus_days)
    people = read_authors(after_days, roster)
    after_days = people.rest
    tags, rest = parse_tags(after_days, known_tags)
    asks_list = not _residual_words(rest)
    listing = bool(ranges or tags or people.known) and asks_list
    if tags and not listing:
        # A question about something more than a tag ("sparse attention 논문 중 NSA보다 효율적인
        # 것") keeps a tag named only by "논문"/"papers" as words of its topic: as a filter
        # it would hide the entries on that topic that the digest tagged otherwise. (With no
        # tag found at all, reading again without that cue could find none either.)
        tags, rest = parse_tags(after_days, known_tags, papers_cue=False)
    topic = " ".join(rest.split())
    parts = comparison_sides(topic)
    return Understanding(
        text=text,
        lang=answer_language(text),
        filters=Filters(days=tuple(ranges), tags=tuple(tags), authors=people.known),
        listing=listing,
        topic=topic,
        asks_list=asks_list,
        many=asks_for_many(text),
        parts=parts,
        part_days=_days_of_sides(text, parts, corpus_days, known_tags, ranges) if parts and ranges else (),
        unknown_authors=people.unknown,
    )


def _days_of_sides(
    text: str, parts: tuple[str, ...], corpus_days: list[date], known_tags: Mapping[str, int] | Iterable[str],
    whole: list[Range],
) -> tuple[tuple[Range, ...], ...]:
    """The days each side of a comparison names ("the 2023 paper that ..., and the 2024 ...").

    The question is split again with its dates in; the days count only where that split gives
    the same two sides as the topic's (else they could land on the wrong side), and only when
    they lie inside the whole question's days (read alone, a side's "May 20" may be another
    year). A side that names no days searches without a day filter. () when nothing counts.
    """
    read = [parse_days(side, corpus_days) for side in comparison_sides(text)]
    topics = tuple(" ".join(parse_tags(rest, known_tags, papers_cue=False)[1].split()) for _, rest in read)
    days = tuple(tuple(ranges) for ranges, _ in read)
    inside = all(any(lo <= a and b <= hi for lo, hi in whole) for side in days for a, b in side)
    return days if topics == parts and any(days) and inside else ()

"""Which entries are about a topic ("what did the digest cover on X in Y"), decided per entry.

A fixed top 10 holds only part of what the digest has on a topic, a score threshold cannot
tell a paper on the topic from one that shares its words, and a tag is usually broader than
the topic (#efficiency for "FlashAttention kernels"). So each candidate is judged on its own
text: the topic's term written out (when the digest uses the topic's words as a phrase,
"reward model"), the share of the topic's rare-word weight it holds (each word or one of its
translations from the term bridge, in title, abstract or commentary) together with its rank
in the hybrid (semantic + lexical) search, and, only when the topic is a tag's own name or
the user named the tag, that tag. Candidates are the period's best hybrid hits plus every
entry of the period that holds the topic's rarest word, so a member ranked past the search's
depth is not lost.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from rag.ask.question import Understanding, content_tokens, match_key
from rag.ask.retrieve import hybrid, search_index
from rag.ask.terms import (
    KO_PARTICLE,
    entry_text,
    group_weight,
    grouped_coverage,
    phrase_patterns,
    term_groups,
)
from rag.index.reader import Index, IndexView
from rag.index.tokens import analyse_query, english_stems
from rag.model import Entry, Filters, Hit
from rag.text import HANGUL

# An entry is about the topic when the share of the topic's rare-word weight it holds, plus
# RANK_WEIGHT times its fused search score relative to the best candidate's, reaches
# MEMBER_BAR (so an entry holding every rare word needs a fair rank, and a top-ranked one
# some of the words). Chosen on half of eval/topics.jsonl by benchmarks/calibrate_members.py,
# which also reports the other half (figures in README.md, "Evaluation and benchmarks").
RANK_WEIGHT = 2.0
MEMBER_BAR = 1.8
# However well it ranks, an entry holding less than this share of the topic's words is not
# about it (the best candidate of a period without the topic would otherwise always be).
COVER_FLOOR = 0.15
# How many ranked entries are judged, besides the entries holding the topic's rarest word.
DEPTH = 200
# A run of topic words is a term when at least this many candidates write it as a phrase.
MIN_PHRASE_ENTRIES = 2
PHRASE_SHARE = 0.6
# A one-word topic is a term when at most this share of entries (or, in a small index, this
# many) hold the word.
SINGLE_TERM_MAX_SHARE = 0.05
SINGLE_TERM_MIN_DF = 10
# Candidates beyond the hybrid hits: at most this many entries holding the rarest word.
POSTING_CANDIDATES = 1500
# A tag is "the tag most members carry" when this share of them does.
TAG_SHARE = 0.5
_WORD = re.compile(r"[a-z0-9]+")
_COMPARE_EN = "compare comparison comparing contrast differ difference differences versus vs both two three each"
_COMPARE_KO = "비교 차이 각각 두 세 연구 둘"
_GENERIC = {"model", "models", "learning", "method", "methods", "network", "networks"}


@dataclass(frozen=True)
class Membership:
    """The entries about a topic under the question's filters, and what the count means."""

    members: list[Hit]            # most relevant first
    phrase: str = ""              # the topic as the question words it
    tag: str = ""                 # the tag most members carry, when it does not stand for the topic
    tag_rest: int = 0             # entries with that tag under the filters that are not about it
    standing_tags: tuple[str, ...] = ()  # tags standing for the topic (named by the user or the topic)


def phrase_of(topic: str, tokens: Sequence[str]) -> str:
    """The words of the question that name its topic ("FlashAttention kernels", "지식 증류")."""
    analysis = analyse_query(topic)
    wanted = set(tokens)
    starts = [s for t, s in zip(analysis.tokens, analysis.starts) if t in wanted]
    words = []
    for m in re.finditer(r"[\w\-]+", topic):
        if any(m.start() <= s < m.end() for s in starts):
            words.append(KO_PARTICLE.sub("", m[0]) if HANGUL.search(m[0]) else m[0])
    return " ".join(w for w in words if w)


def standing_tags(view: IndexView, u: Understanding, tokens: Sequence[str]) -> tuple[str, ...]:
    """Tags that stand for the topic: the ones the user named, or a tag whose own name the
    topic is ("mixture-of-experts" is #moe; "MoE routing collapse" is not)."""
    if u.filters.tags:
        return u.filters.tags
    korean = [t for t in tokens if HANGUL.search(t)]
    phrase = phrase_of(u.topic, tokens)
    if korean:  # a Korean term names a tag through the glossary ("지식 증류": distillation)
        english = view.bridge.english_of(korean)
        if english is None:
            return ()
        phrase = f"{english} {phrase}"  # with the Latin words it was written beside, if any
    words = list(dict.fromkeys(_WORD.findall(phrase.casefold())))
    if not words:
        return ()
    joined, initials = "".join(words), "".join(w[0] for w in words)
    singular = joined[:-1] if joined.endswith("s") else joined
    exact, loose = [], []
    for tag in view.tags:
        key = match_key(tag)
        own = [w for w in _WORD.findall(tag.casefold()) if w not in _GENERIC]
        if len(key) >= 2 and (key in (joined, singular) or (len(words) > 1 and key == initials)):
            exact.append(tag)
        elif own and sorted(own) == sorted(w.rstrip("s") for w in words if w not in _GENERIC):
            loose.append(tag)
    # "reward models" is #reward-model; #reward only stands for it when no tag is its name.
    return tuple(sorted(exact or loose))


def _candidates(view: IndexView, u: Understanding, groups: list[tuple[str, ...]], hits: list[Hit]) -> list[int]:
    """Rows to judge: the hits, and the period's entries holding the rarest word (any spelling)."""
    rows = [view.lexical.position(h.entry.id) for h in hits if h.entry.id in view.entries]
    admitted = view.admitted(replace(u.filters, tags=()) if not u.filters.tags else u.filters)
    if groups:
        rarest = max(groups, key=lambda g: group_weight(view, g))
        holding = np.unique(np.concatenate([view.lexical.rows_holding(t) for t in rarest]))
        holding = holding[admitted[holding]] if len(holding) else holding
        rows += [int(r) for r in holding[:POSTING_CANDIDATES]]
    return list(dict.fromkeys(rows))


def topic_tokens(topic: str) -> list[str]:
    """The topic's content tokens without the words that ask for a comparison."""
    skip = _comparison_words()
    return [t for t in content_tokens(topic) if t not in skip]


@lru_cache(maxsize=1)
def _comparison_words() -> frozenset[str]:
    return frozenset(english_stems(_COMPARE_EN.split()) | set(_COMPARE_KO.split()))


@dataclass(frozen=True)
class Judged:
    """What membership reads of one candidate entry."""

    hit: Hit
    coverage: float      # share of the topic's rare-word weight it holds (any language)
    rank: float          # its fused score in the topic's own search, relative to the best
    writes_term: bool    # it writes the topic's term (when the topic is one)
    tagged: bool         # it carries a tag standing for the topic

    has_term: bool = False  # the topic is a term the digest uses: writing it is what counts

    @property
    def member(self) -> bool:
        """Whether the entry is about the topic."""
        if self.tagged or self.writes_term:
            return True
        return not self.has_term and self.coverage >= COVER_FLOOR and self.coverage + RANK_WEIGHT * self.rank >= MEMBER_BAR


def judge(index: Index, u: Understanding, hits: list[Hit]) -> tuple[str, tuple[str, ...], list[Judged]]:
    """The topic's phrase, its standing tags, and every candidate judged.

    The ranking signal comes from a search for the topic's own words ("LoRA variants"), not
    the whole question ("What did the digest cover on LoRA variants?"): list-asking words
    only blur it.
    """
    view = index.view()
    tokens = topic_tokens(u.topic)
    phrase = phrase_of(u.topic, tokens)
    if len(phrase) >= 2 and phrase != u.topic:
        hits = hybrid(view, index.embedder, replace(u, topic=phrase, parts=()), DEPTH)
    groups = term_groups(view, tokens)
    tags = standing_tags(view, u, tokens)
    rows = _candidates(view, u, groups, hits)
    if tags:
        rows = list(dict.fromkeys(rows + [int(r) for r in np.flatnonzero(view.admitted(replace(u.filters, tags=tags)))]))
    entries = [view.entries[view.lexical.entry_ids[r]] for r in rows]
    cover = grouped_coverage(view, groups, np.array(rows)) if groups and rows else np.zeros(len(rows))
    term = _collocation(view, phrase_patterns(u.topic, tokens), groups, entries)
    # A topic of one rare word ("GRPO", "grokking", "pruning") is a term of its own: an entry
    # holding it, in either language, writes it.
    common = max(SINGLE_TERM_MAX_SHARE * len(view.lexical.entry_ids), SINGLE_TERM_MIN_DF)
    word_is_term = len(groups) == 1 and all(view.lexical.df(t) <= common for t in groups[0])
    known = {h.entry.id: h for h in hits}
    best = max((h.score for h in hits), default=0.0) or 1.0
    judged = []
    for entry, coverage in zip(entries, cover):
        hit = known.get(entry.id) or Hit(entry=entry, score=0.0)
        judged.append(Judged(
            replace(hit, coverage=float(coverage)), float(coverage), hit.score / best,
            bool(term and term.search(entry_text(entry))) or (word_is_term and coverage >= 1.0),
            bool(set(tags) & set(entry.tags)), has_term=term is not None,
        ))
    return phrase, tags, judged


def members(index: Index, u: Understanding, hits: list[Hit]) -> Membership:
    """Every entry under the question's filters whose own text is about its topic, most
    relevant first."""
    phrase, tags, judged = judge(index, u, hits)
    chosen = sorted((j for j in judged if j.member), key=lambda j: (-(j.coverage + j.hit.dense + j.rank), j.hit.entry.id))
    return _with_tag_count(index.view(), u, Membership([j.hit for j in chosen], phrase, standing_tags=tags))


def _collocation(
    view: IndexView, patterns: list[tuple[re.Pattern, tuple[str, ...]]], groups: list[tuple[str, ...]],
    entries: list[Entry],
) -> re.Pattern | None:
    """The topic's phrase, when the topic is essentially that phrase (PHRASE_SHARE of the
    rare-word weight of its words in the phrase's script: "보상 모델(reward model)" is the term
    "reward model" written twice) and the digest uses it as a term ("reward model": at least
    MIN_PHRASE_ENTRIES candidates write it so); None for a description ("LoRA variants",
    "multi-agent systems trained with reinforcement learning")."""
    weight = {g[0]: group_weight(view, g) for g in groups}
    for pattern, run in patterns:
        korean = bool(HANGUL.search(run[0]))
        total = sum(w for t, w in weight.items() if bool(HANGUL.search(t)) == korean) or 1.0
        if sum(weight.get(t, 0.0) for t in set(run)) / total < PHRASE_SHARE:
            continue
        if sum(1 for e in entries if pattern.search(entry_text(e))) >= MIN_PHRASE_ENTRIES:
            return pattern
    return None


def _with_tag_count(view: IndexView, u: Understanding, m: Membership) -> Membership:
    """Name the tag most members carry and how many of its entries are not about the topic."""
    if not m.members or m.standing_tags:
        return m
    counts = Counter(t for h in m.members for t in set(h.entry.tags))
    if not counts:
        return m
    tag, count = counts.most_common(1)[0]
    if count < TAG_SHARE * len(m.members):
        return m
    tagged = int(view.admitted(replace(u.filters, tags=(tag,))).sum())
    return replace(m, tag=tag, tag_rest=max(tagged - count, 0))


def topic_members(index: Index, question: str, filters: Filters | None = None) -> list[Hit]:
    """The entries a question admits, as an answer decides them: every entry passing a pure
    filter question (a day, a tag, an author), else every entry about its topic."""
    found = search_index(index, question, k=DEPTH, filters=filters, k_many=DEPTH)
    u = found.understanding
    if u.listing:
        return found.hits
    return members(index, u, found.hits).members

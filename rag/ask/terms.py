"""A question's words with their translations: what crosses the language gap offline.

Each content token of a question forms a group with its translations from the term bridge
(`rag.index.bridge`); an entry holds a group when it holds any spelling of it. Lexical search
looks for every spelling, and coverage (how much of the question's rare-word weight an entry
holds) counts a word as held in either language, so an English question about an entry with
only Korean commentary is not judged weak for the language it was asked in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from rag.index.reader import IndexView
from rag.index.tokens import analyse_query
from rag.model import Entry
from rag.text import HANGUL

# A translation is used only when it is informative: held by at most this share of entries
# (or TRANSLATION_MIN_DF entries, in a small index). "모델" -> "model" would only add noise.
TRANSLATION_MAX_SHARE = 0.05
TRANSLATION_MIN_DF = 10


def translations(view: IndexView, token: str) -> list[str]:
    """The term bridge's informative translations of one token."""
    limit = max(TRANSLATION_MAX_SHARE * len(view.lexical.entry_ids), TRANSLATION_MIN_DF)
    return [x for x in view.bridge.translations(token) if x != token and view.lexical.df(x) <= limit]


def term_groups(view: IndexView, tokens: Sequence[str]) -> list[tuple[str, ...]]:
    """Each content token with its informative translations from the term bridge."""
    return [(t, *translations(view, t)) for t in dict.fromkeys(tokens)]


# Coverage weighs each word by idf**COVERAGE_POWER, so the rarest words of a question dominate:
# an entry that shares only its common words ("error", "model") with an off-topic question
# scores low. Unlike raw BM25 it does not grow with corpus size, so one threshold serves a
# 33-entry and a 4,000-entry index.
COVERAGE_POWER = 3


def group_weight(view: IndexView, group: tuple[str, ...]) -> float:
    """A word's rarity (idf to the power lexical coverage weighs it with), judged by its most common
    spelling in the digest: a Korean word the digest never writes is as rare as its English."""
    present = [view.lexical.idf(t) for t in group if view.lexical.df(t)]
    return (min(present) if present else view.lexical.idf(group[0])) ** COVERAGE_POWER


def grouped_coverage(view: IndexView, groups: list[tuple[str, ...]], rows: np.ndarray) -> np.ndarray:
    """Per row, the share of the groups' weight the entry holds (any spelling of each word)."""
    weights = np.array([group_weight(view, g) for g in groups])
    held = np.zeros((len(groups), len(rows)), dtype=bool)
    for i, group in enumerate(groups):
        postings = np.unique(np.concatenate([view.lexical.rows_holding(t) for t in group]))
        held[i] = np.isin(rows, postings)
    total = weights.sum()
    return (weights @ held) / total if total else np.zeros(len(rows))


def expanded(view: IndexView, tokens: Sequence[str]) -> list[str]:
    """The tokens followed by the translations they do not already hold (for lexical search)."""
    own = set(tokens)
    extra = dict.fromkeys(x for t in tokens for x in translations(view, t) if x not in own)
    return [*tokens, *extra]


# What may stand between two words of one phrase: spaces, hyphens, underscores.
_JOIN = r"[\s\-_]*"
_PLURAL = re.compile(r"(?:ies|es|s)$")
KO_PARTICLE = re.compile(r"(?:에\s*대한|에\s*관한|관련|들|을|를|이|가|은|는|의|에서|에|으로|로|와|과|도)$")


def phrase_patterns(topic: str, tokens: Sequence[str]) -> list[tuple[re.Pattern, tuple[str, ...]]]:
    """One pattern per run of adjacent content words in the topic ("reward model", "보상 모델"),
    each word matching its inflections ("reward models", "reward-model", "보상모델을"), with
    the run's tokens."""
    analysis = analyse_query(topic)
    wanted = set(tokens)
    runs: list[list[tuple[str, str]]] = []
    last_end = -1
    for token, start in zip(analysis.tokens, analysis.starts):
        if token not in wanted:
            last_end = -1
            continue
        word = re.match(r"[\w\-]+", topic[start:])
        surface = word[0] if word else token
        if last_end >= 0 and re.fullmatch(_JOIN, topic[last_end:start]) and runs:
            runs[-1].append((surface, token))
        else:
            runs.append([(surface, token)])
        last_end = start + len(surface)
    return [
        (re.compile(r"(?<![\w-])" + _JOIN.join(_stem(w) for w, _ in run), re.I), tuple(t for _, t in run))
        for run in runs if len(run) > 1
    ]


def _stem(word: str) -> str:
    """A word as a prefix pattern: its plural or particle taken off, any ending allowed."""
    base = KO_PARTICLE.sub("", word) if HANGUL.search(word) else _PLURAL.sub("", word.casefold())
    return re.escape(base or word) + r"\w*"


def entry_text(entry: Entry) -> str:
    """The text an entry is judged on: title, abstract and both commentaries."""
    return "\n".join((entry.title, entry.abstract or "", entry.comment_ko, entry.comment_en))

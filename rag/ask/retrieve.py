"""Hybrid retrieval: understand the question, then dense + lexical ranks fused per entry."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from itertools import zip_longest
from typing import TYPE_CHECKING

import numpy as np

from rag.ask.question import Understanding, clauses, understand
from rag.ask.terms import expanded, grouped_coverage, term_groups
from rag.index.reader import Index, IndexView
from rag.index.tokens import tokenize_query
from rag.model import Filters, Hit
from rag.text import normalize_title

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

# Weights of each normalized score in the fusion: dense carries the cross-lingual matches,
# lexical the exact names (methods, models, authors) that embeddings blur. Scores, not ranks,
# are fused: at 4k entries the embedder's similarities are compressed, and rank fusion let
# entries that were middling in both lists beat a clear lexical winner. How each constant here
# was chosen, with its figures: benchmarks/README.md.
DENSE_WEIGHT = 0.55
LEXICAL_WEIGHT = 0.45
# The best lexical candidate counts fully only when its BM25 reaches this share of the
# question's English idf sum (`LexicalIndex.idf_sum`): a little more than an entry holding
# each of those words once, in one field of average length, scores (0.4). A weaker best match
# is scaled down by that ratio instead of being stretched to 1, so a best match on a few
# common words stays weak.
LEXICAL_FLOOR = 0.5
# A question of several clauses is also embedded clause by clause; an entry's semantic score
# is then this share of its clauses' mean similarity plus the rest of the whole question's
# (a paraphrase of two sentences of an abstract matches each sentence better than the whole).
CLAUSE_WEIGHT = 0.5
CANDIDATES = 60
# How much a match through the term bridge's translations counts against a match of the
# question's own words.
BRIDGE_WEIGHT = 0.3
# Up to this many entries passing the filters, their chunks are scored directly.
DIRECT_SCORING_MAX = 1500


def normalized(scores: dict[str, float], floor: float = 0.0) -> dict[str, float]:
    """Min-max scale to 0..1 over the candidates (all equal -> all 1).

    With a floor above the best score, the scale runs up to the floor instead, so the best
    candidate scores below 1.
    """
    if not scores:
        return {}
    lo, hi = min(scores.values()), max(max(scores.values()), floor)
    if hi - lo < 1e-12:
        return {key: 1.0 for key in scores}
    return {key: (value - lo) / (hi - lo) for key, value in scores.items()}


def fuse(dense: dict[str, float], lexical: dict[str, float], lexical_floor: float = 0.0) -> dict[str, float]:
    """Weighted sum of min-max normalized scores; a list an entry is missing from adds 0.

    The lexical scale reaches at least `lexical_floor`, so a weak best match stays weak.
    """
    d, lx = normalized(dense), normalized(lexical, lexical_floor)
    return {key: DENSE_WEIGHT * d.get(key, 0.0) + LEXICAL_WEIGHT * lx.get(key, 0.0) for key in {*d, *lx}}


def with_clauses(whole: dict[str, float], per_clause: list[dict[str, float]]) -> dict[str, float]:
    """Semantic score of each entry: the whole question's similarity blended with the mean
    of its clauses' (`CLAUSE_WEIGHT`); unchanged when there are no clauses."""
    if not per_clause:
        return whole
    return {
        eid: (1 - CLAUSE_WEIGHT) * sim + CLAUSE_WEIGHT * sum(c.get(eid, 0.0) for c in per_clause) / len(per_clause)
        for eid, sim in whole.items()
    }


def listing(view: IndexView, filters: Filters) -> list[Hit]:
    """Every entry passing the filters, newest day first, in digest order within a day."""
    rows = np.flatnonzero(view.admitted(filters))
    chosen = [view.entries[view.lexical.entry_ids[row]] for row in rows]
    chosen.sort(key=lambda e: (-e.day.toordinal(), e.source.line))
    return [Hit(entry=e, score=1.0) for e in chosen]


def understand_question(view: IndexView, question: str, filters: Filters | None = None) -> Understanding:
    """Parse a question against the index's days and tags; explicit filters win."""
    u = understand(question, view.days, view.tags, view.roster)
    if filters is not None:
        # Filters given back unchanged (an answer's second search) keep each side's days.
        part_days = u.part_days if filters == u.filters else ()
        # Set in the panel, filters make "뭐가 있었어?" a listing as typed ones do.
        u = replace(u, filters=filters, listing=u.asks_list and bool(filters), part_days=part_days)
    return u


def hybrid(view: IndexView, embedder: Embeddings, u: Understanding, k: int) -> list[Hit]:
    """Dense and lexical candidates under the filters, fused and grouped per entry."""
    query = u.topic if len(u.topic) >= 3 else u.text
    parts = clauses(query)
    # One batch: the clauses cost little more than the question alone.
    # Both embedders here embed a question and a document alike, so the batch's first vector
    # is the question's (an embedder with query/document prefixes would need embed_query).
    vectors = embedder.embed_documents([query, *parts]) if parts else [embedder.embed_query(query)]
    vector = vectors[0]
    allowed = view.admitted(u.filters) if u.filters else None
    knn: dict[str, float] = {}  # entry -> its best chunk's similarity, from Chroma's kNN
    scored: list[dict[str, float]] = [{} for _ in vectors]  # per vector, entries scored exactly
    if allowed is not None and allowed.sum() <= DIRECT_SCORING_MAX:
        # Few entries pass the filters: score all of them exactly. Chroma's filtered kNN
        # costs in proportion to the whole collection (benchmarks/README.md has the figure).
        scored = view.similarities(vectors, [view.lexical.entry_ids[row] for row in np.flatnonzero(allowed)])
    else:
        for eid, sim in view.dense(vector, CANDIDATES * 2, u.filters):
            if eid in view.entries:
                knn[eid] = max(knn.get(eid, -1.0), sim)
    tokens = list(tokenize_query(query))
    lexical, every_lexical = bridged_lexical(view, tokens, allowed)
    candidates = set(knn) | set(scored[0]) | {eid for eid, _ in lexical}
    # Score every candidate on every vector, reading the missing ones' vectors at once (one
    # round trip to a Chroma server): found lexically only -> its similarity to the question;
    # with clauses -> its similarity to each clause. Found densely only -> its BM25 is known.
    missing = [eid for eid in candidates if eid not in scored[0] and (parts or eid not in knn)]
    scored = [{**known, **new} for known, new in zip(scored, view.similarities(vectors, missing))]
    dense_all = {eid: knn.get(eid, scored[0].get(eid, 0.0)) for eid in candidates}
    lex_score = {eid: float(every_lexical[view.lexical.position(eid)]) for eid in candidates}
    semantic = with_clauses(dense_all, scored[1:])
    fused = fuse(semantic, lex_score, LEXICAL_FLOOR * view.lexical.idf_sum(tokens))
    ranked = sorted(fused, key=lambda eid: (-fused[eid], eid))[:k]
    coverage = grouped_coverage(view, term_groups(view, tokens), np.array([view.lexical.position(e) for e in ranked]))
    return [
        Hit(
            entry=view.entries[eid], score=fused[eid], dense=dense_all[eid],
            lexical=lex_score[eid], coverage=float(cover),
        )
        for eid, cover in zip(ranked, coverage)
    ]


def bridged_lexical(view: IndexView, tokens: list[str], allowed: np.ndarray | None) -> tuple[list[tuple[str, float]], np.ndarray]:
    """BM25 candidates and every entry's score: the question's own words, or, at BRIDGE_WEIGHT,
    its words with their translations (`rag.ask.terms`), whichever is higher. An entry the
    question's own words match keeps its score; one that matches only in the other language
    still scores."""
    found, scores = view.lexical.search(tokens, CANDIDATES, allowed)
    both = expanded(view, tokens)
    if len(both) == len(tokens):
        return found, scores
    _, bridged = view.lexical.search(both, CANDIDATES, allowed)
    scores = np.maximum(scores, BRIDGE_WEIGHT * bridged)
    order = np.argsort(-scores)[:CANDIDATES]
    return [(view.lexical.entry_ids[i], float(scores[i])) for i in order if scores[i] > 0], scores


def interleaved(ranked: list[list[Hit]], k: int) -> list[Hit]:
    """Round-robin over ranked lists, each entry once: the first of every list, then the
    second of every list, ..."""
    seen: set[str] = set()
    out: list[Hit] = []
    for row in zip_longest(*ranked):
        for hit in row:
            if hit is not None and hit.entry.id not in seen:
                seen.add(hit.entry.id)
                out.append(hit)
    return out[:k]


@dataclass(frozen=True)
class Retrieved:
    """One search: how the question was read, the ranked entries, and for a comparison each
    side's own ranking (so an answer can cite each side's best)."""

    understanding: Understanding
    hits: list[Hit]
    sides: tuple[list[Hit], ...] = ()


def search_index(
    index: Index, question: str, k: int = 10, filters: Filters | None = None, translation: str | None = None,
    k_many: int | None = None,
) -> Retrieved:
    """The k best entries for a question (all matching entries for a pure filter question;
    the k_many best, when given, for a question asking for every entry on a topic).

    A comparison of two described papers is searched whole and side by side, and a question
    given with its translation (`rag.ask.llm.translate`) is searched in both languages; the lists
    are interleaved: the whole question's best, then each side's or the translation's best, ...
    """
    view = index.fresh_view()
    u = understand_question(view, question, filters)
    if u.listing:
        return Retrieved(u, listing(view, u.filters))
    if k_many and u.many:
        k = max(k, k_many)
    # Each side of a comparison searches under the days it names (none: no day filter).
    side_filters = [replace(u.filters, days=days) for days in u.part_days] or [u.filters] * len(u.parts)
    searches = list(zip(u.parts, side_filters))
    if translation and translation != question:
        # The question's own filters apply; the translation's dates and tags only leave its topic.
        searches.append((understand_question(view, translation).topic or translation, u.filters))
    whole = hybrid(view, index.embedder, u, k)
    if not searches:
        return Retrieved(u, whole)
    others = [hybrid(view, index.embedder, replace(u, topic=topic, filters=f), k) for topic, f in searches]
    # A side that names its paper ("Compare MDETR and ...") ranks the entry titled so first.
    others[: len(u.parts)] = [named_first(view, side, hits) for side, hits in zip(u.parts, others)]
    return Retrieved(u, interleaved([whole, *others], k), sides=tuple(others[: len(u.parts)]))


# A coined name: mixed case, all capitals or letters with digits ("MDETR", "CogVideoX", "Emu3").
_NAME = re.compile(r"(?<![\w-])(?:[A-Za-z]*[A-Z][a-z]*[A-Z][\w\-]*|[A-Z]{2,}[\w\-]*|[A-Za-z]+-?\d[\w\-]*)(?![\w-])")
# A name counts only when at most this many entries hold it (not "LLM", "GAN", "RL").
RARE_NAME_ENTRIES = 3


def named_first(view: IndexView, text: str, hits: list[Hit]) -> list[Hit]:
    """The hits whose title holds a rare name the text gives, first (otherwise in order)."""
    # "Kimina-Prover" and "PLATO-2" are names; "CLIP-style" is not: the first part must be rare.
    names = {
        normalize_title(n) for n in _NAME.findall(text)
        if all(0 < view.lexical.df(t) <= RARE_NAME_ENTRIES for t in tokenize_query(n.split("-")[0]))
    }
    if not names:
        return hits
    titled = [h for h in hits if any(f" {n} " in f" {normalize_title(h.entry.title)} " for n in names)]
    return titled + [h for h in hits if h not in titled]


def similar(index: Index, entry_id: str, k: int = 5) -> list[Hit]:
    """Nearest neighbours of an entry in the dense index (itself excluded)."""
    view = index.fresh_view()
    entry = view.entries.get(entry_id)
    if entry is None:
        raise KeyError(f"no entry with id {entry_id!r} in the index")
    text = "\n".join(x for x in (entry.title, entry.comment_en or entry.comment_ko, (entry.abstract or "")[:600]) if x)
    best: dict[str, float] = {}
    for eid, sim in view.dense(index.embedder.embed_query(text), CANDIDATES):
        if eid != entry_id and eid in view.entries:
            best[eid] = max(best.get(eid, -1.0), sim)
    ranked = sorted(best, key=best.__getitem__, reverse=True)[:k]
    return [Hit(entry=view.entries[eid], score=best[eid], dense=best[eid]) for eid in ranked]

"""Before a writer runs: the question read in its conversation, retrieved, shaped and judged.

The answer's shape follows the question (`Prepared.shape`): a list for a pure filter (a day,
a tag, an author), every entry about a topic for "what did the digest cover on X" (judged
per entry by `rag.ask.topics`, also when a Korean question does not mark the plural and many
entries clear the bar), one entry per side for a comparison of two described papers, every
entry fitting the description for a comparison of a family ("compare the entries that ..."),
and one entry (a second only on a near-exact tie) for a lookup. Too little evidence makes the
answer abstain; filters that hide the evidence are said to.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from rag.ask.conversation import Conversation, FollowUp, History, read_follow_up, read_history
from rag.ask.question import COMPARE, Understanding, answer_language, content_tokens
from rag.ask.retrieve import Retrieved, search_index
from rag.ask.topics import DEPTH as MANY_K
from rag.ask.topics import Membership, members
from rag.config import MAX_QUESTION_CHARS
from rag.index.reader import Index
from rag.model import Entry, Filters, Hit

# Evidence = the top entry's cosine similarity + the share of the question's rare-word weight
# it contains (both scale-free, unlike BM25); below MIN_EVIDENCE, or with a top entry not even
# loosely related in meaning (MIN_DENSE), the answer abstains. benchmarks/calibrate_abstention.py
# measures both groups of a question set and the margin between them.
MIN_EVIDENCE = 0.50
MIN_DENSE = 0.15
MAX_LISTED = 40
# A lookup cites a second entry only when its fused score is this close to the first's.
TIE = 0.99
# "Which papers ..." cites every entry whose evidence reaches this share of the best one's
# (and MIN_EVIDENCE), at most MAX_LISTED.
MANY_RATIO = 0.85
# A question that does not mark the plural (Korean "...논문을 알려줘", "what did the digest
# cover on X") lists the entries about its topic when its topic is at most this many words
# and at least MANY_MIN entries are about it.
SHORT_TOPIC = 3
MANY_MIN = 3
# A family comparison ("compare the entries that ...") cites at most this many entries.
MAX_FAMILY = 8
ORDERS = ("date", "relevance")
# "Which paper ...", "어떤 논문", "논문은?", "what is X": one paper or an explanation is asked.
_ONE_CUE = re.compile(
    r"\b(?:which|what|the|a)\s+(?:paper|entry|study|work|article|model|method|approach)\b(?!s)"
    r"|\bwhat\s+(?:is|are|was|does)\b|\bexplain\b|\bhow\s+does\b"
    r"|어떤\s*(?:논문|연구|모델|방법)(?!들)|무슨\s*논문|논문\s*(?:은|이)\s*(?:무엇|뭐|뭔)|논문은\s*\??$|설명|무엇인가|뭐야|란\s*\??$",
    re.I,
)
# "the two papers that ...", "두 연구", "three entries": how many a family comparison names.
_COUNT_WORDS = {"two": 2, "three": 3, "four": 4, "두": 2, "세": 3, "네": 4, "2": 2, "3": 3, "4": 4}
_FAMILY_COUNT = re.compile(r"\b(two|three|four|2|3|4)\s+(?:papers|entries|works|studies|methods|models)\b"
                           r"|(두|세|네)\s*(?:논문|연구|항목|방법|모델)", re.I)

LIST, MANY, COMPARISON, ONE = "list", "many", "compare", "one"


class QuestionError(ValueError):
    """The question cannot be answered as asked (empty, too long)."""


@dataclass
class Prepared:
    """Everything retrieval decided before a writer runs."""

    question: str
    standalone: str
    lang: str
    filters: Filters
    hits: list[Hit]
    shape: str                 # LIST, MANY, COMPARISON or ONE
    weak: bool
    sides: tuple[str, ...] = ()  # a comparison's two described papers (Understanding.parts)
    side_hits: tuple[list[Hit], ...] = ()  # each side's own ranking
    pinned: bool = False       # a follow-up about these very entries: answered, never abstained
    membership: Membership | None = None  # "what did the digest cover on X": the entries about X
    unknown_authors: tuple[str, ...] = ()  # people named whom the digest never lists
    closest_names: tuple[str, ...] = ()    # the listed names nearest to them
    order: str = "date"        # a list's order: "date" (newest first) or "relevance"
    hidden_by: Filters | None = None  # filters that hid the evidence; `hits` are from outside them
    state: Conversation = field(default_factory=Conversation)

    @property
    def listing(self) -> bool:
        """A pure filter question: every matching entry is listed."""
        return self.shape == LIST


def check_question(question: str) -> str:
    """The question stripped, or a QuestionError saying what is wrong with it."""
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    cleaned = question.replace("\x00", "").strip()
    if not cleaned:
        raise QuestionError("the question is empty; ask something about the digest")
    if len(cleaned) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"the question is {len(cleaned):,} characters long; the limit is {MAX_QUESTION_CHARS:,}"
        )
    return cleaned


def evidence(hit: Hit) -> float:
    """How strongly one hit supports answering: semantic closeness plus rare-word overlap."""
    return hit.dense + hit.coverage


def is_weak(hits: list[Hit]) -> bool:
    """Whether the best evidence is too weak to answer from."""
    return not hits or hits[0].dense < MIN_DENSE or evidence(hits[0]) < MIN_EVIDENCE


def _shape(found: Retrieved, question: str, follow: FollowUp) -> str:
    u = found.understanding
    if u.listing and not follow.pinned:
        return LIST
    if found.sides or len(u.filters.days) > 1 or (u.parts == () and _is_comparison(u)):
        return COMPARISON
    if u.many or (follow.entries and not follow.pinned):
        return MANY
    return ONE


def _is_comparison(u: Understanding) -> bool:
    return bool(COMPARE.search(u.text))


def may_be_many(u: Understanding) -> bool:
    """Whether a question that does not mark the plural may still ask for every entry on a
    short topic ("DPO를 다룬 논문을 알려줘", "what did the digest cover on LoRA variants?")."""
    return not _ONE_CUE.search(u.text) and 0 < len(content_tokens(u.topic)) <= SHORT_TOPIC


def family_size(text: str) -> int:
    """How many entries a family comparison names ("the two papers that ..."), else MAX_FAMILY."""
    m = _FAMILY_COUNT.search(text)
    return _COUNT_WORDS[(m[1] or m[2]).lower()] if m else MAX_FAMILY


# Rewrites a follow-up's words standalone (the chat model's condense step); None keeps them.
Rewrite = Callable[[str, Conversation], "str | None"]


def _follow_up(index: Index, question: str, history: History | None, rewrite: Rewrite | None) -> FollowUp:
    """The question read in its conversation; `rewrite` may reword it standalone (the rules
    still decide which earlier entries it is about)."""
    if not history:
        return FollowUp(question)
    view = index.view()
    follow = read_follow_up(question, read_history(history, view.by_day, view.entries))
    if rewrite is None or not (follow.carried or follow.entries):
        return follow
    rewritten = rewrite(question, follow.state)
    return replace(follow, question=rewritten) if rewritten else follow


def prepare(
    index: Index, question: str, history: History | None, filters: Filters | None, k: int,
    lang: str | None = None, rewrite: Rewrite | None = None, order: str = "date",
) -> Prepared:
    """Read a follow-up, retrieve, shape the answer, and judge whether the evidence is enough."""
    question = check_question(question)
    if lang not in (None, "en", "ko"):
        raise QuestionError(f"unknown answer language {lang!r}; use 'en' or 'ko'")
    if order not in ORDERS:
        raise QuestionError(f"unknown order {order!r}; use 'date' or 'relevance'")
    follow = _follow_up(index, question, history, rewrite)
    if follow.entries:
        filters = replace(filters or Filters(), ids=tuple(e.id for e in follow.entries))
    found = search_index(index, follow.question, k=max(k, MAX_LISTED), filters=filters, k_many=MANY_K)
    u = found.understanding
    prep = Prepared(
        question=question, standalone=follow.question, lang=lang or answer_language(question),
        filters=u.filters, hits=found.hits, shape=_shape(found, question, follow), weak=False,
        sides=u.parts, side_hits=found.sides, pinned=follow.pinned, state=follow.state, order=order,
    )
    if u.unknown_authors and not u.filters.authors:
        names = tuple(n for name in u.unknown_authors for n in index.view().roster.closest(name))
        return replace(prep, hits=[], shape=ONE, weak=True, unknown_authors=u.unknown_authors,
                       closest_names=tuple(dict.fromkeys(names)))
    if not follow.entries and _judges_membership(prep, u):
        m = members(index, u, prep.hits)
        if not m.members and _hides(prep.filters) and prep.shape != COMPARISON:
            return outside_period(index, prep, u, k)
        prep = _by_membership(prep, m, k)
    if follow.order:
        prep.hits = sorted(prep.hits, key=lambda h: h.entry.day, reverse=follow.order == "newest")
    if prep.shape in (ONE, COMPARISON) and prep.membership is None:
        prep.hits = prep.hits[:k]
    elif prep.shape == MANY and prep.membership is None:
        prep.hits = prep.hits[: MAX_LISTED + k]
    # A topic with entries about it is answered by them, however short the question; a
    # comparison, when either side has its paper.
    prep.weak = (
        prep.shape != LIST and not follow.pinned and not (prep.membership and prep.membership.members)
        and is_weak(prep.hits) and all(is_weak(side) for side in found.sides)
    )
    if prep.weak and _hides(prep.filters):
        return outside_filters(index, prep, k)
    return prep


def _judges_membership(prep: Prepared, u: Understanding) -> bool:
    """Whether the answer's entries are the ones about a topic: "which papers", a question
    that may ask for many, or a comparison of a described family (no two sides found)."""
    if prep.shape == MANY:
        return True
    if prep.shape == ONE:
        return may_be_many(u)
    return prep.shape == COMPARISON and not prep.side_hits and len(prep.filters.days) <= 1


def _by_membership(prep: Prepared, m: Membership, k: int) -> Prepared:
    """The answer's shape and sources once the entries about the topic are known."""
    if prep.shape == ONE and len(m.members) < MANY_MIN:
        return prep  # a lookup after all: too few entries are about its words
    if prep.shape == COMPARISON:
        if len(m.members) < 2:
            return prep
        m = replace(m, members=m.members[: family_size(prep.question)])
    if not m.members:
        return replace(prep, shape=MANY)
    chosen = m.members if prep.order == "relevance" or prep.shape == COMPARISON else by_date(m.members)
    ids = {h.entry.id for h in chosen}
    others = [h for h in prep.hits if h.entry.id not in ids][:k]
    shape = COMPARISON if prep.shape == COMPARISON else MANY
    return replace(prep, shape=shape, hits=chosen[:MAX_LISTED] + others, membership=replace(m, members=chosen))


def by_date(hits: list[Hit]) -> list[Hit]:
    """Newest day first, in digest order within a day."""
    return sorted(hits, key=lambda h: (-h.entry.day.toordinal(), h.entry.source.line))


def _hides(filters: Filters) -> bool:
    """Whether filters could be what hides the evidence (days or tags, not a follow-up's entries)."""
    return bool(filters.days or filters.tags) and not filters.ids


def outside_filters(index: Index, prep: Prepared, k: int) -> Prepared:
    """When the filters leave no good evidence but the whole digest has some, the answer says
    so and shows it ("Not in 2024; the digest covers it on 2025-01-22 [1]")."""
    found = search_index(index, prep.standalone, k=k, filters=Filters())
    if is_weak(found.hits):
        return prep
    return replace(prep, hits=found.hits, hidden_by=prep.filters, shape=ONE, side_hits=(), weak=False)


def outside_period(index: Index, prep: Prepared, u: Understanding, k: int) -> Prepared:
    """No entry under the filters is about the topic: the entries the whole digest has on it,
    said so ("none in 2019; the digest covers it from 2023: ..."), or the prepared answer."""
    everywhere = replace(u, filters=replace(u.filters, days=(), tags=()))
    found = search_index(index, prep.standalone, k=MANY_K, filters=everywhere.filters)
    m = members(index, everywhere, found.hits)
    if not m.members:
        prep.hits = prep.hits[:k]
        prep.weak = not prep.pinned and is_weak(prep.hits)
        return outside_filters(index, prep, k) if prep.weak else prep
    chosen = m.members if prep.order == "relevance" else by_date(m.members)
    return replace(prep, shape=MANY, hits=chosen[:MAX_LISTED], membership=replace(m, members=chosen),
                   hidden_by=prep.filters, weak=False)


# ---- which entries an answer cites -------------------------------------------------------

def cited_hits(prep: Prepared) -> list[Hit]:
    """The hits the answer is about, in the order the answer names them."""
    hits = prep.hits
    if not hits:
        return []
    if prep.membership is not None and prep.membership.members:
        return prep.membership.members[:MAX_LISTED]
    if prep.pinned or prep.hidden_by is not None:
        return hits[:1]
    if prep.shape == LIST:
        return hits[:MAX_LISTED]
    if prep.shape == MANY:
        floor = max(MIN_EVIDENCE, MANY_RATIO * evidence(hits[0]))
        return [h for h in hits[:MAX_LISTED] if evidence(h) >= floor] or hits[:1]
    if prep.shape == COMPARISON:
        return _one_per_side(prep)
    top = hits[0]
    return [top] + [h for h in hits[1:2] if h.score >= TIE * top.score and evidence(h) >= MIN_EVIDENCE]


def _one_per_side(prep: Prepared) -> list[Hit]:
    """A comparison cites each side's best entry (each day's best when it names days)."""
    groups: list[list[Hit]]
    if prep.side_hits:
        groups = [list(side) for side in prep.side_hits]
    else:
        groups = [[h for h in prep.hits if lo <= h.entry.day <= hi] for lo, hi in prep.filters.days]
    chosen: list[Hit] = []
    for group in groups:
        best = next((h for h in group if all(h.entry.id != c.entry.id for c in chosen)), None)
        if best is not None:
            chosen.append(best)
    return chosen or prep.hits[:1]


def numbered(prep: Prepared, chosen: list[Hit]) -> Prepared:
    """The sources with every chosen hit among them (a side's best may rank below k)."""
    ids = {h.entry.id for h in prep.hits}
    extra = [h for h in chosen if h.entry.id not in ids]
    return replace(prep, hits=prep.hits + extra) if extra else prep


def commentary(entry: Entry, lang: str) -> str:
    """The digest author's comment in the given language, else in the other one ('' if none)."""
    first, second = (entry.comment_ko, entry.comment_en) if lang == "ko" else (entry.comment_en, entry.comment_ko)
    return first or second

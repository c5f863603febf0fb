"""Before a writer runs: the question read in its conversation, retrieved, shaped and judged.

The answer's shape follows the question (`Prepared.shape`): a list for a pure filter, every
entry the digest has on a topic for "which papers ...", one entry per side for a comparison,
and one entry (a second only on a near-exact tie) for a lookup. Too little evidence makes the
answer abstain; filters that hide the evidence are said to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from rag.ask.conversation import Conversation, FollowUp, History, read_follow_up, read_history
from rag.ask.question import answer_language
from rag.ask.retrieve import Retrieved, search_index
from rag.ask.topics import on_topic, topic_tags
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
# "Which papers ...": how many ranked entries the topic's tags are looked for among.
MANY_K = 200

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
    topic_tags: tuple[str, ...] = ()  # "which papers ...": the tags standing for the topic
    topic_total: int = 0       # how many entries carry them under the filters (the list may stop short)
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
    if found.sides or len(u.filters.days) > 1:
        return COMPARISON
    if u.many or (follow.entries and not follow.pinned):
        return MANY
    return ONE


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
    lang: str | None = None, rewrite: Rewrite | None = None,
) -> Prepared:
    """Read a follow-up, retrieve, shape the answer, and judge whether the evidence is enough."""
    question = check_question(question)
    if lang not in (None, "en", "ko"):
        raise QuestionError(f"unknown answer language {lang!r}; use 'en' or 'ko'")
    follow = _follow_up(index, question, history, rewrite)
    if follow.entries:
        filters = replace(filters or Filters(), ids=tuple(e.id for e in follow.entries))
    found = search_index(index, follow.question, k=max(k, MAX_LISTED), filters=filters, k_many=MANY_K)
    shape = _shape(found, question, follow)
    hits, tags, total = found.hits, (), 0
    if shape == MANY and not follow.entries:
        tags = topic_tags(index.view(), found.understanding, hits)
        if tags:
            hits = on_topic(index.view(), found.understanding, hits, tags)
            total = sum(1 for h in hits if set(tags) & set(h.entry.tags))
        hits = hits[: MAX_LISTED + k]
    if follow.order:
        hits = sorted(hits, key=lambda h: h.entry.day, reverse=follow.order == "newest")
    if shape == ONE or shape == COMPARISON:
        hits = hits[:k]
    prep = Prepared(
        question=question, standalone=follow.question, lang=lang or answer_language(question),
        filters=found.understanding.filters, hits=hits, shape=shape,
        # A topic the digest's tags stand for is answered by them, however short the question;
        # a comparison, when either side has its paper.
        weak=shape != LIST and not follow.pinned and not tags and is_weak(hits)
        and all(is_weak(side) for side in found.sides),
        sides=found.understanding.parts,
        side_hits=found.sides, pinned=follow.pinned, topic_tags=tags, topic_total=total, state=follow.state,
    )
    return outside_filters(index, prep, k) if prep.weak and _hides(prep.filters) else prep


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


# ---- which entries an answer cites -------------------------------------------------------

def cited_hits(prep: Prepared) -> list[Hit]:
    """The hits the answer is about, in the order the answer names them."""
    hits = prep.hits
    if not hits:
        return []
    if prep.pinned or prep.hidden_by is not None:
        return hits[:1]
    if prep.shape == LIST:
        return hits[:MAX_LISTED]
    if prep.shape == MANY and prep.topic_tags:
        wanted = set(prep.topic_tags)
        return [h for h in hits if wanted & set(h.entry.tags)][:MAX_LISTED]
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

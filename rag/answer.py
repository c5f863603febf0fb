"""Answers: numbered sources in, text with [n] out, every [n] checked against the sources.

Two writers share one pipeline: an OpenAI-compatible chat model (when a key is set) and an
offline extractive writer. Both get the same numbered contexts; the Answer carries them as
data, so the UI and API render from it and never parse the text back.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import numpy as np

from rag.chunking import split_sentences
from rag.config import MAX_QUESTION_CHARS, Settings
from rag.conversation import History, standalone_question
from rag.digest import Entry
from rag.index import Index
from rag.question import COMPARE, Filters, answer_language
from rag.retrieve import Hit, search_index

_MARKER = re.compile(r"\[(\d{1,3})\]")
# "(https://..., https://...)": references the source card already links; noise in a quote.
_URL_LIST = re.compile(r"\(\s*https?://[^()]*\)")
# Evidence = the top entry's cosine similarity + the share of the question's rare-word weight
# it contains (both scale-free, unlike BM25). Calibrated on the full 3.8k-entry corpus with
# the 27 answerable and 3 unanswerable questions of ../shared/eval plus 40 title-derived
# questions about random entries and 10 off-topic ones (quantum codes, knitting, ...):
# answerable scored >= 0.54, unanswerable <= 0.45; 0.50 sits in the gap.
# Reproduce with benchmarks/calibrate_abstention.py.
# Common words can give an off-topic question some overlap ("capital of France"), so the
# top entry must also be at least loosely related in meaning: answerable questions had
# similarity >= 0.22, off-topic ones on the seeds below 0.14.
MIN_EVIDENCE = 0.50
MIN_DENSE = 0.15
MAX_LISTED = 40


class QuestionError(ValueError):
    """The question cannot be answered as asked (empty, too long)."""


@dataclass(frozen=True)
class Citation:
    """A source the answer cites: its number in the text, the entry, and the quoted snippet."""

    n: int
    entry: Entry
    snippet: str


@dataclass
class Answer:
    """What `answer()` returns and the UI shows."""

    question: str
    text: str
    citations: list[Citation]
    abstained: bool
    lang: str
    contexts: list[Hit] = field(default_factory=list)  # numbered sources: contexts[n-1] is [n]
    standalone: str = ""       # the question after follow-up rewriting
    filters: Filters = field(default_factory=Filters)
    notice: str = ""           # e.g. "the language model failed; this is the offline answer"

    def to_dict(self) -> dict:
        """The `rag ask --json` shape."""
        return {
            "text": self.text,
            "citations": [
                {"n": c.n, "id": c.entry.id, "title": c.entry.title, "day": c.entry.day.isoformat()}
                for c in self.citations
            ],
            "abstained": self.abstained,
        }


@dataclass
class Prepared:
    """Everything retrieval decided before a writer runs."""

    question: str
    standalone: str
    lang: str
    filters: Filters
    hits: list[Hit]
    listing: bool
    weak: bool
    sides: tuple[str, ...] = ()  # a comparison's two described papers (Understanding.parts)


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


def prepare(
    index: Index, question: str, history: History | None, filters: Filters | None, k: int,
    lang: str | None = None, settings: Settings | None = None,
) -> Prepared:
    """Rewrite a follow-up, retrieve, and judge whether the evidence is strong enough."""
    question = check_question(question)
    standalone, carried = standalone_question(question, history or [], settings)
    u, hits = search_index(index, standalone, k=max(k, MAX_LISTED), filters=filters or carried)
    if not u.listing:
        hits = hits[:k]
    if lang not in (None, "en", "ko"):
        raise QuestionError(f"unknown answer language {lang!r}; use 'en' or 'ko'")
    return Prepared(
        question=question, standalone=standalone, lang=lang or answer_language(question), filters=u.filters,
        hits=hits, listing=u.listing, weak=not u.listing and is_weak(hits), sides=u.parts,
    )


def with_translation(index: Index, settings: Settings, prep: Prepared, k: int) -> Prepared:
    """The sources searched again with the question also in the digest's other language.

    Asked only once the evidence is strong enough for the model to write (a weak question
    abstains with no model call). A failure raises LLMError, like the writer's own.
    """
    from rag.llm import translate

    other = "en" if answer_language(prep.standalone) == "ko" else "ko"
    translated = translate(settings, prep.standalone, other)
    _, hits = search_index(index, prep.standalone, k, prep.filters or None, translation=translated)
    return replace(prep, hits=hits)


# ---- citations --------------------------------------------------------------------------

def validate_citations(text: str, contexts: list[Hit]) -> tuple[str, list[int]]:
    """Drop markers that point at no source; return the text and the cited numbers in order."""
    cited: list[int] = []

    def keep(m: re.Match) -> str:
        n = int(m[1])
        if 1 <= n <= len(contexts):
            if n not in cited:
                cited.append(n)
            return m[0]
        return ""

    cleaned = _MARKER.sub(keep, text)
    cleaned = re.sub(r"[ \t]+([.,;:!?])", r"\1", cleaned)
    cleaned = re.sub(r"[ \t]{2,}", " ", cleaned)
    return cleaned.strip(), cited


def commentary(entry: Entry, lang: str) -> str:
    """The digest author's comment in the given language, else in the other one ('' if none)."""
    first, second = (entry.comment_ko, entry.comment_en) if lang == "ko" else (entry.comment_en, entry.comment_ko)
    return first or second


def _snippet(entry: Entry, lang: str) -> str:
    return (commentary(entry, lang) or entry.abstract or "")[:300]


def build_answer(prep: Prepared, text: str, abstained: bool, notice: str = "") -> Answer:
    """Validate markers and attach citations for exactly the sources the text cites."""
    text, cited = validate_citations(text, prep.hits)
    citations = [Citation(n=n, entry=prep.hits[n - 1].entry, snippet=_snippet(prep.hits[n - 1].entry, prep.lang)) for n in cited]
    return Answer(
        question=prep.question, text=text, citations=citations, abstained=abstained, lang=prep.lang,
        contexts=prep.hits, standalone=prep.standalone, filters=prep.filters, notice=notice,
    )


# ---- offline extractive writer ----------------------------------------------------------

_PHRASES = {
    "en": {
        "lead_one": 'The digest covers this in "{title}" ({day}) [{n}].',
        "lead_many": "The digest has {count} relevant entries: {items}.",
        "author": "The digest's author: ",
        "paper": "The paper: ",
        "list_head": "{count} entries match{more}:",
        "list_more": " (showing the first {shown})",
        "none": "No entries in the digest match those filters.",
        "abstain": "The digest does not seem to cover this.",
        "closest": "Closest in the digest: {items}.",
    },
    "ko": {
        "lead_one": '다이제스트에서는 {day}의 "{title}" [{n}]에서 다룹니다.',
        "lead_many": "다이제스트에서 관련 항목 {count}개를 찾았습니다: {items}.",
        "author": "다이제스트 작성자: ",
        "paper": "논문 초록: ",
        "list_head": "조건에 맞는 항목이 {count}개 있습니다{more}:",
        "list_more": " (처음 {shown}개 표시)",
        "none": "그 조건에 맞는 다이제스트 항목이 없습니다.",
        "abstain": "다이제스트에서 이 질문을 다룬 항목을 찾지 못했습니다.",
        "closest": "다이제스트에서 가장 가까운 항목: {items}.",
    },
}


def _entry_ref(hit: Hit, n: int) -> str:
    return f'"{hit.entry.title}" ({hit.entry.day.isoformat()}) [{n}]'


def _best_sentences(index: Index, query_vec: np.ndarray, texts: list[str], limit: int) -> list[str]:
    """The sentences closest to the question, in their original order, no repeats."""
    cleaned = (_URL_LIST.sub("", s).strip() for t in texts for s in split_sentences(t))
    sentences = list(dict.fromkeys(s for s in cleaned if len(s) > 15))
    if len(sentences) <= limit:
        return sentences
    vecs = np.asarray(index.embedder.embed_documents(sentences))
    best = sorted(np.argsort(-(vecs @ query_vec))[:limit])
    return [sentences[i] for i in best]


def _support(index: Index, query_vec: np.ndarray, entry: Entry, lang: str) -> list[tuple[str, str]]:
    """(label, text) lines that support an answer from one entry, in the question's language."""
    comment = commentary(entry, lang)
    out = []
    if comment:
        out.append(("author", " ".join(_best_sentences(index, query_vec, [comment], 2))))
    if entry.abstract and (lang == "en" or not entry.comment_ko):
        out.append(("paper", " ".join(_best_sentences(index, query_vec, [entry.abstract], 1))))
    return out


def _answer_hits(prep: Prepared) -> list[Hit]:
    """The hits worth citing: the top one, plus close runners-up, or the best of each day.

    A question naming several days ("compare the May 16 and May 20 entries that ...") wants
    the best entry of each day; a comparison of two described papers, the first of its
    interleaved ranking, one per side (citing runners-up too halved citation precision on
    comparisons); otherwise runners-up count only when their fused score is close to the top
    one (looser when the question asks for a comparison).
    """
    if len(prep.filters.days) > 1:
        best_per_day = []
        for lo, hi in prep.filters.days:
            in_range = [h for h in prep.hits if lo <= h.entry.day <= hi]
            if in_range and in_range[0] not in best_per_day:
                best_per_day.append(in_range[0])
        if best_per_day:
            return sorted(best_per_day, key=prep.hits.index)
    if prep.sides:
        return prep.hits[: len(prep.sides)]
    top = prep.hits[0]
    several = bool(COMPARE.search(prep.standalone))
    ratio, limit = (0.6, 4) if several else (0.9, 2)
    return [top] + [h for h in prep.hits[1:limit] if h.score >= ratio * top.score]


def abstention_text(prep: Prepared) -> str:
    """"The digest does not cover this", in the question's language, with the nearest entries."""
    p = _PHRASES[prep.lang]
    items = ", ".join(_entry_ref(h, n) for n, h in enumerate(prep.hits[:3], 1))
    return p["abstain"] + ("\n" + p["closest"].format(items=items) if items else "")


def write_offline(index: Index, prep: Prepared) -> str:
    """Extractive answer: a lead naming the entries, then their best sentences, each with [n]."""
    p = _PHRASES[prep.lang]
    if prep.listing:
        if not prep.hits:
            return p["none"]
        shown = prep.hits[:MAX_LISTED]
        more = p["list_more"].format(shown=len(shown)) if len(prep.hits) > len(shown) else ""
        lines = [p["list_head"].format(count=len(prep.hits), more=more)]
        for n, hit in enumerate(shown, 1):
            tags = " ".join("#" + t for t in hit.entry.tags)
            lines.append(f"- {hit.entry.day.isoformat()} \u00b7 {hit.entry.title} [{n}] {tags}".rstrip())
        return "\n".join(lines)
    if prep.weak:
        return abstention_text(prep)
    chosen = _answer_hits(prep)
    numbers = {id(h): prep.hits.index(h) + 1 for h in chosen}
    if len(chosen) == 1:
        lines = [p["lead_one"].format(title=chosen[0].entry.title, day=chosen[0].entry.day.isoformat(), n=1)]
    else:
        items = "; ".join(_entry_ref(h, numbers[id(h)]) for h in chosen)
        lines = [p["lead_many"].format(count=len(chosen), items=items)]
    query_vec = np.asarray(index.embedder.embed_query(prep.standalone))
    for hit in chosen:
        n = numbers[id(hit)]
        for label, text in _support(index, query_vec, hit.entry, prep.lang):
            if text:
                lines.append(f"- {p[label]}{text} [{n}]")
    return "\n".join(lines)


def offline_abstains(prep: Prepared) -> bool:
    """Whether the offline writer abstains for these hits."""
    return prep.weak or (prep.listing and not prep.hits)


# ---- entry points -----------------------------------------------------------------------

def answer_stream(
    index: Index, settings: Settings, question: str, history: History | None = None,
    filters: Filters | None = None, k: int | None = None, lang: str | None = None,
) -> Iterator[str | Answer]:
    """Yield text as it is written, then the final validated Answer (always last)."""
    prep = prepare(index, question, history, filters, k or settings.top_k, lang, settings)
    if settings.llm_enabled and prep.hits and not prep.listing and not prep.weak:
        from rag.llm import LLMError, says_not_covered, stream_llm

        parts: list[str] = []
        try:
            prep = with_translation(index, settings, prep, k or settings.top_k)
            for delta in stream_llm(settings, prep, history or []):
                parts.append(delta)
                yield delta
            if not "".join(parts).strip():
                raise LLMError("The language model returned an empty answer; showing the offline answer.")
        except LLMError as err:
            text = write_offline(index, prep)
            yield "\n\n" + text if parts else text
            yield build_answer(prep, text, offline_abstains(prep), notice=str(err))
            return
        text = "".join(parts)
        if says_not_covered(text):
            yield build_answer(prep, abstention_text(prep), abstained=True)
        else:
            yield build_answer(prep, text, abstained=False)
        return
    text = write_offline(index, prep)
    yield text
    yield build_answer(prep, text, offline_abstains(prep))


def answer_question(
    index: Index, settings: Settings, question: str, history: History | None = None,
    filters: Filters | None = None, k: int | None = None, lang: str | None = None,
) -> Answer:
    """Run answer_stream to the end and return its Answer."""
    final = None
    for item in answer_stream(index, settings, question, history, filters, k, lang):
        if isinstance(item, Answer):
            final = item
    assert final is not None  # answer_stream always ends with an Answer
    return final

"""Answers: numbered sources in, text with [n] out, every [n] checked against the sources.

Two writers share one pipeline (`rag.ask.prepare` decides what they write from): an
OpenAI-compatible chat model (when a key is set) and the offline extractive writer
(`rag.ask.extractive`). Both get the same numbered contexts; the Answer carries them as data,
so the UI and API render from it and never parse the text back.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rag.ask.conversation import History
from rag.ask.extractive import abstention_text, write_offline
from rag.ask.prepare import LIST, Prepared, cited_hits, commentary, numbered, prepare, with_translation
from rag.config import Settings
from rag.index.reader import Index
from rag.model import Answer, Citation, Entry, Filters, Hit
from rag.text import MARKER

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

    cleaned = MARKER.sub(keep, text)
    cleaned = re.sub(r"[ \t]+([.,;:!?])", r"\1", cleaned)
    cleaned = re.sub(r"[ \t]{2,}", " ", cleaned)
    return cleaned.strip(), cited


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


def offline_abstains(prep: Prepared) -> bool:
    """Whether the offline writer abstains for these hits."""
    return prep.weak or prep.hidden_by is not None or (prep.listing and not prep.hits)


# ---- entry points -----------------------------------------------------------------------

def answer_stream(
    index: Index, settings: Settings, question: str, history: History | None = None,
    filters: Filters | None = None, k: int | None = None, lang: str | None = None,
) -> Iterator[str | Answer]:
    """Yield text as it is written, then the final validated Answer (always last)."""
    prep = prepare(index, question, history, filters, k or settings.top_k, lang, settings)
    writes = settings.llm_enabled and prep.hits and prep.shape != LIST and not prep.weak and prep.hidden_by is None
    if writes:
        from rag.ask.llm import LLMError, says_not_covered, stream_llm

        parts: list[str] = []
        try:
            prep = with_translation(index, settings, prep, k or settings.top_k)
            for delta in stream_llm(settings, prep):
                parts.append(delta)
                yield delta
            if not "".join(parts).strip():
                raise LLMError("The language model returned an empty answer; showing the offline answer.")
        except LLMError as err:
            prep = numbered(prep, cited_hits(prep))
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
    prep = numbered(prep, cited_hits(prep))
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

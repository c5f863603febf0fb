"""The citation check, shared by both writers: every [n] of an answer's text must name one of
its numbered sources (others are dropped), and the Answer cites exactly the sources its text
does. Writers produce text; this turns it into the Answer the UI and API render.
"""

from __future__ import annotations

import re

from rag.ask.extractive import write_offline
from rag.ask.prepare import Prepared, cited_hits, commentary, numbered
from rag.index.reader import Index
from rag.model import Answer, Citation, Entry, Hit
from rag.text import MARKER


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


def offline_answer(index: Index, prep: Prepared, notice: str = "") -> Answer:
    """The offline extractive answer for prepared sources (the chain's fallback, and the
    answer whenever no chat model writes)."""
    prep = numbered(prep, cited_hits(prep))
    return build_answer(prep, write_offline(index, prep), offline_abstains(prep), notice=notice)

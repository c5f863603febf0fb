"""Answers: the question prepared (`rag.ask.prepare`), then written by the chat-model chain
(`rag.ask.chain`, when a key is set) or the offline extractive writer, and checked
(`rag.ask.cite`). Both writers get the same numbered contexts; the Answer carries them as data,
so the UI and API render from it, and a follow-up gets the cited entries back as data (the
`Answer`, or its cited ids; see `rag.ask.conversation`). Text is parsed back only for a
plain-text history from another client.
"""

from __future__ import annotations

from collections.abc import Iterator

from rag.ask.cite import offline_answer
from rag.ask.conversation import Conversation, History
from rag.ask.prepare import LIST, Rewrite, prepare
from rag.config import Settings
from rag.index.reader import Index
from rag.model import Answer, Filters

# ---- entry points -----------------------------------------------------------------------

def _rewriter(settings: Settings) -> Rewrite | None:
    """With a chat model, the condense step; a failed rewrite keeps the rules' reading."""
    if not settings.llm_enabled:
        return None
    from rag.ask.llm import LLMError, condense

    def rewrite(question: str, state: Conversation) -> str | None:
        try:
            return condense(settings, question, state)
        except LLMError:
            return None

    return rewrite


def answer_stream(
    index: Index, settings: Settings, question: str, history: History | None = None,
    filters: Filters | None = None, k: int | None = None, lang: str | None = None, order: str = "date",
) -> Iterator[str | Answer]:
    """Yield text as it is written, then the final validated Answer (always last).

    `order` sorts a list of entries: "date" (newest first) or "relevance"."""
    prep = prepare(index, question, history, filters, k or settings.top_k, lang, _rewriter(settings), order)
    writes = settings.llm_enabled and prep.hits and prep.shape != LIST and not prep.weak and prep.hidden_by is None
    if writes:
        from rag.ask.chain import answer_chain

        yield from answer_chain(index, settings, k or settings.top_k).stream({"prep": prep})
        return
    answer = offline_answer(index, prep)
    yield answer.text
    yield answer


def answer_question(
    index: Index, settings: Settings, question: str, history: History | None = None,
    filters: Filters | None = None, k: int | None = None, lang: str | None = None, order: str = "date",
) -> Answer:
    """Run answer_stream to the end and return its Answer."""
    final = None
    for item in answer_stream(index, settings, question, history, filters, k, lang, order):
        if isinstance(item, Answer):
            final = item
    assert final is not None  # answer_stream always ends with an Answer
    return final

"""The chat-model path as one LangChain runnable, streamed:

    retrieve (the sources, searched again with the question's translation)
    -> prompt (numbered sources and the question, quoted as data)
    -> ChatOpenAI
    -> citation check (every [n] must name a source; "not covered" becomes an abstention)

with the offline extractive answer as its fallback (`with_fallbacks`) when anything fails
before the model writes, and the same offline answer appended when it fails mid-stream. The
chain streams the answer's text as it is written and ends with the validated `Answer`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from operator import itemgetter

from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import (
    Runnable,
    RunnableGenerator,
    RunnableLambda,
    RunnablePassthrough,
)

from rag.ask.cite import build_answer, offline_answer
from rag.ask.extractive import abstention_text
from rag.ask.llm import LLMError, build_messages, chat_model, failure, says_not_covered, translate
from rag.ask.prepare import Prepared
from rag.ask.question import answer_language
from rag.ask.retrieve import search_index
from rag.config import Settings
from rag.index.reader import Index
from rag.model import Answer

EMPTY = "The language model returned an empty answer; showing the offline answer."


def with_translation(index: Index, settings: Settings, prep: Prepared, k: int) -> Prepared:
    """The sources searched again with the question also in the digest's other language.

    Asked only once the evidence is strong enough for the model to write (a weak question
    abstains with no model call). A failure raises LLMError, like the writer's own. When the
    entries about a topic are already decided (`Prepared.membership`), the model gets that
    set as it is: a translation would only reorder it.
    """
    if prep.membership is not None and prep.membership.members:
        return prep
    other = "en" if answer_language(prep.standalone) == "ko" else "ko"
    translated = translate(settings, prep.standalone, other)
    found = search_index(index, prep.standalone, k, prep.filters or None, translation=translated)
    return replace(prep, hits=found.hits, side_hits=found.sides or prep.side_hits)


def _checked(index: Index, settings: Settings) -> RunnableGenerator:
    """The citation check: pass the text through as it streams, then validate it into an Answer."""

    def check(chunks: Iterator[dict]) -> Iterator[str | Answer]:
        prep: Prepared | None = None
        parts: list[str] = []
        try:
            for chunk in chunks:
                prep = chunk.get("prep", prep)
                delta = chunk.get("text")
                if delta:
                    parts.append(delta)
                    yield delta
            if not "".join(parts).strip():
                raise LLMError(EMPTY)
        except Exception as exc:
            if prep is None or not parts:
                raise  # nothing written yet: the chain's fallback answers offline
            answer = offline_answer(index, prep, notice=failure(settings, exc))
            yield "\n\n" + answer.text
            yield answer
            return
        text = "".join(parts)
        assert prep is not None  # the stream carries "prep" before any text (see answer_chain)
        if says_not_covered(text):
            yield build_answer(prep, abstention_text(prep), abstained=True)
        else:
            yield build_answer(prep, text, abstained=False)

    return RunnableGenerator(check, name="citation_check")


def _offline(index: Index, settings: Settings) -> RunnableGenerator:
    """The fallback: the offline answer, with a one-line notice of what failed."""

    def fallback(inputs: Iterator[dict]) -> Iterator[str | Answer]:
        for given in inputs:
            answer = offline_answer(index, given["prep"], notice=failure(settings, given["error"]))
            yield answer.text
            yield answer

    return RunnableGenerator(fallback, name="offline_answer")


def answer_chain(index: Index, settings: Settings, k: int) -> Runnable:
    """The runnable: input {"prep": Prepared}; streams text deltas, then the Answer."""
    retrieve: RunnableLambda[dict, Prepared] = RunnableLambda(
        lambda given: with_translation(index, settings, given["prep"], k), name="retrieve"
    )
    prompt = RunnableLambda(build_messages, name="prompt")
    written = (
        RunnablePassthrough.assign(prep=retrieve)
        | RunnablePassthrough.assign(text=itemgetter("prep") | prompt | chat_model(settings) | StrOutputParser())
        | _checked(index, settings)
    )
    return written.with_fallbacks([_offline(index, settings)], exception_key="error")

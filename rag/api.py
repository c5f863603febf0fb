"""The public API's functions (re-exported by `rag`): answer, answer_stream, search,
understand, reindex, record_feedback. Each opens the process-wide index for the settings given (or read from
the environment) and goes through the same calls as the CLI and the web app."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from rag.ask.answer import answer_question
from rag.ask.answer import answer_stream as _answer_stream
from rag.ask.conversation import History
from rag.ask.prepare import QuestionError, check_question
from rag.ask.question import Understanding, detect_language
from rag.ask.retrieve import Retrieved, search_index, understand_question
from rag.ask.topics import topic_members
from rag.config import Settings, load_settings
from rag.index.bridge import Pair
from rag.index.reader import Index, get_index
from rag.index.reindex import reindex as _reindex
from rag.model import Answer, Entry, Filters, Hit, ReindexReport
from rag.state.feedback import save_feedback


def _index(settings: Settings | None) -> Index:
    return get_index(settings or load_settings())


def search(
    question: str,
    k: int = 10,
    filters: Filters | None = None,
    settings: Settings | None = None,
    *,
    index: Index | None = None,
) -> list[Hit]:
    """The k entries that best answer a question, best first: what `rag search`, the MCP `search`
    tool and the LangChain retriever all return."""
    return search_result(question, k, filters, settings, index=index).hits[:k]


def search_result(
    question: str,
    k: int = 10,
    filters: Filters | None = None,
    settings: Settings | None = None,
    *,
    index: Index | None = None,
) -> Retrieved:
    """`search` with what it understood of the question (the filters it applied), for a caller
    that shows them; `index` is an index the caller already holds (else the settings' one)."""
    return search_index(index or _index(settings), check_question(question), k, filters)


def understand(question: str, settings: Settings | None = None) -> Understanding:
    """How a question is read against the index: its day ranges and tags (the filters), whether
    it only asks for a list, and its topic; what the web app shows as chips."""
    index = _index(settings)
    return understand_question(index.fresh_view(), check_question(question))


def answer(
    question: str,
    history: History | None = None,
    filters: Filters | None = None,
    settings: Settings | None = None,
    lang: str | None = None,
    order: str = "date",
) -> Answer:
    """Answer a question from the digest, with [n] citations pointing at entries.

    `lang` ("en"/"ko") forces the answer language; by default it follows the question.
    `order` sorts a list of entries: "date" (newest first, the default) or "relevance".
    """
    settings = settings or load_settings()
    return answer_question(
        get_index(settings), settings, question, history, filters, lang=lang, order=order
    )


def answer_stream(
    question: str,
    history: History | None = None,
    filters: Filters | None = None,
    settings: Settings | None = None,
    lang: str | None = None,
    order: str = "date",
) -> Iterator[str | Answer]:
    """Yield the answer's text as it is written, then the final Answer."""
    settings = settings or load_settings()
    return _answer_stream(
        get_index(settings), settings, question, history, filters, lang=lang, order=order
    )


def terms(word: str, settings: Settings | None = None) -> list[Pair]:
    """The Korean<->English pairs the term bridge holds for a word, best first."""
    if not word.strip():
        raise QuestionError("give a word to look up")
    return _index(settings).fresh_view().bridge.terms(word.strip())


def members(
    question: str, filters: Filters | None = None, settings: Settings | None = None
) -> list[Entry]:
    """The entries (under the filters) that a question's topic or author admits, as answers
    decide them: every entry by the authors it names, else every entry about its topic
    (`rag.ask.topics`). Follows use it to match a new day's entries."""
    return [hit.entry for hit in topic_members(_index(settings), check_question(question), filters)]


def reindex(
    data_dir: str | Path | None = None,
    settings: Settings | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> ReindexReport:
    """Index new and changed day files, drop removed ones; returns what changed."""
    settings = settings or load_settings()
    return _reindex(settings, Path(data_dir) if data_dir else None, on_progress=on_progress)


def record_feedback(
    answer: Answer, good: bool, comment: str = "", history: History | None = None,
    settings: Settings | None = None, user: str = "",
) -> int:
    """Keep a 👍/👎 (and an optional comment) on an answer in the state folder, with its
    question, history, cited ids and the index version; `rag feedback export` turns them into
    a question file. An answer whose cited entries changed or went since is kept, marked stale.
    Returns the judgement's id."""
    settings = settings or load_settings()
    view = _index(settings).view()
    stale = any(view.entries.get(c.entry.id) != c.entry for c in answer.citations)
    turns = [_turn_json(t) for t in history or ()]
    return save_feedback(settings, answer, bool(good), comment or "", turns, view.manifest.version, stale,
                         detect_language(answer.question), user)


def _turn_json(turn: object) -> object:
    """A history turn as JSON: an Answer becomes its text and cited ids (what `answer` reads back)."""
    if isinstance(turn, dict) and isinstance(turn.get("content"), Answer):
        turn = turn["content"]
    if isinstance(turn, Answer):
        return {"role": "assistant", "content": turn.text, "citations": [c.entry.id for c in turn.citations]}
    return turn if isinstance(turn, (dict, str)) else list(turn)  # type: ignore[call-overload]

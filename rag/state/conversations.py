"""Saved conversations: each question and answer as it happens, with the answer's cited entry
ids in [n] order, so a reopened conversation gives `answer(history=...)` what it needs for
follow-ups ("the second one"), not only the text. Each user sees and changes only their own."""

from __future__ import annotations

import json
from dataclasses import dataclass

from rag.config import Settings
from rag.state.db import connect, inserted_id, now

MAX_TITLE = 120


class ConversationError(ValueError):
    """A conversation that is not there (or not the user's), or a title that is empty."""


@dataclass(frozen=True)
class Saved:
    """One saved conversation in the list: its title (the first question unless renamed) and day."""

    id: int
    title: str
    created: str
    updated: str


@dataclass(frozen=True)
class Turn:
    """One question and its answer as shown (Markdown), with the cited entry ids in [n] order."""

    question: str
    answer: str
    cited: list[str]


def _title(text: str) -> str:
    title = " ".join(text.split())
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1] + "…"


def save_turn(settings: Settings, conversation: int | None, question: str, answer: str, cited: list[str],
              user: str = "") -> int:
    """Append a turn (a new conversation when `conversation` is None, titled by the question);
    returns the conversation's id."""
    stamp = now()
    with connect(settings) as conn:
        if conversation is None:
            conversation = inserted_id(conn.execute("INSERT INTO conversations (user, title, created, updated) "
                                                    "VALUES (?, ?, ?, ?)", (user, _title(question), stamp, stamp)))
        else:
            _own(conn, conversation, user)
            conn.execute("UPDATE conversations SET updated = ? WHERE id = ?", (stamp, conversation))
        n = conn.execute("SELECT count(*) FROM turns WHERE conversation = ?", (conversation,)).fetchone()[0]
        conn.execute("INSERT INTO turns VALUES (?, ?, ?, ?, ?)", (conversation, n, question, answer, json.dumps(cited)))
    return conversation


def _own(conn, conversation: int, user: str) -> None:
    row = conn.execute("SELECT user FROM conversations WHERE id = ?", (conversation,)).fetchone()
    if row is None or row[0] != user:  # another user's is as absent as a deleted one
        raise ConversationError("that conversation is not there any more")


def list_conversations(settings: Settings, user: str = "") -> list[Saved]:
    """A user's conversations, newest first."""
    with connect(settings) as conn:
        rows = conn.execute("SELECT id, title, created, updated FROM conversations WHERE user = ? "
                            "ORDER BY created DESC, id DESC", (user,)).fetchall()
    return [Saved(*row) for row in rows]


def load_conversation(settings: Settings, conversation: int, user: str = "") -> list[Turn]:
    """A conversation's turns, oldest first."""
    with connect(settings) as conn:
        _own(conn, conversation, user)
        rows = conn.execute("SELECT question, answer, cited FROM turns WHERE conversation = ? ORDER BY n",
                            (conversation,)).fetchall()
    return [Turn(q, a, json.loads(c)) for q, a, c in rows]


def rename_conversation(settings: Settings, conversation: int, title: str, user: str = "") -> None:
    """Give a conversation another title."""
    if not title.strip():
        raise ConversationError("a title cannot be empty")
    with connect(settings) as conn:
        _own(conn, conversation, user)
        conn.execute("UPDATE conversations SET title = ? WHERE id = ?", (_title(title), conversation))


def delete_conversation(settings: Settings, conversation: int, user: str = "") -> None:
    """Forget a conversation and its turns."""
    with connect(settings) as conn:
        _own(conn, conversation, user)
        conn.execute("DELETE FROM turns WHERE conversation = ?", (conversation,))
        conn.execute("DELETE FROM conversations WHERE id = ?", (conversation,))


def as_history(turns: list[Turn]) -> list[dict]:
    """The turns as `answer(history=...)` reads them: assistant turns carry their cited ids."""
    out: list[dict] = []
    for t in turns:
        out += [{"role": "user", "content": t.question},
                {"role": "assistant", "content": t.answer, "citations": t.cited}]
    return out

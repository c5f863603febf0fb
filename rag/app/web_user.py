"""The web app's per-user parts, kept out of `rag.app.web` (which wires them in a few lines):
the Follow button, 👍/👎 on answers (Gradio's like/dislike, with an optional comment), Export
.bib, "New on what you follow" in the opening brief, saved conversations (list, reopen,
rename, delete) and the user's feed link.

Whose state: the logged-in user's (`request.username`); with no login, the machine's own user
(""), the same one the CLI's follows belong to. A state file that cannot be used is a warning
on the page; answering goes on.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import gradio as gr

from rag.api import record_feedback
from rag.app.bibtex import bibtex
from rag.app.follows import follow, news_entries
from rag.app.render import entry_brief
from rag.config import Settings
from rag.index.reader import Index
from rag.model import Answer
from rag.state.conversations import (
    ConversationError,
    as_history,
    delete_conversation,
    list_conversations,
    load_conversation,
    rename_conversation,
    save_turn,
)
from rag.state.db import StateError
from rag.state.feedback import counts
from rag.state.follows import FollowError
from rag.state.tokens import new_feed_token

NEWS_SHOWN = 5  # entries per follow in the opening brief
USER_ERRORS = (StateError, FollowError, ConversationError)


@dataclass
class Session:
    """One page's conversation: its saved id, and each answered turn with its place in the chat
    (a fresh Answer, or a reopened turn's text and cited ids)."""

    conversation: int | None = None
    turns: list[tuple[int, str, Answer | dict]] = field(default_factory=list)

    def history(self) -> list:
        """The conversation as `answer(history=...)` takes it, Answer state and all."""
        out: list = []
        for _, question, turn in self.turns:
            out += [{"role": "user", "content": question},
                    turn if isinstance(turn, dict) else {"role": "assistant", "content": turn}]
        return out


def user_of(request: gr.Request | None) -> str:
    """Whose state a request reads and writes."""
    return (request.username if request is not None else None) or ""


def remember(settings: Settings, session: Session, at: int, question: str, answer: Answer, shown: str,
             request: gr.Request | None) -> Session:
    """Keep an answered turn in the page's session and save it (a warning when the state file
    cannot be used; the answer stands)."""
    session = replace(session, turns=[*session.turns, (at, question, answer)])
    try:
        conversation = save_turn(settings, session.conversation, question, shown,
                                 [c.entry.id for c in sorted(answer.citations, key=lambda c: c.n)], user_of(request))
        return replace(session, conversation=conversation)
    except USER_ERRORS as err:
        gr.Warning(str(err))
        return session


def follows_brief(settings: Settings, index: Index, request: gr.Request | None) -> str:
    """The opening brief's "New on what you follow" section ('' with no follows)."""
    try:
        news = news_entries(settings, index, user_of(request))
    except StateError as err:
        return f"\n\n_{err}_"
    if not news:
        return ""
    parts = ["\n\n## New on what you follow"]
    for f, entries in news:
        parts.append(f"**{f.name}** ({len(entries)} new)")
        parts += [entry_brief(e) for e in entries[:NEWS_SHOWN]]
    return "\n\n".join(parts)


def _download(text: str, suffix: str) -> str:
    folder = Path(tempfile.gettempdir()) / "digest-rag-exports"
    folder.mkdir(exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=suffix, prefix="conversation-", dir=folder,
                                     delete=False) as fh:
        fh.write(text)
        return fh.name


def bib_file(session: Session, index: Index) -> str | None:
    """The entries the conversation's answers cite, as a .bib file to download (None if none)."""
    entries = index.view().entries
    cited = []
    for _, _, turn in session.turns:
        if isinstance(turn, Answer):
            cited += [c.entry for c in sorted(turn.citations, key=lambda c: c.n)]
        else:
            cited += [entries[i] for i in turn["citations"] if i in entries]
    return _download(bibtex(cited), ".bib") if cited else None


def saved_choices(settings: Settings, request: gr.Request | None) -> list[tuple[str, int]]:
    """The user's saved conversations for a dropdown: "first question · day", newest first."""
    try:
        return [(f"{s.title} · {s.created[:10]}", s.id) for s in list_conversations(settings, user_of(request))]
    except StateError as err:
        gr.Warning(str(err))
        return []


def reopen(settings: Settings, conversation: int | None, request: gr.Request | None) -> tuple[list, list, Session]:
    """A saved conversation back on the page: the chat, the Markdown turns, and its Session."""
    if conversation is None:
        raise gr.Error("pick a saved conversation first")
    try:
        turns = load_conversation(settings, int(conversation), user_of(request))
    except USER_ERRORS as err:
        raise gr.Error(str(err)) from err
    history = as_history(turns)
    chat = [{"role": h["role"], "content": h["content"]} for h in history]
    session = Session(int(conversation), [(2 * n + 1, t.question, history[2 * n + 1]) for n, t in enumerate(turns)])
    # The turns carry their cited ids, so a follow-up on a reopened answer resolves by data.
    kept = [{"question": t.question, "shown": t.answer, "citations": list(t.cited)} for t in turns]
    return chat, kept, session


def feedback(settings: Settings, session: Session, comment: str, data: gr.LikeData,
             request: gr.Request | None) -> str:
    """Record a 👍/👎 on the liked answer; returns the comment box's new value ('')."""
    # A chatbot's like carries the message's index (a table's would carry a (row, column) pair).
    at_index = data.index if isinstance(data.index, int) else data.index[0]
    answer = next((turn for at, _, turn in session.turns if at == at_index), None)
    if not isinstance(answer, Answer):
        gr.Info("Feedback goes on answers given in this session.")
        return comment
    try:
        record_feedback(answer, bool(data.liked), comment or "", history=session.history()[: 2 * _place(session, at_index)],
                        settings=settings, user=user_of(request))
    except StateError as err:
        gr.Warning(str(err))
        return comment
    gr.Info("Thanks: feedback kept on this machine (`rag feedback export` turns it into an evaluation).")
    return ""


def _place(session: Session, index: int) -> int:
    """How many answered turns come before the one at this chat index."""
    return sum(1 for at, _, _ in session.turns if at < index)


def follow_last(settings: Settings, session: Session, request: gr.Request | None) -> None:
    """Follow the last question asked (its topic, author or #tag)."""
    if not session.turns:
        raise gr.Error("ask a question first: Follow saves its topic")
    try:
        f = follow(settings, session.turns[-1][1], None, user_of(request))
    except USER_ERRORS as err:
        raise gr.Error(str(err)) from err
    gr.Info(f"Following '{f.query}' as {f.name}: new entries show in the opening brief and at /feeds/{f.name}.atom")


def feed_link(settings: Settings, request: gr.Request | None) -> str:
    """A new secret feed URL for the user (the old one stops working)."""
    try:
        token = new_feed_token(settings, user_of(request))
    except StateError as err:
        raise gr.Error(str(err)) from err
    return (f"Feed readers: `/feeds/all.atom?token={token}` (or `/feeds/NAME.atom?token=...` for one follow). "
            "Keep it secret; a new link revokes this one.")


def feedback_counts(settings: Settings) -> str:
    """The Index tab's line on feedback."""
    try:
        c = counts(settings)
    except StateError as err:
        return str(err)
    stale = f" ({c['stale']} on answers whose entries changed since)" if c["stale"] else ""
    return f"Feedback: {c['good']} 👍, {c['bad']} 👎{stale}. `rag feedback export OUT.jsonl` makes them a question file."


@dataclass(frozen=True)
class Wiring:
    """What the app chains to its own events: `.then(*after_answer)` after each answer (the
    saved list and the .bib export follow it), and `app.load(*on_load)`."""

    after_answer: tuple
    on_load: tuple


def controls(settings: Settings, index: Index, chat: gr.Chatbot, turns: gr.State, session: gr.State,
             brief: gr.Markdown) -> Wiring:
    """The per-user controls, placed where they are called inside the Blocks, their own events
    wired; what the app's events must chain is returned."""
    with gr.Row():
        follow_btn = gr.Button("Follow", elem_id="follow", size="sm")
        bib = gr.DownloadButton("Export (.bib)", value=None, elem_id="export-bib", size="sm")
    comment = gr.Textbox(label="Feedback comment (optional, sent with Like or Dislike)", elem_id="feedback-comment", lines=1)
    with gr.Accordion("Saved conversations", open=False, elem_id="saved"):
        saved = gr.Radio(choices=[], label="Your conversations (newest first)", elem_id="saved-list")
        with gr.Row():
            open_btn = gr.Button("Open", elem_id="saved-open", size="sm")
            delete_btn = gr.Button("Delete", elem_id="saved-delete", size="sm", variant="stop")
        title = gr.Textbox(label="New title", elem_id="saved-title", lines=1)
        rename_btn = gr.Button("Rename", elem_id="saved-rename", size="sm")
    with gr.Accordion("Your feeds", open=False, elem_id="feeds"):
        link_btn = gr.Button("New feed link", elem_id="feed-link", size="sm")
        link = gr.Markdown("", elem_id="feed-url")

    def listed(request: gr.Request) -> gr.Radio:
        return gr.Radio(choices=saved_choices(settings, request), value=None)

    def after(sess: Session, request: gr.Request) -> tuple:
        return listed(request), gr.DownloadButton(value=bib_file(sess, index))

    def opened(conversation, request: gr.Request) -> tuple:
        chat_value, md_turns, sess = reopen(settings, conversation, request)
        return chat_value, md_turns, sess, gr.Markdown(visible=False), gr.DownloadButton(value=bib_file(sess, index))

    def renamed(conversation, new_title: str, request: gr.Request) -> gr.Radio:
        _change(rename_conversation, conversation, new_title, request)
        return listed(request)

    def deleted(conversation, request: gr.Request) -> gr.Radio:
        _change(delete_conversation, conversation, None, request)
        return listed(request)

    def _change(fn, conversation, new_title, request: gr.Request) -> None:
        if conversation is None:
            raise gr.Error("pick a saved conversation first")
        try:
            args = (new_title,) if new_title is not None else ()
            fn(settings, int(conversation), *args, user=user_of(request))
        except USER_ERRORS as err:
            raise gr.Error(str(err)) from err

    def liked(sess: Session, text: str, data: gr.LikeData, request: gr.Request) -> str:
        return feedback(settings, sess, text, data, request)

    def followed(sess: Session, request: gr.Request) -> None:
        follow_last(settings, sess, request)

    def new_link(request: gr.Request) -> str:
        return feed_link(settings, request)

    chat.like(liked, [session, comment], comment)
    follow_btn.click(followed, session, None)
    open_btn.click(opened, saved, [chat, turns, session, brief, bib])
    rename_btn.click(renamed, [saved, title], saved)
    delete_btn.click(deleted, saved, saved)
    link_btn.click(new_link, None, link)
    return Wiring(after_answer=(after, session, [saved, bib]), on_load=(listed, None, saved))

"""The Ask tab: the chat, the question box with its filters right under it, and the sources.

The conversation is kept as data in the session (`gr.State`): each turn's question, the
answer as shown, and its citations as `{"n", "id"}`. The ask layer gets that history as
message dicts whose assistant turns carry `"citations"`, so a follow-up ("the second one")
resolves by ids, never by reading titles back out of the rendered text. Only the last
MAX_TURNS turns are kept, so a session's memory is bounded however long it talks.
"""

from __future__ import annotations

import html
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import gradio as gr
from gradio.i18n import I18nData
from markdown_it import MarkdownIt

from rag.app import web_user as user_ui
from rag.app.brief import DayError, day_entries
from rag.app.cards import brief_html, filter_chips, sources_html
from rag.app.labels import label
from rag.app.render import answer_markdown, conversation_markdown, inert_line
from rag.ask.answer import answer_stream
from rag.ask.filters import user_filters
from rag.ask.prepare import QuestionError
from rag.config import MAX_QUESTION_CHARS, Settings
from rag.index.reader import Index
from rag.index.store import StoreUnavailableError
from rag.model import Answer, Filters

MAX_TURNS = 20
ORDERS = ("date", "relevance")
EXAMPLES = [
    "Which paper folds neighbouring image tokens into the channel dimension to shorten the sequence?",
    "이미지 토큰을 채널 차원으로 접어 시퀀스 길이를 줄이는 논문은?",
    "What did the digest author think about model-based verifiers for RL?",
    "2025년 5월 20일에 올라온 #rl 논문을 모두 알려줘.",
]
EXPORTS = Path(tempfile.gettempdir()) / "digest-rag-exports"
# Exports older than this are removed when the next one is written.
EXPORT_AGE_S = 3600


@dataclass
class AskTab:
    """The Ask tab's components."""

    chat: gr.Chatbot
    chips: gr.HTML
    question: gr.Textbox
    send: gr.Button
    new: gr.Button
    export: gr.DownloadButton
    start: gr.DateTime
    end: gr.DateTime
    tags: gr.Dropdown
    lang: gr.Radio
    order: gr.Radio
    brief: gr.HTML
    sources: gr.HTML
    turns: gr.State
    session: gr.State  # rag.app.web_user.Session: the saved conversation and its answers

    def filters(self) -> list:
        """The inputs that filter a question."""
        return [self.start, self.end, self.tags, self.lang, self.order]


def layout(t: Callable[[str], I18nData]) -> AskTab:
    """The tab's components, in a row of two columns: the conversation, then its sources."""
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=300):
            chat = gr.Chatbot(label=t("answer"), height="58vh", sanitize_html=True, elem_id="chat",
                              autoscroll=False, buttons=["copy", "copy_all"], feedback_options=("Like", "Dislike"))
            chips = gr.HTML("", elem_id="active-filters")
            question = gr.Textbox(label=t("question"), placeholder=t("placeholder"), elem_id="question",
                                  autofocus=True)
            with gr.Row():
                send = gr.Button(t("ask"), variant="primary", elem_id="ask")
                new = gr.Button(t("new"), elem_id="new-conversation")
                export = gr.DownloadButton(str(t("export")), value=None, elem_id="export")  # str: Gradio's label type
            with gr.Accordion(t("filters"), open=False, elem_id="filters"):
                with gr.Row():
                    start = gr.DateTime(label=t("from"), include_time=False, type="string", elem_id="day-from")
                    end = gr.DateTime(label=t("to"), include_time=False, type="string", elem_id="day-to")
                tags = gr.Dropdown(choices=[], multiselect=True, label=t("tags"), elem_id="tag-filter")
                with gr.Row():
                    lang = gr.Radio([(t("auto"), "auto"), ("한국어", "ko"), ("English", "en")], value="auto",
                                    label=t("lang"), elem_id="answer-lang")
                    order = gr.Radio([(t("order_date"), "date"), (t("order_relevance"), "relevance")],
                                     value="date", label=t("order"), elem_id="list-order")
            gr.Examples(EXAMPLES, inputs=question, label=t("try"))
        with gr.Column(scale=2, min_width=280):
            brief = gr.HTML("", elem_id="brief")
            sources = gr.HTML("", elem_id="sources")
    return AskTab(chat, chips, question, send, new, export, start, end, tags, lang, order, brief, sources,
                  gr.State([]), gr.State(user_ui.Session()))


def to_date(value: str | None) -> date | None:
    """A day picker's text (or None) as a date; ValueError when it is not one."""
    if value is None or not value.strip():
        return None
    return date.fromisoformat(value.strip()[:10])


def malformed(message: object, start: object, end: object, tags: object, lang: object, order: object) -> str:
    """What is wrong with a request's raw values ("" when nothing): the endpoint takes them as
    sent (no preprocessing), so an API client's garbage is one clear sentence, not a traceback."""
    if not isinstance(message, str):
        return "the question is text"
    if any(v is not None and not isinstance(v, str) for v in (start, end)):
        return "a day is text like 2025-05-20"
    if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
        return "tags are a list of tag names"
    if lang not in ("auto", "ko", "en"):
        return "the answer language is one of auto, ko, en"
    if order not in ORDERS:
        return f"the list order is one of {', '.join(ORDERS)}"
    return ""


def ui_filters(start: str | None, end: str | None, tags: list[str] | None, days: list[date]) -> Filters | None:
    """Filters from the panel; None when nothing is set (the question's own apply). A day that
    is no day raises ValueError."""
    lo, hi = to_date(start), to_date(end)
    ranges: tuple = ()
    if lo or hi:
        lo = lo or (days[0] if days else date.min)
        hi = hi or (days[-1] if days else date.max)
        ranges = ((min(lo, hi), max(lo, hi)),)
    f = user_filters(days=ranges, tags=tags or ())
    return f if f else None


def history_of(turns: list) -> list[dict]:
    """The conversation as the ask layer reads it: message dicts, each answer with its cited ids."""
    messages: list[dict] = []
    for turn in turns:
        answer = {"role": "assistant", "content": turn["shown"], "citations": turn["citations"]}
        messages += [{"role": "user", "content": turn["question"]}, answer]
    return messages


def chat_of(turns: list[dict], pending: str | None = None, partial: str = "") -> list[dict]:
    """What the chat shows: each question as typed (as text, never markup), then its answer."""
    messages: list[dict] = []
    for turn in turns:
        messages += [{"role": "user", "content": shown_question(turn["question"])},
                     {"role": "assistant", "content": turn["shown"]}]
    if pending is not None:
        messages += [{"role": "user", "content": shown_question(pending)}, {"role": "assistant", "content": partial}]
    return messages


def shown_question(text: str) -> str:
    """A question as inert Markdown: HTML or Markdown typed into it shows as typed."""
    return "\n".join(inert_line(line) if line.strip() else "" for line in text.splitlines())


def export_file(turns: list[dict]) -> str | None:
    """The conversation as a Markdown file to download (None when there is none); older
    exports are removed as new ones are written."""
    if not turns:
        return None
    EXPORTS.mkdir(exist_ok=True)
    now = datetime.now().timestamp()
    for old in EXPORTS.glob("conversation-*.md"):
        if now - old.stat().st_mtime > EXPORT_AGE_S:
            old.unlink(missing_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".md", prefix="conversation-", dir=EXPORTS,
                                     delete=False) as fh:
        fh.write(conversation_markdown([(t["question"], t["shown"]) for t in turns]))
        return fh.name


def brief_for(index: Index, ui: str, follows: str = "") -> str:
    """The newest day's entries, titles opening their cards ("" on an empty index), then the
    user's "New on what you follow" (Markdown, rendered with no raw HTML)."""
    news = MarkdownIt("commonmark", {"html": False}).render(follows) if follows.strip() else ""
    try:
        day, entries = day_entries(index.fresh_view())
    except (DayError, StoreUnavailableError):
        return news
    key = "whats_new_on_one" if len(entries) == 1 else "whats_new_on"
    return brief_html(label(key, ui, day=day.isoformat(), count=len(entries)), entries, ui) + news


class Asker:
    """What the Ask tab does: answers (streamed), live chips, a new conversation, exports."""

    def __init__(self, settings: Settings, index: Index, building: Callable[[str], str | None],
                 lang_of: Callable[[gr.Request | None], str]) -> None:
        self.settings, self.index = settings, index
        self.building = building  # the "still building the index" notice, or None
        self.lang_of = lang_of

    def refused(self, message: object, ui: str) -> str | None:
        """Why a question is not asked (empty, too long), or None."""
        if not isinstance(message, str) or not message.strip():
            return label("empty_question", ui)
        if len(message) > MAX_QUESTION_CHARS:
            return label("too_long", ui, length=len(message), limit=MAX_QUESTION_CHARS)
        return None

    def respond(self, message: str, turns: list[dict], start: str | None, end: str | None, tags: list[str] | None,
                lang: str, order: str, session: user_ui.Session, request: gr.Request) -> Iterator[tuple]:
        """Stream the answer into the chat, then its sources, chips and export."""
        ui = self.lang_of(request)
        wrong = malformed(message, start, end, tags, lang, order)
        if wrong:
            raise gr.Error(label("bad_input", ui, error=wrong), print_exception=False)
        why = self.refused(message, ui)
        try:
            filters = None if why else ui_filters(start, end, tags, self.index.days)
        except ValueError as err:
            why = label("invalid_date", ui, error=err)
        if why:
            gr.Warning(why)
            yield (gr.skip(),) * 8
            return
        answer_lang = "" if lang == "auto" else lang
        chips, text = filter_chips(filters, ui, answer_lang), ""
        notice = self.building(ui)
        if notice:
            yield (chat_of(turns, message, notice), "", chips, gr.skip(), gr.skip(), gr.HTML(visible=False), message,
                   gr.skip())
            return
        try:
            for item in answer_stream(self.index, self.settings, message, history=history_of(turns),
                                      filters=filters, lang=answer_lang or None, order=order):
                if isinstance(item, Answer):
                    yield self.answered(message, turns, item, ui, answer_lang) + (
                        user_ui.remember(self.settings, session, 2 * len(turns) + 1, message, item,
                                         answer_markdown(item.text, item.citations, label("references", ui)), request),)
                    return
                text += item
                yield chat_of(turns, message, answer_markdown(text)), gr.skip(), chips, *(gr.skip(),) * 2, \
                    gr.HTML(visible=False), "", gr.skip()
        except (QuestionError, StoreUnavailableError) as err:
            yield (chat_of(turns, message, html.escape(str(err))), "", chips, gr.skip(), gr.skip(), gr.skip(), message,
                   gr.skip())

    def answered(self, message: str, turns: list[dict], item: Answer, ui: str, answer_lang: str) -> tuple:
        """The outputs of a finished answer; the turn joins the conversation (the last MAX_TURNS)."""
        notice = f'<p class="notice">{html.escape(item.notice)}</p>' if item.notice else ""
        shown = answer_markdown(item.text, item.citations, label("references", ui))
        cited = [{"n": c.n, "id": c.entry.id} for c in item.citations]
        turn = {"question": message, "shown": shown, "citations": cited}
        turns = [*turns, turn][-MAX_TURNS:]
        return (chat_of(turns), notice + sources_html(item, ui), filter_chips(item.filters, ui, answer_lang), turns,
                gr.DownloadButton(value=export_file(turns)), gr.HTML(visible=False), "")

    def chips(self, start: str | None, end: str | None, tags: list[str] | None, lang: str, request: gr.Request) -> str:
        """The chips of the filters as they are set now, before anything is asked."""
        try:
            filters = ui_filters(start, end, tags, self.index.days)
        except ValueError:
            return gr.skip()
        return filter_chips(filters, self.lang_of(request), "" if lang == "auto" else lang)

    def new_conversation(self, request: gr.Request) -> tuple:
        """Everything back to the start: chat, sources, chips, every filter, the brief."""
        follows = user_ui.follows_brief(self.settings, self.index, request)
        return ([], [], "", "", None, gr.HTML(brief_for(self.index, self.lang_of(request), follows), visible=True), "",
                user_ui.Session(),
                None, None, [], "auto", "date")

    def export_check(self, turns: list[dict], request: gr.Request) -> None:
        """Export with nothing to export says why (the button itself has no file to give)."""
        if not turns:
            ui = self.lang_of(request)
            gr.Warning(label("no_conversation", ui))


def wire(tab: AskTab, asker: Asker, after_answer: tuple) -> None:
    """Connect the tab's events: Enter and Ask answer (then `after_answer`, the user parts'
    event), filters update their chips, New and Export."""
    inputs = [tab.question, tab.turns, *tab.filters(), tab.session]
    outputs = [tab.chat, tab.sources, tab.chips, tab.turns, tab.export, tab.brief, tab.question, tab.session]
    # preprocess=False: the values arrive as sent, and `malformed` checks them.
    tab.question.submit(asker.respond, inputs, outputs, preprocess=False).then(*after_answer)
    tab.send.click(asker.respond, inputs, outputs, preprocess=False).then(*after_answer)
    for picker in (tab.start, tab.end, tab.tags, tab.lang):
        # One queue for the four: run in the order they were set, so an older event's chips
        # (made before the next filter was set) can never land after a newer one's.
        picker.change(asker.chips, [tab.start, tab.end, tab.tags, tab.lang], tab.chips, show_progress="hidden",
                      concurrency_id="filter-chips", concurrency_limit=1)
    tab.new.click(asker.new_conversation, None, [tab.chat, tab.turns, tab.sources, tab.chips, tab.export, tab.brief,
                                                 tab.question, tab.session, *tab.filters()])
    tab.export.click(asker.export_check, tab.turns, None)

"""The Gradio app: streaming chat with clickable [n], filters, browsing, and the index panel.

Labels follow the browser's language (`rag.app.labels`, one table for Gradio's translations
and for the HTML rendered here). The answer in the chat is Markdown, so Copy and Export give
the text with its [n] and a reference list; a script in the page turns each [n] into a link
to its card. Every open page polls the index, so a reindex by anyone (the CLI, another app,
the folder watcher) shows in its status, days and tags within seconds.
"""

from __future__ import annotations

import html
import tempfile
import threading
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import gradio as gr

from rag.app import browse
from rag.app import web_user as user_ui
from rag.app.auth import is_admin
from rag.app.brief import day_brief
from rag.app.cards import CSS, filter_chips, sources_html
from rag.app.labels import LABELS, browser_lang, label
from rag.app.reindexing import USER_ERRORS, Busy, Reindexer, report_text
from rag.app.render import answer_markdown, conversation_markdown
from rag.ask.answer import answer_question, answer_stream
from rag.ask.filters import user_filters
from rag.ask.prepare import QuestionError
from rag.config import MAX_QUESTION_CHARS, Settings
from rag.index.reader import Index
from rag.index.store import StoreUnavailableError
from rag.model import Answer, Filters

EXAMPLES = [
    "Which paper folds neighbouring image tokens into the channel dimension to shorten the sequence?",
    "이미지 토큰을 채널 차원으로 접어 시퀀스 길이를 줄이는 논문은?",
    "What did the digest author think about model-based verifiers for RL?",
    "2025년 5월 20일에 올라온 #rl 논문을 모두 알려줘.",
]
I18N = gr.I18n(**LABELS)
LANG_CHOICES = [(I18N("auto"), "auto"), ("한국어", "ko"), ("English", "en")]
POLL_S = 2.0

# [n] in an answer becomes a link to its card. On a wide screen the sources panel scrolls to
# the card (the page stays on the answer); on a phone the card opens over the answer.
HEAD_JS = """
<script>
(() => {
  const MARK = /\\[(\\d{1,3})\\]/g;
  function linkMarkers(root) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const nodes = [];
    while (walker.nextNode()) {
      const n = walker.currentNode;
      if (MARK.test(n.nodeValue) && !n.parentElement.closest('a, code, pre')) nodes.push(n);
      MARK.lastIndex = 0;
    }
    for (const n of nodes) {
      const frag = document.createDocumentFragment();
      let last = 0;
      n.nodeValue.replace(MARK, (m, num, at) => {
        frag.append(n.nodeValue.slice(last, at));
        const a = document.createElement('a');
        a.className = 'cite'; a.href = '#src-' + num; a.textContent = m;
        frag.append(a); last = at + m.length;
      });
      frag.append(n.nodeValue.slice(last));
      n.replaceWith(frag);
    }
  }
  new MutationObserver(() => {
    document.querySelectorAll('#chat [data-testid="bot"]').forEach(linkMarkers);
  }).observe(document.documentElement, {childList: true, subtree: true, characterData: true});
  document.addEventListener('click', (ev) => {
    const a = ev.target.closest('a.cite');
    if (!a) return;
    const card = document.querySelector('#sources ' + a.getAttribute('href'));
    if (!card) return;
    ev.preventDefault();
    document.querySelectorAll('.src-card.flash').forEach(c => c.classList.remove('flash'));
    card.classList.add('flash');
    if (window.innerWidth <= 700) {
      let dialog = document.querySelector('dialog.card-dialog');
      if (!dialog) {
        dialog = document.createElement('dialog');
        dialog.className = 'card-dialog';
        dialog.addEventListener('click', e => { if (e.target === dialog) dialog.close(); });
        document.body.append(dialog);
      }
      dialog.replaceChildren(card.cloneNode(true));
      dialog.showModal();
      return;
    }
    const panel = document.querySelector('#sources');
    panel.scrollTo({top: card.offsetTop - panel.offsetTop, behavior: 'smooth'});
  });
})();
</script>
"""


def page_lang(request: gr.Request | None) -> str:
    """The page's language, from the browser's Accept-Language."""
    return browser_lang(request.headers.get("accept-language") if request is not None else None)


def index_status(index: Index, reindexer: Reindexer, lang: str) -> str:
    """What is indexed, and what a reindex in progress is doing."""
    progress = reindexer.progress()
    m = index.manifest
    if index.unavailable and not m.entries:
        line = label("status_unavailable", lang, error=index.unavailable)
    elif not m.entries:
        line = label("status_empty", lang)
    else:
        days = index.days
        line = label("status", lang, entries=f"{len(m.entries):,}", days=f"{len(days):,}", first=days[0].isoformat(),
                     last=days[-1].isoformat(), updated=m.updated or "—")
    if progress.running:
        line += "  \n" + label("indexing", lang, phase=phase_text(progress.phase, progress.done, progress.total, lang))
    return line


def phase_text(phase: str, done: int, total: int, lang: str) -> str:
    """A reindex phase as people read it: "embedding new and changed entries (120/11488)"."""
    text = label(f"phase_{phase}", lang) if f"phase_{phase}" in LABELS["en"] else phase
    return f"{text} ({done}/{total})" if phase == "embed" and total else text


def to_date(value: object) -> date | None:
    """A DateTime component's value (timestamp, string or None) as a date."""
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value).date()
    return date.fromisoformat(str(value)[:10])


def ui_filters(start: object, end: object, tags: list[str] | None, days: list[date]) -> Filters | None:
    """Filters from the side panel; None when nothing is set (the question's own apply)."""
    lo, hi = to_date(start), to_date(end)
    ranges: tuple = ()
    if lo or hi:
        lo = lo or (days[0] if days else date.min)
        hi = hi or (days[-1] if days else date.max)
        ranges = ((min(lo, hi), max(lo, hi)),)
    f = user_filters(days=ranges, tags=tags or ())
    return f if f else None


def export_file(turns: list[tuple[str, str]]) -> str | None:
    """The conversation as a Markdown file to download (None when there is none)."""
    if not turns:
        return None
    folder = Path(tempfile.gettempdir()) / "digest-rag-exports"
    folder.mkdir(exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".md", prefix="conversation-", dir=folder,
                                     delete=False) as fh:
        fh.write(conversation_markdown(turns))
        return fh.name


def build_app(settings: Settings, index: Index, reindexer: Reindexer) -> gr.Blocks:
    """The Blocks app over an index, its reindexes run by `reindexer`."""

    def respond(message, history, turns, start, end, tags, lang, session, request: gr.Request) -> Iterator[tuple]:
        ui = page_lang(request)
        if not (message or "").strip():
            gr.Warning(label("empty_question", ui))
            yield (gr.skip(),) * 8
            return
        prior = list(history or [])
        at = len(prior) + 1  # the answer's place in the chat (what 👍/👎 name)
        history = prior + [{"role": "user", "content": message}, {"role": "assistant", "content": ""}]
        try:
            filters = ui_filters(start, end, tags, index.days)
        except ValueError as err:
            gr.Warning(label("invalid_date", ui, error=err))
            yield (gr.skip(),) * 6 + (message, gr.skip())
            return
        chips, text = filter_chips(filters, ui), ""
        hide_brief = gr.Markdown(visible=False)
        state = reindexer.progress()
        if not index.manifest.entries and state.running:
            history[-1]["content"] = label("building", ui, phase=phase_text(state.phase, state.done, state.total, ui))
            yield history, "", chips, gr.skip(), gr.skip(), hide_brief, message, gr.skip()
            return
        try:
            # The session's turns carry each answer's citations, so "the second one" is exact.
            for item in answer_stream(index, settings, message, history=session.history() or prior, filters=filters,
                                      lang=None if lang == "auto" else lang):
                if isinstance(item, Answer):
                    notice = f'<p class="notice">{html.escape(item.notice)}</p>' if item.notice else ""
                    shown = answer_markdown(item.text, item.citations, label("references", ui))
                    history[-1]["content"] = shown
                    turns = [*turns, (message, shown)]
                    yield (history, notice + sources_html(item, ui), filter_chips(item.filters, ui), turns,
                           gr.DownloadButton(value=export_file(turns)), hide_brief, "",
                           user_ui.remember(settings, session, at, message, item, shown, request))
                    return
                text += item
                history[-1]["content"] = answer_markdown(text)
                yield history, gr.skip(), chips, gr.skip(), gr.skip(), hide_brief, "", gr.skip()
        except (QuestionError, StoreUnavailableError) as err:
            history[-1]["content"] = html.escape(str(err))
            yield history, "", chips, gr.skip(), gr.skip(), hide_brief, message, gr.skip()

    def ask_api(question: str) -> dict:
        """One-shot answer for API clients (gradio_client): the `rag ask --json` shape."""
        try:
            return answer_question(index, settings, question).to_dict()
        except (QuestionError, StoreUnavailableError) as err:
            raise gr.Error(str(err)) from err

    def run_reindex(request: gr.Request) -> Iterator[str]:
        ui = page_lang(request)
        if not is_admin(settings, request.username):
            raise gr.Error(label("not_admin", ui))
        done: dict[str, object] = {}

        def work() -> None:
            try:
                done["report"] = reindexer.run()
            except (Busy, *USER_ERRORS) as err:
                done["error"] = err

        thread = threading.Thread(target=work, name="reindex", daemon=True)
        thread.start()
        while thread.is_alive():  # the phase and the chunks embedded so far, four times a second
            state = reindexer.progress()
            yield label("indexing", ui, phase=phase_text(state.phase or "start", state.done, state.total, ui))
            thread.join(0.25)
        error = done.get("error")
        if isinstance(error, Busy):
            yield label("busy", ui)
        elif error is not None:
            yield label("reindex_failed", ui, error=error)
        else:
            yield report_text(done["report"], ui)

    def last_report(state, ui: str):
        """The last run's report; while a run goes, the status line shows its progress instead."""
        if state.running:
            return gr.skip()
        return report_text(state.report, ui) if state.report else (state.error or gr.skip())

    def refresh(seen: list | None, request: gr.Request) -> tuple:
        """Everything that follows the index, when it changed since this page last looked."""
        try:
            index.refresh()
        except StoreUnavailableError:
            pass
        state = reindexer.progress()
        now = [index.manifest.version, state.runs, state.running, state.phase, state.done // 64, state.error]
        if list(seen or []) == now:
            return (gr.skip(),) * 6
        ui = page_lang(request)
        tags_now = browse.tag_choices(index)
        return (now, index_status(index, reindexer, ui), gr.Dropdown(choices=browse.day_choices(index)),
                gr.Dropdown(choices=tags_now), gr.Dropdown(choices=tags_now), last_report(state, ui))

    def on_load(request: gr.Request) -> tuple:
        ui = page_lang(request)
        return gr.Button(visible=is_admin(settings, request.username)), brief_html(ui) + user_ui.follows_brief(
            settings, index, request)

    def brief_html(ui: str) -> str:
        return day_brief(index, lang=ui) if index.days else ""

    def new_conversation() -> tuple:
        return [], [], "", "", None, gr.Markdown(visible=True), "", user_ui.Session()

    with gr.Blocks(title="Digest RAG", analytics_enabled=False) as app:
        gr.Markdown(I18N("title"))
        seen = gr.State(None)
        turns = gr.State([])
        session = gr.State(user_ui.Session())
        with gr.Tab(I18N("ask_tab"), elem_id="tab-ask"):
            with gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=300):
                    question = gr.Textbox(label=I18N("question"), placeholder=I18N("placeholder"),
                                          max_length=MAX_QUESTION_CHARS, elem_id="question", autofocus=True)
                    with gr.Row():
                        send = gr.Button(I18N("ask"), variant="primary", elem_id="ask")
                        new = gr.Button(I18N("new"), elem_id="new-conversation")
                        export = gr.DownloadButton(I18N("export"), value=None, elem_id="export")
                    brief = gr.Markdown("", elem_id="brief")
                    chat = gr.Chatbot(label=I18N("answer"), height=520, sanitize_html=True, elem_id="chat",
                                      buttons=["copy", "copy_all"], feedback_options=("Like", "Dislike"))
                    mine = user_ui.controls(settings, index, chat, turns, session, brief)
                    gr.Examples(EXAMPLES, inputs=question, label=I18N("try"))
                with gr.Column(scale=2, min_width=280):
                    chips = gr.HTML("", elem_id="active-filters")
                    sources = gr.HTML("", elem_id="sources")
                    with gr.Accordion(I18N("filters"), open=False, elem_id="filters"):
                        start = gr.DateTime(label=I18N("from"), include_time=False, type="string", elem_id="day-from")
                        end = gr.DateTime(label=I18N("to"), include_time=False, type="string", elem_id="day-to")
                        tags = gr.Dropdown(choices=[], multiselect=True, label=I18N("tags"),
                                           elem_id="tag-filter")
                        lang = gr.Radio(LANG_CHOICES, value="auto", label=I18N("lang"), elem_id="answer-lang")
        with gr.Tab(I18N("browse_tab"), elem_id="tab-browse"):
            with gr.Row(equal_height=False):
                with gr.Column(min_width=280):
                    days = browse.column(index, "day", I18N, page_lang)
                with gr.Column(min_width=280):
                    tagged = browse.column(index, "tag", I18N, page_lang)
        with gr.Tab(I18N("index_tab"), elem_id="tab-index"):
            status = gr.Markdown("", elem_id="index-status")
            reindex_btn = gr.Button(I18N("reindex"), elem_id="reindex", visible=False)
            report = gr.Textbox(label=I18N("last_reindex"), lines=6, interactive=False, elem_id="reindex-report")
            gr.Markdown(lambda: user_ui.feedback_counts(settings), every=POLL_S * 5, elem_id="feedback-counts")

        inputs = [question, chat, turns, start, end, tags, lang, session]
        outputs = [chat, sources, chips, turns, export, brief, question, session]
        question.submit(respond, inputs, outputs).then(*mine.after_answer)
        send.click(respond, inputs, outputs).then(*mine.after_answer)
        new.click(new_conversation, None, [chat, turns, sources, chips, export, brief, question, session])
        app.load(*mine.on_load)
        reindex_btn.click(run_reindex, None, report, api_name="reindex")
        watched = [seen, status, days["pick"], tagged["pick"], tags, report]
        gr.Timer(POLL_S).tick(refresh, seen, watched, show_progress="hidden")
        app.load(refresh, seen, watched, show_progress="hidden")
        app.load(on_load, None, [reindex_btn, brief])
        hidden_q = gr.Textbox(visible=False)
        hidden_out = gr.JSON(visible=False)
        hidden_q.submit(ask_api, hidden_q, hidden_out, api_name="ask")
    return app


def launch(app: gr.Blocks, settings: Settings, **kwargs) -> None:
    """Launch with our theme, head script, i18n and safe defaults (no share links, no footer)."""
    app.queue(default_concurrency_limit=4).launch(
        server_name=settings.host, server_port=settings.port, css=CSS, head=HEAD_JS, i18n=I18N,
        show_error=False, footer_links=[], share=False, **kwargs,
    )

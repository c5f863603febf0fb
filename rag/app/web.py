"""The Gradio app: the Ask tab (streaming chat with clickable [n], filters under the question,
sources beside it), the Browse tab and the Index tab, assembled from small builders.

Labels follow the browser's language (`rag.app.labels`, one table for Gradio's translations
and for the HTML rendered here). Every open page polls the index, so a reindex by anyone (the
CLI, another app, the folder watcher) shows in its status, days, tags and the Ask tab's brief
within seconds. The server is bounded: a few hundred sessions' state at most, no uploads,
login hashing off the event loop and limited failures (`rag.app.guard`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import gradio as gr
from fastapi.middleware import Middleware

from rag.app import asking, browse
from rag.app import web_user as user_ui
from rag.app.auth import is_admin
from rag.app.guard import Guard, off_loop
from rag.app.index_tab import building_notice, index_status, last_report, run_reindex
from rag.app.labels import LABELS, browser_lang, label
from rag.app.page import CSS, head_script
from rag.app.reindexing import Reindexer
from rag.ask.answer import answer_question
from rag.ask.prepare import QuestionError
from rag.config import Settings
from rag.index.doctor import last_check
from rag.index.reader import Index
from rag.index.store import StoreUnavailableError, is_local

I18N = gr.I18n(**LABELS)
POLL_S = 2.0
# Sessions whose state Gradio keeps (every API call is a session of its own; Gradio's default
# of 10,000 lets memory grow by the call). Older sessions are dropped first.
SESSIONS = 256


def page_lang(request: gr.Request | None) -> str:
    """The page's language, from the browser's Accept-Language."""
    return browser_lang(request.headers.get("accept-language") if request is not None else None)


def _ask_api(settings: Settings, index: Index) -> Callable[[str], dict]:
    def ask(question: str) -> dict:
        """One-shot answer for API clients (gradio_client): the `rag ask --json` shape."""
        if not isinstance(question, str):
            raise gr.Error(label("bad_input", "en", error="the question is text"), print_exception=False)
        try:
            return answer_question(index, settings, question).to_dict()
        except (QuestionError, StoreUnavailableError) as err:
            raise gr.Error(str(err), print_exception=False) from err

    return ask


def _index_tab(settings: Settings, reindexer: Reindexer) -> dict:
    """The Index tab: status, the admins' Reindex button and the last report."""
    status = gr.Markdown("", elem_id="index-status")
    button = gr.Button(I18N("reindex"), elem_id="reindex", visible=False)
    report = gr.Textbox(label=I18N("last_reindex"), lines=6, interactive=False, elem_id="reindex-report")

    def reindex(request: gr.Request) -> Iterator[str]:
        ui = page_lang(request)
        if not is_admin(settings, request.username):
            raise gr.Error(label("not_admin", ui), print_exception=False)
        yield from run_reindex(reindexer, ui)

    button.click(reindex, None, report, api_name="reindex")
    return {"status": status, "button": button, "report": report}


def _checked(settings: Settings) -> list | None:
    """The last `rag doctor` check as plain lists, comparable after the page state's round trip."""
    checked = last_check(settings) if is_local(settings) else None
    return [checked[0], list(checked[1])] if checked else None


def _watch_index(app: gr.Blocks, settings: Settings, index: Index, reindexer: Reindexer, watched: dict) -> None:
    """Every page follows the index: on load and every POLL_S, what changed since it last looked."""
    seen = gr.State(None)

    def refresh(last: list | None, request: gr.Request) -> tuple:
        with contextlib.suppress(StoreUnavailableError):  # the status line says so
            index.refresh()
        state = reindexer.progress()
        now = [index.manifest.version, state.runs, state.running, state.phase, state.done // 64, state.error,
               _checked(settings)]
        if list(last or []) == now:
            return (gr.skip(),) * 7
        ui = page_lang(request)
        tags = browse.tag_choices(index)
        return (now, index_status(index, reindexer, ui), gr.Dropdown(choices=browse.day_choices(index)),
                gr.Dropdown(choices=tags), gr.Dropdown(choices=tags), last_report(state, ui),
                asking.brief_for(index, ui, user_ui.follows_brief(settings, index, request)))

    outputs = [seen, *watched.values()]
    gr.Timer(POLL_S).tick(refresh, seen, outputs, show_progress="hidden")
    app.load(refresh, seen, outputs, show_progress="hidden")


def build_app(settings: Settings, index: Index, reindexer: Reindexer) -> gr.Blocks:
    """The Blocks app over an index, its reindexes run by `reindexer`."""
    asker = asking.Asker(settings, index, lambda ui: building_notice(index, reindexer, ui), page_lang)
    with gr.Blocks(title="Digest RAG", analytics_enabled=False) as app:
        gr.Markdown(I18N("title"))
        with gr.Tab(I18N("ask_tab"), elem_id="tab-ask"):
            ask = asking.layout(I18N)
            mine = user_ui.controls(settings, index, ask.chat, ask.turns, ask.session, ask.brief)  # type: ignore[arg-type]  # an HTML brief: only its visibility is set
        with gr.Tab(I18N("browse_tab"), elem_id="tab-browse"):
            with gr.Row(equal_height=False):
                with gr.Column(min_width=280):
                    days = browse.column(index, "day", I18N, page_lang)
                with gr.Column(min_width=280):
                    tagged = browse.column(index, "tag", I18N, page_lang)
        with gr.Tab(I18N("index_tab"), elem_id="tab-index"):
            index_parts = _index_tab(settings, reindexer)
            gr.Markdown(lambda: user_ui.feedback_counts(settings), every=POLL_S * 5, elem_id="feedback-counts")
        asking.wire(ask, asker, mine.after_answer)
        app.load(*mine.on_load)
        _watch_index(app, settings, index, reindexer, {
            "status": index_parts["status"], "days": days["pick"], "tags": tagged["pick"], "filter": ask.tags,
            "report": index_parts["report"], "brief": ask.brief,
        })

        def admin_button(request: gr.Request) -> gr.Button:
            return gr.Button(visible=is_admin(settings, request.username))

        app.load(admin_button, None, index_parts["button"])
        hidden_q, hidden_out = gr.Textbox(visible=False), gr.JSON(visible=False)
        hidden_q.submit(_ask_api(settings, index), hidden_q, hidden_out, api_name="ask")
    return app


def launch(app: gr.Blocks, settings: Settings, auth: Callable[[str, str], bool] | None = None,
           app_kwargs: dict | None = None, **kwargs: object) -> None:
    """Launch with our theme, head script, i18n and safe defaults (no share links, no footer,
    no uploads, bounded session state, logins checked off the event loop). `app_kwargs` go to
    the FastAPI app (routes of its own, such as the feeds), with our Guard in front."""
    guard = [Middleware(Guard, session_ttl_s=settings.session_ttl_s)]
    app.queue(default_concurrency_limit=4).launch(
        server_name=settings.host, server_port=settings.port, css=CSS, head=head_script(), i18n=I18N,
        show_error=False, footer_links=[], share=False, state_session_capacity=SESSIONS, max_file_size="1kb",
        auth=off_loop(auth) if auth else None, app_kwargs={**(app_kwargs or {}), "middleware": guard}, **kwargs,
    )

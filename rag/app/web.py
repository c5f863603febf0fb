"""The Gradio app: streaming chat with clickable [n], filters, browsing, and the index panel."""

from __future__ import annotations

import html
import threading
from collections.abc import Iterator
from datetime import date, datetime

import gradio as gr
import pandas as pd

from rag.app.cards import CSS, answer_html, filter_chips, hits_html, sources_html
from rag.ask.answer import answer_question, answer_stream
from rag.ask.prepare import QuestionError
from rag.ask.retrieve import listing, similar, weekly_counts
from rag.config import MAX_QUESTION_CHARS, Settings
from rag.index.locks import IndexLockedError
from rag.index.reader import Index, get_index
from rag.index.reindex import reindex
from rag.index.store import StoreUnavailableError
from rag.model import Answer, Filters
from rag.progress import run_reindex

EXAMPLES = [
    "Which paper folds neighbouring image tokens into the channel dimension to shorten the sequence?",
    "이미지 토큰을 채널 차원으로 접어 시퀀스 길이를 줄이는 논문은?",
    "What did the digest author think about model-based verifiers for RL?",
    "2025년 5월 20일에 올라온 #rl 논문을 모두 알려줘.",
]

# Labels follow the browser's language (Gradio's own i18n); English is the fallback.
I18N = gr.I18n(
    en={
        "title": "## Digest RAG — ask the ML-paper digest", "ask_tab": "Ask", "browse_tab": "Browse",
        "index_tab": "Index", "answer": "Answer", "question": "Question",
        "placeholder": "Ask in Korean or English… (Enter to send)", "ask": "Ask",
        "new": "New conversation", "try": "Try", "filters": "Filters", "from": "From day",
        "to": "To day", "tags": "Tags", "lang": "Answer language", "sources": "Sources",
        "day": "Day", "tag": "Tag", "per_week": "Entries per week", "similar_to": "Similar entries to",
        "reindex": "Reindex", "last_reindex": "Last reindex",
    },
    ko={
        "title": "## Digest RAG — ML 논문 다이제스트에 물어보세요", "ask_tab": "질문", "browse_tab": "둘러보기",
        "index_tab": "인덱스", "answer": "답변", "question": "질문",
        "placeholder": "한국어나 영어로 질문하세요… (Enter로 전송)", "ask": "질문하기",
        "new": "새 대화", "try": "예시", "filters": "필터", "from": "시작 날짜", "to": "끝 날짜",
        "tags": "태그", "lang": "답변 언어", "sources": "출처", "day": "날짜", "tag": "태그",
        "per_week": "주별 항목 수", "similar_to": "비슷한 항목 찾기", "reindex": "다시 인덱싱",
        "last_reindex": "최근 인덱싱",
    },
)
LANG_CHOICES = [("auto", "auto"), ("한국어", "ko"), ("English", "en")]

# Clicking [n] scrolls to its card and flashes it, so the eye finds it.
HEAD_JS = """
<script>
document.addEventListener('click', (ev) => {
  const a = ev.target.closest('a.cite');
  if (!a) return;
  const card = document.querySelector(a.getAttribute('href'));
  if (!card) return;
  ev.preventDefault();
  card.scrollIntoView({behavior: 'smooth', block: 'start'});
  document.querySelectorAll('.src-card.flash').forEach(c => c.classList.remove('flash'));
  card.classList.add('flash');
});
</script>
"""


def index_status(index: Index) -> str:
    """What is indexed, for the Index panel."""
    m = index.manifest
    if index.unavailable and not m.entries:
        return f"The index is unavailable: {index.unavailable}"
    if not m.entries:
        return "The index is empty: add day files to the data folder and press Reindex."
    days = index.days
    return (
        f"{len(m.entries):,} entries over {len(days):,} days ({days[0].isoformat()} – {days[-1].isoformat()}); "
        f"last reindex {m.updated or 'never'}."
    )


def _to_date(value: object) -> date | None:
    """A DateTime component's value (timestamp, string or None) as a date."""
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value).date()
    return date.fromisoformat(str(value)[:10])


def ui_filters(start: object, end: object, tags: list[str] | None, days: list[date]) -> Filters | None:
    """Filters from the side panel; None when nothing is set (the question's own apply)."""
    lo, hi = _to_date(start), _to_date(end)
    ranges: tuple = ()
    if lo or hi:
        lo = lo or (days[0] if days else date.min)
        hi = hi or (days[-1] if days else date.max)
        ranges = ((min(lo, hi), max(lo, hi)),)
    chosen = tuple(t.split(" (")[0] for t in tags or ())
    f = Filters(days=ranges, tags=chosen)
    return f if f else None


def _weeks_frame(weeks: list[tuple[date, int]]) -> pd.DataFrame:
    """Entries per week for the bar plot; weeks as ISO strings so the axis is categorical
    (a numeric first frame would make Gradio keep an epoch-milliseconds axis)."""
    return pd.DataFrame({
        "week": pd.Series([w.isoformat() for w, _ in weeks], dtype=str),
        "entries": pd.Series([n for _, n in weeks], dtype="int64"),
    })


def tag_choices(index: Index) -> list[str]:
    """Tags with their counts, most used first."""
    return [f"{t} ({n})" for t, n in index.tags.most_common()]


def build_app(settings: Settings) -> gr.Blocks:
    """The Blocks app over the index in `settings`."""
    index = get_index(settings)
    reindex_guard = threading.Lock()

    def respond(message, history, start, end, tags, lang) -> Iterator[tuple]:
        history = list(history or [])
        prior = [dict(turn) for turn in history]
        history += [{"role": "user", "content": message}, {"role": "assistant", "content": ""}]
        try:
            filters = ui_filters(start, end, tags, index.days)
        except ValueError as err:
            history[-1]["content"] = html.escape(f"Invalid date: {err}")
            yield history, "", "", message
            return
        chips = filter_chips(filters)
        text = ""
        try:
            for item in answer_stream(index, settings, message, history=prior, filters=filters,
                                      lang=None if lang == "auto" else lang):
                if isinstance(item, Answer):
                    notice = f'<p class="notice">{html.escape(item.notice)}</p>' if item.notice else ""
                    history[-1]["content"] = answer_html(item.text)
                    yield history, notice + sources_html(item), filter_chips(item.filters, item.lang), ""
                    return
                text += item
                history[-1]["content"] = answer_html(text)
                yield history, gr.skip(), chips, ""
        except (QuestionError, StoreUnavailableError) as err:
            history[-1]["content"] = html.escape(str(err))
            yield history, "", chips, message

    def ask_api(question: str) -> dict:
        """One-shot answer for API clients (gradio_client): the `rag ask --json` shape."""
        try:
            return answer_question(index, settings, question).to_dict()
        except (QuestionError, StoreUnavailableError) as err:
            raise gr.Error(str(err)) from err

    def browse_day(day: str | None) -> tuple[str, gr.Dropdown]:
        if not day:
            return "", gr.Dropdown(choices=[])
        d = date.fromisoformat(day)
        hits = listing(index.view(), Filters(days=((d, d),)))
        return hits_html(hits), gr.Dropdown(choices=[(h.entry.title, h.entry.id) for h in hits], value=None)

    def browse_tag(tag: str | None) -> tuple[pd.DataFrame, str, gr.Dropdown]:
        if not tag:
            return _weeks_frame([]), "", gr.Dropdown(choices=[])
        name = tag.split(" (")[0]
        hits = listing(index.view(), Filters(tags=(name,)))
        frame = _weeks_frame(weekly_counts([h.entry for h in hits]))
        return frame, hits_html(hits[:50]), gr.Dropdown(choices=[(h.entry.title, h.entry.id) for h in hits[:50]], value=None)

    def show_similar(entry_id: str | None) -> str:
        if not entry_id or entry_id not in index.entries:
            return ""
        return hits_html(similar(index, entry_id, k=5))

    def run_reindex(progress=gr.Progress()) -> tuple[str, str, gr.Dropdown, gr.Dropdown, gr.Dropdown]:
        if not reindex_guard.acquire(blocking=False):
            message = "A reindex is already running."
        else:
            try:
                def on_progress(done: int, total: int) -> None:
                    progress((done, total) if total else None, desc="Embedding new and changed entries")

                report = reindex(settings, on_progress=on_progress, lock_wait_s=30)
                message = "\n".join([report.summary()] + [f"skipped: {e}" for e in report.errors])
            except (IndexLockedError, FileNotFoundError, NotADirectoryError, StoreUnavailableError) as err:
                message = f"Reindex failed: {err}"
            finally:
                reindex_guard.release()
        try:
            index.refresh()
        except StoreUnavailableError as err:
            message += f"\n{err}"
        days = [d.isoformat() for d in reversed(index.days)]
        return (message, index_status(index), gr.Dropdown(choices=tag_choices(index)),
                gr.Dropdown(choices=days, value=None), gr.Dropdown(choices=tag_choices(index), value=None))

    with gr.Blocks(title="Digest RAG", analytics_enabled=False) as app:
        gr.Markdown(I18N("title"))
        with gr.Tab(I18N("ask_tab"), elem_id="tab-ask"):
            with gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=300):
                    chat = gr.Chatbot(label=I18N("answer"), height=520, sanitize_html=True, elem_id="chat")
                    question = gr.Textbox(
                        label=I18N("question"), placeholder=I18N("placeholder"),
                        max_length=MAX_QUESTION_CHARS, elem_id="question", autofocus=True,
                    )
                    with gr.Row():
                        send = gr.Button(I18N("ask"), variant="primary", elem_id="ask")
                        gr.ClearButton([chat, question], value=I18N("new"))
                    gr.Examples(EXAMPLES, inputs=question, label=I18N("try"))
                with gr.Column(scale=2, min_width=280):
                    with gr.Accordion(I18N("filters"), open=False, elem_id="filters"):
                        with gr.Row():
                            start = gr.DateTime(label=I18N("from"), include_time=False, type="string", elem_id="day-from")
                            end = gr.DateTime(label=I18N("to"), include_time=False, type="string", elem_id="day-to")
                        tags = gr.Dropdown(choices=tag_choices(index), multiselect=True, label=I18N("tags"), elem_id="tag-filter")
                        lang = gr.Radio(LANG_CHOICES, value="auto", label=I18N("lang"), elem_id="answer-lang")
                    chips = gr.HTML("", elem_id="active-filters")
                    sources = gr.HTML("", elem_id="sources")
        with gr.Tab(I18N("browse_tab"), elem_id="tab-browse"):
            with gr.Row(equal_height=False):
                with gr.Column(min_width=280):
                    # value=None: Gradio would preselect the first choice without firing .change.
                    day_pick = gr.Dropdown(choices=[d.isoformat() for d in reversed(index.days)], value=None,
                                           label=I18N("day"), elem_id="browse-day")
                    day_similar = gr.Dropdown(choices=[], label=I18N("similar_to"), elem_id="day-similar")
                    day_cards = gr.HTML("", elem_id="day-cards")
                with gr.Column(min_width=280):
                    tag_pick = gr.Dropdown(choices=tag_choices(index), value=None, label=I18N("tag"), elem_id="browse-tag")
                    plot = gr.BarPlot(_weeks_frame([]), x="week", y="entries",
                                      title=I18N("per_week"), height=220, elem_id="tag-plot")
                    tag_similar = gr.Dropdown(choices=[], label=I18N("similar_to"), elem_id="tag-similar")
                    tag_cards = gr.HTML("", elem_id="tag-cards")
            similar_cards = gr.HTML("", elem_id="similar-cards")
        with gr.Tab(I18N("index_tab"), elem_id="tab-index"):
            status = gr.Markdown(index_status(index), elem_id="index-status")
            reindex_btn = gr.Button(I18N("reindex"), elem_id="reindex")
            report = gr.Textbox(label=I18N("last_reindex"), lines=4, interactive=False, elem_id="reindex-report")

        inputs = [question, chat, start, end, tags, lang]
        outputs = [chat, sources, chips, question]
        question.submit(respond, inputs, outputs)
        send.click(respond, inputs, outputs)
        day_pick.change(browse_day, day_pick, [day_cards, day_similar])
        tag_pick.change(browse_tag, tag_pick, [plot, tag_cards, tag_similar])
        day_similar.change(show_similar, day_similar, similar_cards)
        tag_similar.change(show_similar, tag_similar, similar_cards)
        reindex_btn.click(run_reindex, None, [report, status, tags, day_pick, tag_pick], api_name="reindex")
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


def serve(settings: Settings) -> None:
    """Index the data folder (only what changed), then serve on settings.host:settings.port."""
    try:
        report = run_reindex(settings)
    except StoreUnavailableError as err:
        # Serve anyway: the page says what is wrong, and answers come back with the server.
        print(f"Warning: {err}; starting without it.", flush=True)
    else:
        print(report.summary(), flush=True)
        for err in report.errors:
            print(f"skipped: {err}", flush=True)
    app = build_app(settings)
    # The first question must not pay for loading the models: load them while the page loads.
    threading.Thread(target=get_index(settings).warm_up, name="warm-up", daemon=True).start()
    launch(app, settings)

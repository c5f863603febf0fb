"""The Gradio app: streaming chat with [n] citations beside the cards of the cited entries."""

from __future__ import annotations

import html
import threading
from collections.abc import Iterator

import gradio as gr

from rag.answer import Answer, QuestionError
from rag.cards import CSS, answer_html, sources_html
from rag.config import MAX_QUESTION_CHARS, Settings
from rag.index import IndexLockedError, reindex

EXAMPLES = [
    "Which paper folds neighbouring image tokens into the channel dimension to shorten the sequence?",
    "이미지 토큰을 채널 차원으로 접어 시퀀스 길이를 줄이는 논문은?",
    "What did the digest author think about model-based verifiers for RL?",
    "2025년 5월 20일에 올라온 #rl 논문을 모두 알려줘.",
]

# Clicking [n] scrolls to the card (plain anchors) and flashes it, so the eye finds it.
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


def _index_status(index) -> str:
    m = index.manifest
    if not m.entries:
        return "The index is empty: add day files to the data folder and press Reindex."
    days = index.days
    return (
        f"{len(m.entries):,} entries over {len(days):,} days ({days[0].isoformat()} – {days[-1].isoformat()}); "
        f"last reindex {m.updated or 'never'}."
    )


def build_app(settings: Settings) -> gr.Blocks:
    """The Blocks app over the index in `settings`."""
    from rag import answer_stream, get_index

    index = get_index(settings)
    reindex_guard = threading.Lock()

    def respond(message: str, history: list[dict]) -> Iterator[tuple[list[dict], str, str]]:
        history = list(history or [])
        prior = [dict(turn) for turn in history]
        history.append({"role": "user", "content": message})
        history.append({"role": "assistant", "content": ""})
        try:
            text = ""
            for item in answer_stream(message, history=prior, settings=settings):
                if isinstance(item, Answer):
                    notice = f"<p><em>{html.escape(item.notice)}</em></p>" if item.notice else ""
                    history[-1]["content"] = answer_html(item.text)
                    yield history, notice + sources_html(item), ""
                    return
                text += item
                history[-1]["content"] = answer_html(text)
                yield history, "", ""
        except QuestionError as err:
            history[-1]["content"] = html.escape(str(err))
            yield history, "", ""

    def ask_api(question: str) -> dict:
        """One-shot answer for API clients (gradio_client): the `rag ask --json` shape."""
        from rag import answer

        return answer(question, settings=settings).to_dict()

    def run_reindex(progress=gr.Progress()) -> tuple[str, str]:
        if not reindex_guard.acquire(blocking=False):
            return "A reindex is already running.", _index_status(index)
        try:
            def on_progress(done: int, total: int) -> None:
                progress((done, total) if total else None, desc="Embedding new and changed entries")

            report = reindex(settings, on_progress=on_progress)
        except (IndexLockedError, FileNotFoundError, NotADirectoryError) as err:
            return f"Reindex failed: {err}", _index_status(index)
        finally:
            reindex_guard.release()
        index.refresh()
        lines = [report.summary()] + [f"skipped: {e}" for e in report.errors]
        return "\n".join(lines), _index_status(index)

    with gr.Blocks(title="Digest RAG", analytics_enabled=False) as app:
        gr.Markdown("## Digest RAG — ask the ML-paper digest (한국어 / English)")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                chat = gr.Chatbot(label="Answer", height=520, sanitize_html=True, elem_id="chat")
                question = gr.Textbox(
                    label="Question", placeholder="Ask in Korean or English… (Enter to send)",
                    max_length=MAX_QUESTION_CHARS, elem_id="question", autofocus=True,
                )
                with gr.Row():
                    send = gr.Button("Ask", variant="primary", elem_id="ask")
                    gr.ClearButton([chat, question], value="New conversation")
                gr.Examples(EXAMPLES, inputs=question, label="Try")
            with gr.Column(scale=2, min_width=300):
                sources = gr.HTML("<p>Sources appear here.</p>", elem_id="sources")
        with gr.Accordion("Index", open=False):
            status = gr.Markdown(_index_status(index), elem_id="index-status")
            reindex_btn = gr.Button("Reindex", elem_id="reindex")
            report = gr.Textbox(label="Last reindex", lines=3, interactive=False, elem_id="reindex-report")

        question.submit(respond, [question, chat], [chat, sources, question])
        send.click(respond, [question, chat], [chat, sources, question])
        reindex_btn.click(run_reindex, None, [report, status], api_name="reindex")
        hidden_q = gr.Textbox(visible=False)
        hidden_out = gr.JSON(visible=False)
        hidden_q.submit(ask_api, hidden_q, hidden_out, api_name="ask")
    return app


def serve(settings: Settings) -> None:
    """Index the data folder (only what changed), then serve on settings.host:settings.port."""
    from rag.cli import run_reindex

    report = run_reindex(settings)
    print(report.summary(), flush=True)
    for err in report.errors:
        print(f"skipped: {err}", flush=True)
    app = build_app(settings)
    app.queue(default_concurrency_limit=4).launch(
        server_name=settings.host, server_port=settings.port, css=CSS, head=HEAD_JS,
        show_error=False, footer_links=[],
    )

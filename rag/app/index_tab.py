"""The Index tab: what is indexed, a reindex's progress, its report, and the Reindex button
(for admins only)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import gradio as gr

from rag.app.labels import LABELS, label
from rag.app.reindexing import USER_ERRORS, Busy, Progress, Reindexer, report_text
from rag.app.render import escape
from rag.index.doctor import last_check
from rag.index.reader import Index
from rag.index.store import is_local


def phase_text(phase: str, done: int, total: int, lang: str) -> str:
    """A reindex phase as people read it: "embedding new and changed entries (120/11488)"."""
    text = label(f"phase_{phase}", lang) if f"phase_{phase}" in LABELS["en"] else phase
    return f"{text} ({done}/{total})" if phase == "embed" and total else text


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
    checked = last_check(index.settings) if is_local(index.settings) else None
    if checked is not None:
        at, problems = checked
        verdict = label("check_problems", lang, n=len(problems), first=escape(problems[0])) if problems else label(
            "check_ok", lang)
        line += "  \n" + label("last_check", lang, at=escape(at), verdict=verdict)
    return line


def last_report(state: Progress, ui: str) -> object:
    """The last run's report; while a run goes, the status line shows its progress instead."""
    if state.running:
        return gr.skip()
    return report_text(state.report, ui) if state.report else (state.error or gr.skip())


def building_notice(index: Index, reindexer: Reindexer, ui: str) -> str | None:
    """What a question gets while a first index is built (nothing to answer from yet), or None."""
    state = reindexer.progress()
    if index.manifest.entries or not state.running:
        return None
    return label("building", ui, phase=phase_text(state.phase, state.done, state.total, ui))


def run_reindex(reindexer: Reindexer, ui: str) -> Iterator[str]:
    """Reindex in a thread, yielding its phase four times a second, then its report."""
    done: dict[str, object] = {}

    def work() -> None:
        try:
            done["report"] = reindexer.run()
        except (Busy, *USER_ERRORS) as err:
            done["error"] = err

    thread = threading.Thread(target=work, name="reindex", daemon=True)
    thread.start()
    while thread.is_alive():
        state = reindexer.progress()
        yield label("indexing", ui, phase=phase_text(state.phase or "start", state.done, state.total, ui))
        thread.join(0.25)
    error = done.get("error")
    if isinstance(error, Busy):
        yield label("busy", ui)
    elif error is not None:
        yield label("reindex_failed", ui, error=error)
    else:
        yield report_text(done["report"], ui)  # type: ignore[arg-type]

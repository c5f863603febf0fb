"""The Browse tab: a day's or a tag's entries, a page at a time, with entries similar to one of
them beside it, and a tag's entries over time (per week, or per month over a long span)."""

from __future__ import annotations

import html
from collections import Counter
from datetime import timedelta
from typing import Any

import gradio as gr
import pandas as pd

from rag.app.cards import hits_html
from rag.app.labels import label
from rag.ask.filters import user_filters
from rag.ask.retrieve import listing, similar
from rag.index.reader import Index
from rag.model import Entry, Hit

PAGE = 20
# A span longer than this many weeks is counted per month: a bar per week would be a smear.
MAX_WEEKS = 26


def period_counts(entries: list[Entry]) -> tuple[str, list[tuple[str, int]]]:
    """("week" or "month", [(label, count)]) over every period of the entries' span, oldest first."""
    if not entries:
        return "week", []
    first, last = min(e.day for e in entries), max(e.day for e in entries)
    if (last - first).days // 7 < MAX_WEEKS:
        counts = Counter(e.day - timedelta(days=e.day.weekday()) for e in entries)
        start = first - timedelta(days=first.weekday())
        weeks = [start + timedelta(weeks=i) for i in range((last - start).days // 7 + 1)]
        return "week", [(w.isoformat(), counts.get(w, 0)) for w in weeks]
    months = Counter((e.day.year, e.day.month) for e in entries)
    span = [(y, m) for y in range(first.year, last.year + 1) for m in range(1, 13)
            if (first.year, first.month) <= (y, m) <= (last.year, last.month)]
    return "month", [(f"{y}-{m:02d}", months.get((y, m), 0)) for y, m in span]


def plot_frame(counts: list[tuple[str, int]]) -> pd.DataFrame:
    """Entries per period (period_counts) for the bar plot; periods as text so the axis is categorical."""
    return pd.DataFrame({
        "period": pd.Series([p for p, _ in counts], dtype=str),
        "entries": pd.Series([n for _, n in counts], dtype="int64"),
    })


def page_of(hits: list[Hit], page: int, lang: str) -> tuple[str, str, int]:
    """(cards, "Entries 21–40 of 92", the page actually shown) of one page of hits."""
    pages = max(1, -(-len(hits) // PAGE))
    page = min(max(page, 0), pages - 1)
    shown = hits[page * PAGE : (page + 1) * PAGE]
    info = label("page", lang, first=page * PAGE + 1, last=page * PAGE + len(shown), total=len(hits)) if hits else ""
    return hits_html(shown, lang), info, page


def similar_html(index: Index, entry_id: str | None, lang: str) -> str:
    """Entries similar to one entry, under a heading naming it."""
    if not entry_id or entry_id not in index.entries:
        return ""
    head = label("similar_head", lang, title=index.entries[entry_id].title)
    return f'<h4 class="pane-head">{html.escape(head)}</h4>{hits_html(similar(index, entry_id, k=5), lang)}'


def day_choices(index: Index) -> list[str]:
    """Every day of the digest, newest first."""
    return [d.isoformat() for d in reversed(index.days)]


def tag_choices(index: Index) -> list[tuple[str, str]]:
    """(label with its count, tag), most used first."""
    return [(f"{t} ({n})", t) for t, n in index.tags.most_common()]


def _layout(kind: str, t) -> dict[str, Any]:
    """A column's components: picker, plot and caption for tags, pager, cards, similar entries."""
    parts: dict[str, Any] = {}
    # value=None: Gradio would preselect the first choice without firing .change.
    # The list shows the first hundred; typing finds any of them.
    parts["pick"] = gr.Dropdown(choices=[], value=None, label=t(kind), elem_id=f"browse-{kind}",
                                info=t("type_to_find") if kind == "day" else None)
    if kind == "tag":
        # Only the data is ever updated: a BarPlot updated as a component (to change its title)
        # draws the update before it (Gradio 6.31), so the unit is a caption of its own, in the
        # page's language, and the axes have no titles (Gradio would show them in English). The
        # two blank titles differ (a space, a no-break space): Vega keys each bar's label by them.
        parts["plot"] = gr.BarPlot(plot_frame([]), x="period", y="entries", x_label_angle=-45, height=300,
                                   x_title=" ", y_title="\u00a0", elem_id="tag-plot")
        parts["unit"] = gr.Markdown("", elem_id="tag-plot-unit")
    with gr.Row():
        parts["prev"] = gr.Button(t("prev"), size="sm", elem_id=f"{kind}-prev")
        parts["info"] = gr.Markdown("", elem_id=f"{kind}-page")
        parts["next"] = gr.Button(t("next"), size="sm", elem_id=f"{kind}-next")
    parts["cards"] = gr.HTML("", elem_id=f"{kind}-cards")
    parts["similar"] = gr.Dropdown(choices=[], value=None, label=t("similar_to"), elem_id=f"{kind}-similar")
    parts["similar_cards"] = gr.HTML("", elem_id=f"{kind}-similar-cards")
    parts["ids"], parts["page"] = gr.State([]), gr.State(0)
    return parts


class _Column:
    """What a column does: show a picked day or tag, turn its pages, find similar entries."""

    def __init__(self, index: Index, kind: str, lang_of) -> None:
        self.index, self.kind, self.lang_of = index, kind, lang_of

    def hits_for(self, value: str | None) -> list[Hit]:
        if not value:
            return []
        filters = user_filters(days=[value]) if self.kind == "day" else user_filters(tags=[value])
        return listing(self.index.view(), filters)

    def show(self, value: str | None, request: gr.Request) -> list:
        lang = self.lang_of(request)
        hits = self.hits_for(value)
        cards_html, info_text, _ = page_of(hits, 0, lang)
        out = [cards_html, info_text, [h.entry.id for h in hits], 0,
               gr.Dropdown(choices=[(h.entry.title, h.entry.id) for h in hits], value=None), ""]
        if self.kind == "tag":
            unit, counts = period_counts([h.entry for h in hits])
            caption = label("per_week" if unit == "week" else "per_month", lang) if hits else ""
            out[:0] = [plot_frame(counts), caption]
        return out

    def turn(self, ids_shown: list[str], current: int, step: int, request: gr.Request) -> tuple[str, str, int]:
        view = self.index.view()
        hits = [Hit(entry=view.entries[eid], score=1.0) for eid in ids_shown if eid in view.entries]
        return page_of(hits, current + step, self.lang_of(request))

    def back(self, ids_shown: list[str], current: int, request: gr.Request) -> tuple[str, str, int]:
        return self.turn(ids_shown, current, -1, request)

    def forward(self, ids_shown: list[str], current: int, request: gr.Request) -> tuple[str, str, int]:
        return self.turn(ids_shown, current, 1, request)

    def similar_to(self, entry_id: str | None, request: gr.Request) -> str:
        return similar_html(self.index, entry_id, self.lang_of(request))


def column(index: Index, kind: str, t, lang_of) -> dict[str, Any]:
    """One Browse column (kind "day" or "tag"): its picker, plot for tags, pager, cards and the
    similar entries of a picked entry, wired to their events. `t` makes a label the browser
    translates (gr.I18n); `lang_of(request)` is the page's language for server-made HTML. The
    picker's choices come with the page's first look at the index, not in the page itself (a
    login page carries the page's config, and the digest's days and tags are not for strangers)."""
    parts, does = _layout(kind, t), _Column(index, kind, lang_of)
    pager = [parts["cards"], parts["info"], parts["page"]]
    outputs = [parts["cards"], parts["info"], parts["ids"], parts["page"], parts["similar"], parts["similar_cards"]]
    plot = [parts["plot"], parts["unit"]] if kind == "tag" else []
    parts["pick"].change(does.show, parts["pick"], plot + outputs)
    parts["prev"].click(does.back, [parts["ids"], parts["page"]], pager)
    parts["next"].click(does.forward, [parts["ids"], parts["page"]], pager)
    parts["similar"].change(does.similar_to, parts["similar"], parts["similar_cards"])
    return parts

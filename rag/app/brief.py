"""What's new: a digest day's entries in brief, and reading the day a user names.

`day_brief(index)` is the latest day as Markdown (title, tags and the author's one-line take
in Korean and English); `rag brief` prints it and the web app shows it before the first
question. `day_full` is a day in full, the MCP server's day resource. A day the digest does
not have is an error that names the nearest days it has.
"""

from __future__ import annotations

from datetime import date

from rag.app.labels import label
from rag.app.render import day_markdown, entry_brief, summary_json
from rag.ask.filters import NEAREST, DayError, listed, parse_day
from rag.index.reader import Index, IndexView
from rag.model import Entry


def nearest_days(days: list[date], target: date, n: int = NEAREST) -> list[date]:
    """The n days of the digest closest to target (earlier first on a tie), in date order."""
    return sorted(sorted(days, key=lambda d: (abs((d - target).days), d))[:n])


def _view(view_or_index: Index | IndexView) -> IndexView:
    return view_or_index.fresh_view() if isinstance(view_or_index, Index) else view_or_index


def day_entries(view: IndexView, day: date | str | None = None) -> tuple[date, list[Entry]]:
    """The day (the digest's last by default) and its entries in digest order.

    A day the digest lacks raises a DayError that names the nearest days it has.
    """
    if not view.days:
        raise DayError("the digest has no entries indexed yet; run `rag reindex` first")
    if day is None:
        day = view.days[-1]
    elif isinstance(day, str):
        day = parse_day(day, view.days)
    entries = view.by_day.get(day)
    if not entries:
        raise DayError(
            f"the digest has no entries on {day.isoformat()}; nearest days: {listed(nearest_days(view.days, day))}"
        )
    return day, entries


def day_brief(view_or_index: Index | IndexView, day: date | str | None = None, lang: str = "en") -> str:
    """What's new on a day (the last one by default) as Markdown: each entry's title, tags and
    the digest author's first sentence of commentary, Korean and (where the digest has it) English.
    `lang` is the heading's language."""
    day, entries = day_entries(_view(view_or_index), day)
    key = "whats_new_on_one" if len(entries) == 1 else "whats_new_on"
    head = "## " + label(key, lang, day=day.isoformat(), count=len(entries))
    return "\n\n".join([head, "\n".join(entry_brief(e) for e in entries)]) + "\n"


def day_brief_json(view_or_index: Index | IndexView, day: date | str | None = None) -> dict:
    """The same brief as data: `{"day", "entries": [{"id", "day", "title", "tags", "take_ko", "take_en"}]}`."""
    day, entries = day_entries(_view(view_or_index), day)
    return {"day": day.isoformat(), "entries": [summary_json(e) for e in entries]}


def day_full(view_or_index: Index | IndexView, day: date | str) -> str:
    """A day's entries in full (authors, commentaries, abstracts) as Markdown."""
    day, entries = day_entries(_view(view_or_index), day)
    return day_markdown(day, entries)

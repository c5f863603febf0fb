"""HTML for the web app: source cards, the sources panel, filter chips, all digest text escaped.

Everything from the digest or the user passes through `html.escape` before it becomes
markup; only the tags written here are real HTML. Labels come from `rag.app.labels` in the
page's language.
"""

from __future__ import annotations

import html
import re

from rag.app.labels import label
from rag.app.links import entry_links
from rag.model import Answer, Entry, Filters, Hit

_URL = re.compile(r"https?://[^\s<>\"')\]]+")
LONG_AUTHORS = 6



def _linkify(text: str) -> str:
    """Escape text, then turn its URLs into links that open in a new tab."""
    out, last = [], 0
    for m in _URL.finditer(text):
        out.append(html.escape(text[last : m.start()]))
        url = html.escape(m[0], quote=True)
        out.append(f'<a href="{url}" target="_blank" rel="noopener noreferrer">{url}</a>')
        last = m.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def _author(name: str) -> str:
    # The page's script asks "papers by NAME" when an author is clicked.
    return f'<button type="button" class="author" data-author="{html.escape(name, quote=True)}">{html.escape(name)}</button>'


def _authors(authors: tuple[str, ...]) -> str:
    """The authors as buttons that find their papers; a long list folds after the first few."""
    if not authors:
        return "—"
    shown = ", ".join(_author(a) for a in authors[:LONG_AUTHORS])
    if len(authors) <= LONG_AUTHORS:
        return shown
    rest = ", ".join(_author(a) for a in authors[LONG_AUTHORS:])
    return f"<details><summary>{shown}, … (+{len(authors) - LONG_AUTHORS})</summary>{rest}</details>"


def entry_card(entry: Entry, n: int | None = None, lang: str = "en") -> str:
    """One source card: day, title, authors, tags, commentary (ko, en), abstract, links."""
    anchor = f' id="src-{n}"' if n is not None else ""
    num = f'<span class="src-num">[{n}]</span>' if n is not None else ""
    authors_html = _authors(entry.authors)
    tags = "".join(f'<span class="src-tag">#{html.escape(t)}</span>' for t in entry.labels)
    parts = [
        f'<div class="src-card"{anchor}>',
        f"<h4>{num}{html.escape(entry.title)}</h4>",
        f'<div class="src-meta">{entry.day.isoformat()} · {authors_html}</div>',
        f"<div>{tags}</div>" if tags else "",
    ]
    if entry.comment_ko:
        parts.append(f'<div class="src-label">{label("commentary_ko", lang)}</div><p>{_linkify(entry.comment_ko)}</p>')
    if entry.comment_en:
        parts.append(f'<div class="src-label">{label("commentary_en", lang)}</div><p>{_linkify(entry.comment_en)}</p>')
    if entry.abstract:
        parts.append(f'<details><summary class="src-label">{label("abstract", lang)}</summary>'
                     f"<p>{_linkify(entry.abstract)}</p></details>")
    if entry.links:
        links = " · ".join(
            f'<a href="{html.escape(u, quote=True)}" target="_blank" rel="noopener noreferrer">{html.escape(u)}</a>'
            for u in entry_links(entry)
        )
        parts.append(f'<div class="src-meta">{label("links", lang)}: {links}</div>')
    parts.append("</div>")
    return "".join(parts)


def sources_html(result: Answer, lang: str = "en") -> str:
    """The source panel: the cited cards (or the closest ones when abstaining), then every other
    entry the search found, collapsed under "More from the digest"."""
    if not result.contexts:
        return f"<p>{label('no_sources', lang)}</p>"
    head = label("closest" if result.abstained and not result.citations else "sources", lang)
    cited = {c.n for c in result.citations}
    numbered = [(n, h) for n, h in enumerate(result.contexts, 1) if n in cited] or list(enumerate(result.contexts[:3], 1))
    shown = {n for n, _ in numbered}
    cards = "".join(entry_card(h.entry, n, lang) for n, h in numbered)
    rest = [h for n, h in enumerate(result.contexts, 1) if n not in shown]
    more = (
        f'<details class="more-sources"><summary>{html.escape(label("more", lang))} ({len(rest)})</summary>'
        f'{"".join(entry_card(h.entry, lang=lang) for h in rest)}</details>'
        if rest else ""
    )
    # data-answer tells one answer's panel from the next one's (a page, or a test, waits on it).
    return pane(f'<h3>{html.escape(head)}</h3><div class="cited-sources" data-answer="{id(result):x}">{cards}</div>{more}')


def pane(inner: str) -> str:
    """The sources panel's own scroll box: Gradio styles its blocks inline (overflow: visible),
    so the panel scrolls inside an element of ours, at every width, and never spills over
    what follows it."""
    return f'<div class="sources-pane">{inner}</div>'


def brief_html(head: str, entries: list[Entry], lang: str = "en") -> str:
    """A day's entries as titles that open their cards (the Ask tab before the first question)."""
    items = "".join(
        f'<details class="brief-entry"><summary>{html.escape(e.title)}'
        f'{"".join(f" <span class=src-tag>#{html.escape(t)}</span>" for t in e.labels)}</summary>'
        f"{entry_card(e, lang=lang)}</details>"
        for e in entries
    )
    return pane(f'<h3>{html.escape(head)}</h3><div class="brief">{items}</div>')


def hits_html(hits: list[Hit], lang: str = "en") -> str:
    """Cards for a list of hits (browse views)."""
    return "".join(entry_card(h.entry, lang=lang) for h in hits) or f"<p>{label('no_entries', lang)}</p>"


def filter_chips(filters: Filters | None, lang: str = "en", answer_lang: str = "") -> str:
    """Every filter in force (days, tags, authors, the answer language, an earlier answer's
    entries) as chips beside the question box."""
    filters = filters or Filters()
    chips = [
        f'<span class="src-tag">{lo.isoformat()}{"" if lo == hi else " – " + hi.isoformat()}</span>'
        for lo, hi in filters.days
    ] + [f'<span class="src-tag">#{html.escape(t)}</span>' for t in filters.tags]
    chips += [f'<span class="src-tag author-chip">{html.escape(label("by", lang, name=a))}</span>'
              for a in filters.authors]
    if answer_lang:
        chips.append(f'<span class="src-tag lang-chip">{html.escape(label("answer_in_" + answer_lang, lang))}</span>')
    if filters.ids:
        count = len(filters.ids)
        among = label("entry_of_answer", lang) if count == 1 else label("entries_of_answer", lang, count=count)
        chips.append(f'<span class="src-tag">{html.escape(among)}</span>')
    return f'<div class="chips">{"".join(chips)}</div>' if chips else ""

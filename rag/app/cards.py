"""HTML for the web app: source cards, the sources panel, filter chips, all digest text escaped.

Everything from the digest or the user passes through `html.escape` before it becomes
markup; only the tags written here are real HTML. Labels come from `rag.app.labels` in the
page's language.
"""

from __future__ import annotations

import html
import re

from rag.app.labels import label
from rag.model import Answer, Entry, Filters, Hit

_URL = re.compile(r"https?://[^\s<>\"')\]]+")
LONG_AUTHORS = 6

CSS = """
.src-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px;
  margin: 0 0 10px 0; scroll-margin-top: 12px; }
.src-card:target, .src-card.flash { outline: 3px solid var(--color-accent); }
.src-card h4 { margin: 0 0 4px 0; font-size: 1rem; }
.src-meta { font-size: .85rem; opacity: .8; margin-bottom: 6px; }
.src-tag { display: inline-block; border-radius: 999px; padding: 0 8px; margin: 2px 4px 2px 0;
  font-size: .8rem; background: var(--background-fill-secondary); border: 1px solid var(--border-color-primary); }
.src-num { font-weight: 700; margin-right: 6px; }
.src-card p { margin: 4px 0; white-space: pre-wrap; }
.src-label { font-weight: 600; font-size: .8rem; text-transform: uppercase; opacity: .7; }
a.cite { text-decoration: none; font-weight: 700; color: var(--color-accent); }
.notice { color: var(--error-text-color, #b42318); }
.pane-head { margin: 12px 0 6px 0; font-size: 1rem; }
#sources { max-height: 78vh; overflow-y: auto; }
#day-from, #day-to { min-width: 200px; }
#day-from button, #day-to button { flex-shrink: 0; }
dialog.card-dialog { max-width: 94vw; max-height: 80vh; overflow-y: auto; border-radius: 10px; padding: 12px; }
@media (max-width: 700px) { .src-card { padding: 8px; } #sources { max-height: none; overflow-y: visible; } }
"""


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


def entry_card(entry: Entry, n: int | None = None, lang: str = "en") -> str:
    """One source card: day, title, authors, tags, commentary (ko, en), abstract, links."""
    anchor = f' id="src-{n}"' if n is not None else ""
    num = f'<span class="src-num">[{n}]</span>' if n is not None else ""
    authors = ", ".join(entry.authors)
    if len(entry.authors) > LONG_AUTHORS:
        shown = html.escape(", ".join(entry.authors[:LONG_AUTHORS]))
        authors_html = f"<details><summary>{shown}, … (+{len(entry.authors) - LONG_AUTHORS})</summary>{html.escape(authors)}</details>"
    else:
        authors_html = html.escape(authors) or "—"
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
            for u in entry.links
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
    return f'<h3>{html.escape(head)}</h3><div class="cited-sources" data-answer="{id(result):x}">{cards}</div>{more}'


def hits_html(hits: list[Hit], lang: str = "en") -> str:
    """Cards for a list of hits (browse views)."""
    return "".join(entry_card(h.entry, lang=lang) for h in hits) or f"<p>{label('no_entries', lang)}</p>"


def filter_chips(filters: Filters | None, lang: str = "en") -> str:
    """The filters in force, as chips above the sources."""
    if not filters:
        return ""
    chips = [
        f'<span class="src-tag">{lo.isoformat()}{"" if lo == hi else " – " + hi.isoformat()}</span>'
        for lo, hi in filters.days
    ] + [f'<span class="src-tag">#{html.escape(t)}</span>' for t in filters.tags]
    if filters.ids:
        count = len(filters.ids)
        among = label("entry_of_answer", lang) if count == 1 else label("entries_of_answer", lang, count=count)
        chips.append(f'<span class="src-tag">{html.escape(among)}</span>')
    return f'<div class="chips">{"".join(chips)}</div>'

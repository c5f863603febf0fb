"""HTML for the web app: answers with clickable [n] and source cards, all digest text escaped.

Everything from the digest or the user passes through `html.escape` before it becomes
markup; only the tags written here are real HTML.
"""

from __future__ import annotations

import html
import re

from rag.model import Answer, Entry, Filters, Hit
from rag.text import MARKER

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
.cite { text-decoration: none; font-weight: 600; }
.notice { color: var(--error-text-color, #b42318); }
@media (max-width: 640px) { .src-card { padding: 8px; } }
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


def answer_html(text: str) -> str:
    """Answer text for the chat: escaped, with each [n] a link to its source card.

    The chat renders Markdown, so `![..](url)` would become an image the browser fetches
    (a way for injected text to leak the conversation): its "![" is escaped too.
    """
    escaped = html.escape(text).replace("![", "!\\[")
    return MARKER.sub(lambda m: f'<a class="cite" href="#src-{m[1]}">[{m[1]}]</a>', escaped)


def entry_card(entry: Entry, n: int | None = None, labels: dict[str, str] | None = None) -> str:
    """One source card: day, title, authors, tags, commentary (ko, en), abstract, links."""
    labels = labels or {"ko": "Commentary (KO)", "en": "Commentary (EN)", "abstract": "Abstract", "links": "Links"}
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
        parts.append(f'<div class="src-label">{labels["ko"]}</div><p>{_linkify(entry.comment_ko)}</p>')
    if entry.comment_en:
        parts.append(f'<div class="src-label">{labels["en"]}</div><p>{_linkify(entry.comment_en)}</p>')
    if entry.abstract:
        parts.append(f'<details><summary class="src-label">{labels["abstract"]}</summary><p>{_linkify(entry.abstract)}</p></details>')
    if entry.links:
        links = " · ".join(
            f'<a href="{html.escape(u, quote=True)}" target="_blank" rel="noopener noreferrer">{html.escape(u)}</a>'
            for u in entry.links
        )
        parts.append(f'<div class="src-meta">{labels["links"]}: {links}</div>')
    parts.append("</div>")
    return "".join(parts)


def sources_html(result: Answer) -> str:
    """The source panel: the cited cards (or the closest ones when abstaining), then every other
    entry the search found, collapsed under "More from the digest"."""
    if not result.contexts:
        return "<p>No sources.</p>"
    head = "Closest in the digest" if result.abstained and not result.citations else "Sources"
    more_head = "More from the digest"
    if result.lang == "ko":
        head = "다이제스트에서 가장 가까운 항목" if result.abstained and not result.citations else "출처"
        more_head = "다이제스트의 다른 항목"
    cited = {c.n for c in result.citations}
    numbered = [(n, h) for n, h in enumerate(result.contexts, 1) if n in cited] or list(enumerate(result.contexts[:3], 1))
    shown = {n for n, _ in numbered}
    cards = "".join(entry_card(h.entry, n) for n, h in numbered)
    rest = [h for n, h in enumerate(result.contexts, 1) if n not in shown]
    more = (
        f'<details class="more-sources"><summary>{html.escape(more_head)} ({len(rest)})</summary>'
        f'{"".join(entry_card(h.entry) for h in rest)}</details>'
        if rest else ""
    )
    return f'<h3>{html.escape(head)}</h3><div class="cited-sources">{cards}</div>{more}'


def hits_html(hits: list[Hit]) -> str:
    """Cards for a list of hits (browse views)."""
    return "".join(entry_card(h.entry) for h in hits) or "<p>No entries.</p>"


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
        among = (f"이전 답변의 항목 {count}개" if lang == "ko"
                 else f"{count} {'entry' if count == 1 else 'entries'} of the last answer")
        chips.append(f'<span class="src-tag">{among}</span>')
    return f'<div class="chips">{"".join(chips)}</div>'

"""Entries and answers as plain JSON data and as Markdown: what the MCP server and `rag brief`
show, what the chat shows and Copy gives, and what Export downloads.

Digest text is data: every piece of it that lands in Markdown is escaped, so a title or a
commentary can add no heading, link, image or HTML of its own; the entry's own URLs become
autolinks (`<https://...>`) and nothing else does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from rag.app.links import entry_links
from rag.model import Citation, Entry
from rag.text import MARKER, split_sentences

# Characters that make inline Markdown (emphasis, code, links and images, HTML, strikethrough,
# table cells), the backslash that escapes them, and a '&' that would start an entity.
_INLINE = re.compile(r"([\\`*_\[\]<>~|]|&(?=#?\w+;))")
# What turns the start of a line into a block (heading, quote, list item, setext underline):
# the marker itself, or the '.'/')' (then a space) after an ordered list's number. A date
# ("2024-10-03의") starts no block, so its '-' is left alone.
_BLOCK_START = re.compile(r"^(\s*|\s*\d+(?=[.)](?:\s|$)))([#>+=-]|(?<=\d)[.)])")


def take(comment: str) -> str:
    """The digest author's one-line take: the first sentence of a commentary ("" if none)."""
    sentences = split_sentences(comment)
    return sentences[0] if sentences else ""


def summary_json(entry: Entry) -> dict:
    """An entry in brief: id, day, title, tags and the author's take in each language."""
    full = entry.to_dict()
    return {**{key: full[key] for key in ("id", "day", "title", "tags")},
            "take_ko": take(entry.comment_ko), "take_en": take(entry.comment_en)}


def escape(text: str, links: Sequence[str] = ()) -> str:
    """One line of digest text as inert Markdown; the given URLs in it become autolinks."""
    out, rest = [], " ".join(text.split())
    while rest:
        at, url = min(((rest.find(u), u) for u in links if u in rest), default=(-1, ""))
        if at < 0:
            out.append(_INLINE.sub(r"\\\1", rest))
            break
        out.append(_INLINE.sub(r"\\\1", rest[:at]))
        out.append(f"<{url}>")
        rest = rest[at + len(url):]
    return _BLOCK_START.sub(r"\1\\\2", "".join(out), count=1)


def _code(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def tags_markdown(entry: Entry) -> str:
    """The entry's tags as code spans: `#rl` `#reasoning`."""
    return " ".join(_code("#" + t) for t in entry.labels)


def entry_brief(entry: Entry) -> str:
    """A list item: the title and tags, then the author's take in Korean and English."""
    head = f"- **{escape(entry.title)}**"
    if entry.tags:
        head += " " + tags_markdown(entry)
    takes = [take(entry.comment_ko), take(entry.comment_en)]
    return "\n".join([head, *(f"  - {escape(t, entry.links)}" for t in takes if t)])


def _paragraphs(label: str, text: str | None, links: Sequence[str]) -> list[str]:
    lines = [escape(line, links) for line in (text or "").splitlines() if line.strip()]
    if not lines:
        return []
    return [f"**{label}:** " + lines[0], *lines[1:]]


def entry_markdown(entry: Entry, n: int) -> str:
    """Everything about one entry as a Markdown section numbered n."""
    meta = [f"id: {_code(entry.id)}"]
    if entry.tags:
        meta.append("tags: " + tags_markdown(entry))
    parts = [f"## {n}. {escape(entry.title)}", " · ".join(meta)]
    if entry.authors:
        parts.append("Authors: " + escape(", ".join(entry.authors)))
    for label, text in (("코멘트", entry.comment_ko), ("Commentary", entry.comment_en), ("Abstract", entry.abstract)):
        block = _paragraphs(label, text, entry.links)
        if block:
            parts.append("\n\n".join(block))
    return "\n\n".join(parts)


def day_markdown(day: date, entries: Sequence[Entry]) -> str:
    """A digest day in full: a heading, then every entry in digest order."""
    head = f"# {day.isoformat()}: {len(entries)} {'entry' if len(entries) == 1 else 'entries'}"
    return "\n\n".join([head, *(entry_markdown(e, n) for n, e in enumerate(entries, 1))]) + "\n"


def inert_line(line: str) -> str:
    """A line of answer text as inert Markdown, its [n] markers kept as they are."""
    body, bullet = line, ""
    if line.startswith("- "):  # the writers' own list items stay list items
        bullet, body = "- ", line[2:]
    pieces, last = [], 0
    for m in MARKER.finditer(body):
        pieces += [_INLINE.sub(r"\\\1", body[last : m.start()]), m[0]]
        last = m.end()
    pieces.append(_INLINE.sub(r"\\\1", body[last:]))
    text = "".join(pieces)
    return bullet + (text if bullet else _BLOCK_START.sub(r"\1\\\2", text, count=1))


def answer_markdown(text: str, citations: Sequence[Citation] = (), references: str = "References") -> str:
    """An answer as Markdown, what the chat shows and Copy gives: its text with [n], then a
    reference list (day, title and the entry's links) for the [n] it cites."""
    body = "\n".join(inert_line(line) if line.strip() else "" for line in text.splitlines())
    if not citations:
        return body
    refs = []
    for c in sorted(citations, key=lambda c: c.n):
        e = c.entry
        links = " ".join(f"<{u}>" for u in entry_links(e))
        refs.append(f"- [{c.n}] {e.day.isoformat()} · {escape(e.title)}" + (f" — {links}" if links else ""))
    return f"{body}\n\n**{references}**\n" + "\n".join(refs)


def conversation_markdown(turns: Sequence[tuple[str, str]], title: str = "Digest RAG conversation") -> str:
    """A whole conversation as one Markdown document: each question, then its answer."""
    parts = [f"# {title}"]
    for question, answer in turns:
        parts.append(f"## {escape(question)}")
        parts.append(answer)
    return "\n\n".join(parts) + "\n"

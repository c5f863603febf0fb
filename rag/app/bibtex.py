"""BibTeX for the entries an answer cites (`rag ask --bibtex`, the app's Export .bib, the MCP
`get_entry` result), written with bibtexparser.

The digest's commentary links mostly point at *other* papers ("like Dromedary (arxiv...)"), so
only an entry's own links count as the paper's: those in its abstract, and those standing alone
on a commentary line. An entry with its own arXiv link becomes `@misc` with `eprint`,
`archivePrefix = {arXiv}`, `url`, authors and year; any other gets `howpublished` (the digest
day) and `url` when it has a link of its own. Keys are stable: first author's last name + year +
first title word, ASCII (`ma2025general`), with a/b/c appended on a collision within one file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import bibtexparser
from anyascii import anyascii
from bibtexparser.library import Library
from bibtexparser.model import Entry as BibEntry
from bibtexparser.model import Field

from rag.model import Entry

_ARXIV = re.compile(r"arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?", re.I)
_SPECIAL = re.compile(r"([\\{}&%$#_~^])")
_STOP = {"a", "an", "the", "on", "of", "towards", "toward"}


def own_links(entry: Entry) -> list[str]:
    """The entry's own links: in its abstract, or alone on a line of its commentary."""
    alone = {line.strip() for text in (entry.comment_ko, entry.comment_en) for line in text.splitlines()}
    return [u for u in entry.links if u in (entry.abstract or "") or u in alone]


def paper_link(entry: Entry) -> str | None:
    """The paper's link: its own arXiv page when known, else its first own link."""
    links = own_links(entry)
    arxiv = [u for u in links if _ARXIV.search(u)]
    return next(iter(arxiv or links), None)


def arxiv_id(url: str | None) -> str | None:
    """The arXiv identifier in a link (without its version), or None."""
    m = _ARXIV.search(url or "")
    return m.group(1) if m else None


def _escape(text: str) -> str:
    """Text as a BibTeX value: LaTeX's special characters escaped, braces balanced."""
    return _SPECIAL.sub(lambda m: "\\textbackslash{}" if m[1] == "\\" else "\\" + m[1], " ".join(text.split()))


def _word(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", anyascii(text).casefold())


def base_key(entry: Entry) -> str:
    """The key before collisions: first author's last name + year + first title word."""
    last = _word(entry.authors[0].split()[-1]) if entry.authors and entry.authors[0].split() else ""
    words = [w for w in (_word(t) for t in re.split(r"[\s:\-]+", entry.title)) if w]
    first = next((w for w in words if w not in _STOP), words[0] if words else "")
    return f"{last or 'anon'}{_year(entry)}{first}"


def _year(entry: Entry) -> int:
    """The arXiv id's year when known (2503.04715 is 2025), else the digest day's."""
    ident = arxiv_id(paper_link(entry))
    if ident and ident[:4].isdigit():
        return 2000 + int(ident[:2])
    return entry.day.year


def bib_entry(entry: Entry, key: str) -> BibEntry:
    """One entry as a bibtexparser entry under the given key."""
    link = paper_link(entry)
    fields = [Field("title", "{" + _escape(entry.title) + "}")]
    if entry.authors:
        fields.append(Field("author", " and ".join(_escape(a) for a in entry.authors)))
    fields.append(Field("year", str(_year(entry))))
    ident = arxiv_id(link)
    if ident:
        fields += [Field("eprint", ident), Field("archivePrefix", "arXiv"),
                   Field("url", f"https://arxiv.org/abs/{ident}")]
    else:
        fields.append(Field("howpublished", _escape(f"Digest entry of {entry.day.isoformat()}")))
        if link:
            fields.append(Field("url", link))
    fields.append(Field("note", _escape(f"digest-rag id {entry.id}")))
    return BibEntry("misc", key, fields)


def unique_keys(entries: Sequence[Entry]) -> list[str]:
    """Each entry's key, with a, b, c ... appended where two would collide."""
    bases = [base_key(e) for e in entries]
    taken: set[str] = set()
    out = []
    for base in bases:
        key, n = base, 0
        while key in taken:
            key, n = f"{base}{chr(ord('a') + n % 26)}{n // 26 or ''}", n + 1
        taken.add(key)
        out.append(key)
    return out


def bibtex(entries: Iterable[Entry]) -> str:
    """A .bib file for the entries (each once, in the order given)."""
    unique = list({e.id: e for e in entries}.values())
    library = Library()
    for entry, key in zip(unique, unique_keys(unique)):
        library.add(bib_entry(entry, key))
    return bibtexparser.write_string(library)

"""An entry's links as a reader wants them: the paper's own page first, then the others, each
once and without tracking parameters.

The digest cites a paper by a URL in parentheses at the end of its commentary line
("... (https://arxiv.org/abs/2503.04715)"); other URLs in the text are things the commentary
mentions (other papers, code, blog posts). An arXiv PDF link and its abstract page are one paper.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from rag.model import Entry

# Parameters that only say where a click came from.
_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|igshid|ref_src)$", re.IGNORECASE)
_ARXIV = re.compile(r"^https?://(?:www\.)?arxiv\.org/(?:abs|pdf)/([\w.\-/]+?)(?:\.pdf)?/?$", re.IGNORECASE)
# A URL in parentheses closing a line: how the digest names the paper an entry is about.
_OWN = re.compile(r"\((https?://[^\s()]+)\)\s*$", re.MULTILINE)


def clean_url(url: str) -> str:
    """The URL without tracking parameters; an arXiv PDF link as its abstract page."""
    arxiv = _ARXIV.match(url)
    if arxiv:
        return f"https://arxiv.org/abs/{arxiv[1]}"
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def own_link(entry: Entry) -> str | None:
    """The paper's own page: the URL closing a commentary line, else its first arXiv link."""
    for text in (entry.comment_ko, entry.comment_en):
        found = _OWN.search(text or "")
        if found:
            return clean_url(found[1])
    return next((clean_url(u) for u in entry.links if _ARXIV.match(u)), None)


def entry_links(entry: Entry) -> list[str]:
    """Every link of the entry, clean and deduplicated, the paper's own first."""
    own = own_link(entry)
    return list(dict.fromkeys([*([own] if own else []), *(clean_url(u) for u in entry.links)]))

"""The data every part of the flow speaks: entries, the filters on them, hits, answers.

Plain frozen dataclasses with no behaviour beyond their own shape, so parsing, indexing,
asking and the apps can all import them without importing each other.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

Range = tuple[date, date]


@dataclass(frozen=True)
class Source:
    """Where an entry came from."""

    file: str  # path as given
    line: int  # 1-based line of the title


@dataclass(frozen=True)
class Entry:
    """One paper of one digest day."""

    id: str  # f"{day}/{slug}", + f"~{n}" for the n-th repeat of a title on that day
    day: date
    title: str
    authors: tuple[str, ...]
    abstract: str | None
    comment_ko: str  # "" when absent; lines joined with "\n"
    comment_en: str  # "" when absent; lines joined with "\n"
    tags: tuple[str, ...]  # without '#', one spelling (tag_key): what filters, counts and search use
    links: tuple[str, ...]  # URLs of abstract and comments, in order, deduplicated
    source: Source
    tag_labels: tuple[str, ...] = ()  # the tags as the day file spells them, for display

    @property
    def labels(self) -> tuple[str, ...]:
        """The tags as written in the digest (the normalized ones when that is unknown)."""
        return self.tag_labels or self.tags

    def to_dict(self) -> dict:
        """Everything the digest says about the entry, JSON-ready (the day as ISO text): the one
        entry shape of `rag search --json`, the MCP tools and the retriever's metadata."""
        return {
            "id": self.id,
            "day": self.day.isoformat(),
            "title": self.title,
            "authors": list(self.authors),
            "tags": list(self.tags),
            "comment_ko": self.comment_ko,
            "comment_en": self.comment_en,
            "abstract": self.abstract,
            "links": list(self.links),
        }


@dataclass(frozen=True)
class Filters:
    """Constraints applied to retrieval: any of the day ranges, any of the tags, any of the
    authors (names as a user writes them; see `rag.names`), and (for a follow-up about an
    earlier answer) only these entry ids."""

    days: tuple[Range, ...] = ()
    tags: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.days or self.tags or self.authors or self.ids)


@dataclass(frozen=True)
class Hit:
    """One retrieved entry: fused score, plus the evidence behind it."""

    entry: Entry
    score: float
    dense: float = 0.0          # best cosine similarity among its chunks
    lexical: float = 0.0        # its BM25 score (all fields)
    coverage: float = 0.0       # share of the question's rare words the entry contains

    def to_dict(self) -> dict:
        """The entry's `to_dict` and the fused score."""
        return {**self.entry.to_dict(), "score": round(self.score, 6)}


@dataclass(frozen=True)
class Citation:
    """A source the answer cites: its number in the text, the entry, and the quoted snippet."""

    n: int
    entry: Entry
    snippet: str


@dataclass
class Answer:
    """What `answer()` returns and the UI shows."""

    question: str
    text: str
    citations: list[Citation]
    abstained: bool
    lang: str
    contexts: list[Hit] = field(default_factory=list)  # numbered sources: contexts[n-1] is [n]
    standalone: str = ""       # the question after follow-up rewriting
    filters: Filters = field(default_factory=Filters)
    notice: str = ""           # e.g. "the language model failed; this is the offline answer"

    def to_dict(self) -> dict:
        """The `rag ask --json` shape."""
        return {
            "text": self.text,
            "citations": [
                {"n": c.n, "id": c.entry.id, "title": c.entry.title, "day": c.entry.day.isoformat()}
                for c in self.citations
            ],
            "abstained": self.abstained,
        }


@dataclass
class ReindexReport:
    """What a reindex did; `to_dict` is the `rag reindex --json` shape (plus details)."""

    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    embedded_chunks: int = 0  # chunks sent to the embedder
    reused_chunks: int = 0  # new chunks whose vectors were copied from identical old text
    rebuilt: bool = False
    message: str = ""

    def to_dict(self) -> dict:
        """JSON-ready report."""
        return asdict(self)

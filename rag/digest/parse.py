"""Day files -> Entry: the parser for the digest's plain-text day format (README "Day file format").

A day file looks like::

    2025년 5월 21일                  <- line 1: the day
    Title                            <- entry: a title line ...
    (Author A, Author B)             <- ... immediately followed by an authors line
    English abstract                 <- optional
    한국어 코멘트                      <- Korean commentary, 1+ lines, optional in old days
    English commentary               <- optional (none before 2024-01-29)
    #tag-a #tag-b                    <- optional, ends the entry

Everything here is a pure function of the text except `parse_day_file`; which files of a data
folder are day files is `rag.digest.folder`'s rule.

Judgement calls, checked against the 1,131 files of ../shared/corpus (3,837 entries):
- Every parenthesized line without Hangul in the corpus is an authors line (3,837 of them),
  so "title line + authors line" is a reliable entry boundary; tags lines are not (285
  entries have none). A tags line is always the last line of its entry, so text after it
  that does not start a new entry is reported as an error (it is almost surely an entry
  whose authors line is missing, which would otherwise merge silently into its neighbour).
- Abstracts are arXiv paragraphs. Old free-form posts (2017-2023) often open with a short
  reference line ("BlendMask https://arxiv.org/abs/...", "| 2005.04318") or a bare project
  URL, and some end with bare URLs; those belong to the author's commentary. So
  non-Hangul lines before the Korean text are the abstract only when the first one reads
  as prose (see `_looks_like_abstract`), and trailing lines that are only bare URLs stay
  with the Korean commentary. Versus the corpus README (1,773 abstracts, 1,158 English
  commentaries, 360 entries without commentary) this gives 1,778 / 1,166 / 367, where the
  plain positional rule gives 1,841 / 1,197 / 402.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from datetime import date
from pathlib import Path

from rag.model import Entry, Source
from rag.text import has_hangul, normalize_title

# A day file's name ends so (anything else in the data folder is not read).
DAY_SUFFIX = ".txt"
# Bump when the same file parses into different entries: an index reuses stored entries of
# unchanged files only when they were parsed by this version. 2: tags have one spelling.
PARSER_VERSION = 2

# Input bounds: a day file is a few kB; anything near these sizes is not a day file, and
# refusing it early keeps memory and time bounded for whatever lands in the data dir.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_LINE_BYTES = 1024 * 1024
# The largest real day has 44 entries. Without a cap, a file under MAX_FILE_BYTES made of
# minimal entries ("T\n()\n", 5 bytes each) would become ~4 million Entry objects: minutes
# of parsing and several GB of memory.
MAX_ENTRIES_PER_DAY = 1000

# Slugs longer than this are cut and suffixed with a hash of the full title, so ids stay
# short (they are vector-store keys) yet unique.
MAX_SLUG_CHARS = 80
SLUG_HASH_CHARS = 8

# A non-Hangul first line this long is taken as an abstract even when it does not end a
# sentence. In the corpus, abstracts without a final period (they end with a code URL) are
# 534+ characters; the reference lines that open old posts ("Title (Authors)", "Name
# https://arxiv.org/abs/...") are at most 143, bar two long author lists.
ABSTRACT_MIN_CHARS = 200

_DATE_RE = re.compile(r"(\d{4})\s*년\s*(\d{1,2})\s*월\s*(\d{1,2})\s*일")
# URL characters of RFC 3986 except brackets and quotes, which in prose and markdown
# ("[url](url)", "'url'") delimit a URL rather than belong to it.
_URL_RE = re.compile(r"https?://[A-Za-z0-9\-._~:/?#@!$&()*+,;=%]+")
_URL_TRAILING_PUNCT = ".,;:!?*"
_BARE_URL_RE = re.compile(r"https?://\S+")
_SENTENCE_END_RE = re.compile(r"[.!?。][\"'”’)\]]*$")
# Lone surrogates: what text decoded with errors="surrogateescape" carries for invalid UTF-8.
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def shown_name(file: str | Path) -> str:
    """A file name safe to print on one line: undecodable bytes as \\xNN, control characters
    escaped (a newline in a name could otherwise forge a line of a log or a report)."""
    raw = os.fsencode(str(file)).decode("utf-8", "backslashreplace")
    return "".join(ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii") for ch in raw)


class ParseError(ValueError):
    """Malformed day file; carries file and line (the message shows the name escaped)."""

    def __init__(self, file: str, line: int, message: str):
        super().__init__(f"{shown_name(file)}:{line}: {message}")
        self.file = file
        self.line = line
        self.message = message

    def __reduce__(self):
        # Keeps the error picklable (e.g. across a process pool) despite the custom __init__.
        return (type(self), (self.file, self.line, self.message))


def _title_slug(title: str) -> str:
    """The id part of a title: its normalized words joined by '-', at most ~90 chars."""
    normalized = normalize_title(title)
    slug = normalized.replace(" ", "-") or "untitled"
    if len(slug) <= MAX_SLUG_CHARS:
        return slug
    digest = hashlib.sha1(normalized.encode("utf-8")).hexdigest()[:SLUG_HASH_CHARS]
    return f"{slug[:MAX_SLUG_CHARS].rstrip('-')}-{digest}"


def find_links(text: str) -> list[str]:
    """http(s) URLs in text, in order, without the punctuation that closes the sentence."""
    links = []
    for match in _URL_RE.finditer(text):
        url = _trim_url(match.group())
        if len(url) > len("https://"):
            links.append(url)
    return links


def _trim_url(url: str) -> str:
    """Cut at the first unbalanced ')' and drop trailing punctuation ("(see https://x.org/a).")."""
    # A ')' the URL did not open closes the text around it ("(https://x.org/a)nerf++"), while
    # balanced ones belong to it ("https://en.wikipedia.org/wiki/Mamba_(snake)").
    depth = 0
    for position, char in enumerate(url):
        if char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                url = url[:position]
                break
            depth -= 1
    return url.rstrip(_URL_TRAILING_PUNCT)


def _is_authors_line(line: str) -> bool:
    # A parenthesized line with Hangul is a Korean aside in a commentary, never authors.
    return line.startswith("(") and line.endswith(")") and not has_hangul(line)


def _is_tags_line(line: str) -> bool:
    tokens = line.split()
    return bool(tokens) and all(token.startswith("#") for token in tokens)


def _parse_authors(line: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in line[1:-1].split(",") if name.strip())


def _parse_tags(line: str) -> list[str]:
    return [tag for token in line.split() if (tag := token.lstrip("#"))]


def tag_key(tag: str) -> str:
    """The one spelling of a tag: lowercased, '_' written '-' ("Efficient_Training" and
    "efficient-training" are one tag). The original spelling is kept for display."""
    return tag.casefold().replace("_", "-")


def _looks_like_abstract(line: str) -> bool:
    # An abstract is a prose paragraph: long, or at least ending a sentence. A bare URL or a
    # short reference line ("BlendMask https://arxiv.org/abs/2001.00309") opens a commentary.
    if _BARE_URL_RE.fullmatch(line):
        return False
    return len(line) >= ABSTRACT_MIN_CHARS or _SENTENCE_END_RE.search(line) is not None


def _split_body(lines: list[str]) -> tuple[str | None, str, str]:
    """Body lines (no blanks, no tags) -> (abstract, comment_ko, comment_en)."""
    hangul = [i for i, line in enumerate(lines) if has_hangul(line)]
    lead = lines[: hangul[0]] if hangul else lines
    korean = lines[hangul[0] : hangul[-1] + 1] if hangul else []
    trail = lines[hangul[-1] + 1 :] if hangul else []
    if lead and not _looks_like_abstract(lead[0]):
        # Old posts: the opening lines are part of the author's commentary.
        korean, lead = lead + korean, []
    if trail and all(_BARE_URL_RE.fullmatch(line) for line in trail):
        # Links closing a Korean commentary; the English commentary is prose.
        korean, trail = korean + trail, []
    abstract = "\n".join(lead) if lead else None
    return abstract, "\n".join(korean), "\n".join(trail)


def _parse_day(line: str, file: str = "<text>") -> date:
    """Parse the Korean date of line 1 ("2025년 5월 21일")."""
    match = _DATE_RE.fullmatch(line.strip())
    if match is None:
        # The line itself is not echoed: reports are shown to every user, whatever the file held.
        raise ParseError(file, 1, "line 1 must be the day as 'YYYY년 M월 D일'")
    year, month, day = (int(group) for group in match.groups())
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise ParseError(file, 1, f"invalid date on line 1 ({exc})") from None


def _split_lines(text: str, file: str) -> list[str]:
    # Split on "\n" only (not str.splitlines, which also breaks on \x0b, \x1c, U+2028, ...)
    # so line numbers match what editors and `sed -n` show.
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        # Cheap length test first: a line can only exceed the byte limit if it has more
        # than a quarter as many characters (UTF-8 uses at most 4 bytes per character).
        if len(line) * 4 > MAX_LINE_BYTES and (
            len(line.encode("utf-8", "surrogatepass")) > MAX_LINE_BYTES
        ):
            raise ParseError(file, number, f"line is longer than {MAX_LINE_BYTES // 1024 // 1024} MB")
    if "\x00" in text:
        raise ParseError(file, text.count("\n", 0, text.index("\x00")) + 1, "NUL byte in text")
    surrogate = _SURROGATE_RE.search(text)
    if surrogate is not None:
        # No UTF-8 file can hold one, and the manifest and Chroma (UTF-8 both) cannot store it.
        raise ParseError(
            file, text.count("\n", 0, surrogate.start()) + 1,
            f"lone surrogate U+{ord(surrogate.group()):04X} in text (decoded from invalid UTF-8?)",
        )
    return [line.strip() for line in lines]  # also drops the "\r" of CRLF files


class _EntryBuilder:
    """Lines of one entry as they are read; `build` turns them into an Entry."""

    def __init__(self, line: int, title: str, authors: tuple[str, ...]):
        self.line = line
        self.title = title
        self.authors = authors
        self.body: list[str] = []
        self.tags: list[str] = []
        self.tags_line = 0  # line of the tags line, 0 while none was read

    def build(self, day: date, file: str, entry_id: str) -> Entry:
        abstract, comment_ko, comment_en = _split_body(self.body)
        texts = [abstract or "", comment_ko, comment_en]
        links = tuple(dict.fromkeys(url for text in texts for url in find_links(text)))
        spelled: dict[str, str] = {}  # one spelling -> the first way the file writes it
        for tag in self.tags:
            spelled.setdefault(tag_key(tag), tag)
        return Entry(
            id=entry_id,
            day=day,
            title=self.title,
            authors=self.authors,
            abstract=abstract,
            comment_ko=comment_ko,
            comment_en=comment_en,
            tags=tuple(spelled),
            links=links,
            source=Source(file=file, line=self.line),
            tag_labels=tuple(spelled.values()),
        )


def parse_day_text(text: str, file: str = "<text>") -> list[Entry]:
    """Parse the text of one day file into its entries; raises ParseError with file:line."""
    text = text.removeprefix("\ufeff")
    lines = _split_lines(text, file)
    day = _parse_day(lines[0], file)
    builders: list[_EntryBuilder] = []
    current: _EntryBuilder | None = None
    index = 1
    while index < len(lines):
        line = lines[index]
        number = index + 1
        starts_entry = (
            line
            and not _is_tags_line(line)
            # An authors-like line never is a title: "(A)\n(B)" is a missing title, not an entry.
            and not _is_authors_line(line)
            and index + 1 < len(lines)
            and _is_authors_line(lines[index + 1])
        )
        if starts_entry:
            if len(builders) == MAX_ENTRIES_PER_DAY:
                raise ParseError(
                    file, number, f"more than {MAX_ENTRIES_PER_DAY:,} entries in one day: not a digest day file"
                )
            current = _EntryBuilder(number, line, _parse_authors(lines[index + 1]))
            builders.append(current)
            index += 2
            continue
        index += 1
        if not line:
            continue
        if current is None:
            raise ParseError(
                file, number, "text before the first entry (a title line followed by an '(authors)' line)"
            )
        if _is_tags_line(line):
            current.tags.extend(_parse_tags(line))
            current.tags_line = current.tags_line or number
        elif current.tags_line:
            raise ParseError(
                file,
                number,
                f"text after the tags line (line {current.tags_line}) of the entry at line {current.line} "
                "does not start an entry: a title line must be followed by an '(authors)' line",
            )
        else:
            current.body.append(line)

    seen: Counter[str] = Counter()
    entries = []
    for builder in builders:
        slug = _title_slug(builder.title)
        seen[slug] += 1
        entry_id = f"{day.isoformat()}/{slug}"
        if seen[slug] > 1:
            entry_id += f"~{seen[slug]}"
        entries.append(builder.build(day, file, entry_id))
    return entries


def _read_bounded(path: Path) -> bytes:
    """Read at most MAX_FILE_BYTES (+1 to detect overflow) so a huge file costs nothing."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ParseError(str(path), 0, f"file is larger than {MAX_FILE_BYTES // 1024 // 1024} MB")
    with path.open("rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    # The file can grow between stat and read, or be a special file with size 0.
    if len(data) > MAX_FILE_BYTES:
        raise ParseError(str(path), 0, f"file is larger than {MAX_FILE_BYTES // 1024 // 1024} MB")
    return data


def parse_day_file(path: Path) -> list[Entry]:
    """Parse one UTF-8 day file; ParseError names the file and line of the problem."""
    path = Path(path)
    file = str(path)
    data = _read_bounded(path)
    nul = data.find(b"\x00")
    if nul != -1:
        raise ParseError(file, data.count(b"\n", 0, nul) + 1, "NUL byte in file (binary, or not UTF-8)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ParseError(file, line, f"invalid UTF-8 (byte {exc.start}: {exc.reason})") from None
    return parse_day_text(text, file)

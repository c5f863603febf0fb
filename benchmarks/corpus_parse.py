"""A small stand-alone day-file parser for the eval-set scripts (README "Day file format").

Deliberately independent of rag/ so the frozen sets are derived blind to the code under test.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")
KDATE = re.compile(r"^\s*(\d{4})년\s*(\d{1,2})월\s*(\d{1,2})일\s*$")


@dataclass
class E:
    day: str
    title: str
    authors: list[str]
    abstract: str = ""
    ko: list[str] = field(default_factory=list)
    en: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    file: str = ""

    @property
    def text(self) -> str:
        return "\n".join([self.title, self.abstract, *self.ko, *self.en])


def _is_authors(line: str) -> bool:
    s = line.strip()
    return s.startswith("(") and s.endswith(")") and not HANGUL.search(s)


def _is_tags(line: str) -> bool:
    """A tags line: only '#word' tokens. A title may itself start with '#' ('#InsTag: ...')."""
    return bool(re.fullmatch(r"(#\S*\s*)+", line.strip()))


def parse_day(path: Path) -> list[E]:
    lines = path.read_text(encoding="utf-8").splitlines()
    m = KDATE.match(lines[0]) if lines else None
    if not m:
        return []
    day = f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    out: list[E] = []
    i, n = 1, len(lines)
    cur: E | None = None
    while i < n:
        line = lines[i]
        if (line.strip() and i + 1 < n and _is_authors(lines[i + 1])
                and not _is_tags(line)):
            inner = lines[i + 1].strip()[1:-1].strip()
            cur = E(day, line.strip(), [a.strip() for a in inner.split(",") if a.strip()],
                    file=str(path))
            out.append(cur)
            i += 2
            continue
        s = line.strip()
        if cur is not None and s:
            if _is_tags(s):
                cur.tags = [t.lstrip("#") for t in s.split()]
            elif HANGUL.search(s):
                cur.ko.append(s)
            elif not cur.ko and not cur.abstract:
                cur.abstract = s
            elif not cur.ko:
                cur.abstract += " " + s
            else:
                cur.en.append(s)
        i += 1
    return out


def load(corpus: Path) -> list[E]:
    entries: list[E] = []
    for p in sorted(corpus.rglob("*.txt")):
        entries.extend(parse_day(p))
    entries.sort(key=lambda e: e.day)
    return entries


def norm_title(t: str) -> str:
    return re.sub(r"[\W_]+", "", t.casefold())

"""Who a question asks about: "papers by Albert Gu", "Albert Gu가 참여한 논문", "Chelsea Finn 연구실".

A person is named next to a cue ("by", "'s papers", "가 참여한", "연구실", "저자"), or, with no
cue, as two or more capitalized words that are the name of someone the digest lists. The name
is kept as the user wrote it (the filter matches spellings through `rag.names`); a cued name
the digest never lists is reported with the closest names it does list, instead of being
searched as a topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from rag.names import Roster, name_parts

# One word of a name: capitalized (accents allowed), or an initial ("V.", "J").
_LETTERS = "A-Za-zÀ-ÖØ-öø-ÿĀ-ſ"
_WORD = rf"(?:[A-ZÀ-ÖØ-Þ][{_LETTERS}'’\-]*\.?|[A-Z]\.)"
_NAME = rf"(?P<name>{_WORD}(?:\s+(?:(?:van|von|de|der|den|da|di|del|la|le)\s+)?{_WORD}){{0,4}})"
_CUES = [
    # English: "papers by X", "authored by X", "written by X", "X's papers", "X et al."
    re.compile(rf"\b(?i:(?:(?:co-?)?authored|written|published|posted|proposed)?\s*\bby)\s+{_NAME}"),
    re.compile(rf"{_NAME}['’]s?\s+(?i:papers|entries|work|works|research|articles|lab|group|team)\b"),
    re.compile(rf"{_NAME}\s+(?i:et\s+al)\b"),
    re.compile(rf"{_NAME}\s+(?i:(?:has\s+|have\s+)?(?:co-?authored|authored|wrote|written|published))\b"),
    re.compile(rf"\b(?i:(?:authors?|co-?authors?)\s+(?:is|was|are|were|include|includes|including)?)\s*{_NAME}"),
    re.compile(rf"{_NAME}\s+(?i:(?:is|was|as)\s+(?:an?\s+|the\s+)?(?:co-?)?author)\b"),
    # Korean: "X가 참여한", "X이 저자인", "X의 논문", "X 연구실", "저자가 X인"
    re.compile(rf"{_NAME}\s*(?:이|가|께서|님이|님께서|님)?\s*(?:참여|저자|공저|쓴|작성한|발표한|제1저자)"),
    re.compile(rf"{_NAME}\s*(?:님|교수님?|박사님?)?\s*(?:의\s*)?(?:연구실|랩|연구팀|팀|그룹|논문|연구)"),
    re.compile(rf"저자(?:가|는)?\s*{_NAME}\s*(?:인|이)"),
]
# Words that start with a capital but are no names ("by Google", "by May", "by RL").
_NOT_NAMES = {
    "the", "a", "an", "this", "that", "these", "those", "which", "what", "who", "how", "when",
    "in", "on", "of", "for", "and", "or", "with", "from", "about", "llm", "llms", "rl", "ai",
    "list", "show", "find", "give", "tell", "name", "get", "see", "please", "did", "does", "do",
    "has", "have", "all", "any", "every", "papers", "entries", "paper", "entry",
}
_BARE = re.compile(rf"(?<![\w#])(?P<name>{_WORD}(?:\s+{_WORD}){{1,3}})(?![{_LETTERS}])")


@dataclass(frozen=True)
class Authors:
    """The people a question names: found in the digest's author lists, or not."""

    known: tuple[str, ...] = ()     # as the user wrote them
    unknown: tuple[str, ...] = ()   # cued names the digest never lists
    rest: str = ""                  # the question with the names and their cues taken out


def _clean(name: str) -> str:
    words = name.split()
    while words and words[0].strip(".").lower() in _NOT_NAMES:
        words = words[1:]
    while words and words[-1].strip(".").lower() in _NOT_NAMES:
        words = words[:-1]
    return " ".join(words)


def too_short(name: str) -> bool:
    """A name too short to look up: one letter, or nothing but initials."""
    parts = name_parts(name)
    return not parts or all(len(p) == 1 for p in parts)


def read_authors(text: str, roster: Roster | None) -> Authors:
    """The author names a question gives, and the question without them.

    A name typed in lower case is read next to a cue only ("papers by sebastian ruder"), from
    the text with its Latin words capitalized, and counts only when the digest lists that
    person: without a cue every pair of words of a lower-case question would be a name to
    look up.
    """
    if roster is None or not roster.size:
        return Authors(rest=text)
    found = _read(text, text, roster)
    if not found.known and not found.unknown and re.search(r"\b[a-z]", text):
        titled = re.sub(r"(?<!['’])\b[a-z]", lambda m: m[0].upper(), text)
        lowered = _read(titled, text, roster, bare=False)
        if lowered.known:
            return replace(lowered, unknown=())
    return found


def _read(text: str, original: str, roster: Roster, bare: bool = True) -> Authors:
    """Names found in `text`, cut out of `original` (the same text, perhaps cased otherwise);
    with `bare`, also capitalized names the digest lists that no cue introduces."""
    known: list[str] = []
    unknown: list[str] = []
    spans: list[tuple[int, int]] = []
    for pattern in _CUES:
        for m in pattern.finditer(text):
            name = _clean(m["name"])
            if not name or any(lo <= m.start("name") < hi for lo, hi in spans):
                continue
            if roster.rows(name) and not too_short(name):
                known.append(name)
            elif too_short(name) or len(name_parts(name)) >= 2:
                unknown.append(name)
            else:
                continue  # "by Google": one capitalized word the digest lists nobody as
            spans.append((m.start(), m.end()))
    for m in _BARE.finditer(text) if bare else ():
        name = _clean(m["name"])
        if len(name_parts(name)) >= 2 and not any(lo <= m.start() < hi for lo, hi in spans) and roster.rows(name):
            known.append(name)
            spans.append((m.start(), m.end()))
    rest = original
    for lo, hi in sorted(spans, reverse=True):
        rest = rest[:lo] + " " + rest[hi:]
    return Authors(tuple(dict.fromkeys(known)), tuple(dict.fromkeys(unknown)), " ".join(rest.split()))

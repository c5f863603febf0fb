"""People's names as the digest lists them and as users write them.

A user asks for "Christopher Re" or "Quoc Le"; the digest lists "Christopher Ré" and
"Quoc V. Le". Two spellings name the same person when their family names agree (after
transliteration to ASCII, allowing a typo's worth of difference) and their given names agree,
a bare initial standing for any name it begins; middle names and initials may be left out.
`anyascii` does the transliteration and `rapidfuzz` the fuzzy parts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from functools import cached_property, lru_cache

import numpy as np
from anyascii import anyascii
from rapidfuzz import fuzz, process

# Family names this close (rapidfuzz's ratio, 0-100) are one name with a typo or a different
# transliteration ("Schmidhuber"/"Schmidthuber"); short names must match exactly.
FAMILY_RATIO = 90
SHORT_NAME = 4
# How many asked names a roster remembers the answer for.
MEMO_NAMES = 4096
_SPLIT = re.compile(r"[\s.]+")


@lru_cache(maxsize=65536)
def name_parts(name: str) -> tuple[str, ...]:
    """A name as lowercase ASCII words: "Christopher Ré" -> ("christopher", "re"); hyphens and
    apostrophes join ("Jean-Baptiste" -> "jeanbaptiste"), periods separate initials."""
    ascii_name = re.sub(r"[-'’`]", "", anyascii(name)).casefold()
    return tuple(p for p in _SPLIT.split(re.sub(r"[^a-z.\s]", " ", ascii_name)) if p)


def _same_word(a: str, b: str) -> bool:
    if a == b:
        return True
    if min(len(a), len(b)) <= SHORT_NAME:
        return False
    return fuzz.ratio(a, b) >= FAMILY_RATIO


def _given_agree(a: str, b: str) -> bool:
    """Given names agree: the same word, or one is the other's initial. Never fuzzily: given
    names a letter apart are different people ("Jindong" and "Jingdong" Wang)."""
    if len(a) == 1 or len(b) == 1:
        return a[0] == b[0]
    return a == b


def same_person(asked: str, listed: str) -> bool:
    """Whether a name as the user wrote it names the person the digest lists."""
    a, b = name_parts(asked), name_parts(listed)
    if not a or not b or not _same_word(a[-1], b[-1]):
        return False
    if len(a) == 1:
        return True  # a family name alone
    # Given names: the shorter list agrees, in order, with the longer one's, so an initial
    # either side leaves out does not matter ("Zico Kolter" is "J. Zico Kolter", "Quoc Le" is
    # "Quoc V. Le").
    shorter, longer = sorted((a[:-1], b[:-1]), key=len)
    return bool(shorter) and _in_order(shorter, longer)


def _in_order(names: tuple[str, ...], within: tuple[str, ...]) -> bool:
    """Whether the names agree, in order, with given names of `within`, the ones passed over
    being initials only ("Xiang Li" is not "Xiang Lisa Li": a full middle name is a different
    person more often than a left-out one)."""
    position = 0
    for name in names:
        while position < len(within) and not _given_agree(name, within[position]):
            if len(within[position]) > 1:
                return False
            position += 1
        if position == len(within):
            return False
        position += 1
    return all(len(rest) == 1 for rest in within[position:])


class Roster:
    """Every author of a list of entries, for finding whose papers a name means.

    Made once per committed index state, and built on first use (family name -> the
    spellings listed with it; per spelling the positions, rows, of the entries that list it):
    most questions name nobody, and building reads every author of the digest (0.1 s at 4k).
    """

    def __init__(self, authors_per_row: Sequence[Iterable[str]]) -> None:
        self.size = len(authors_per_row)
        self._authors = authors_per_row
        self._spellings: dict[str, list[str]] = {}  # asked name -> its spellings (every question reads names)

    @cached_property
    def rows_of(self) -> dict[str, list[int]]:
        """Each listed spelling -> the rows of the entries that list it."""
        rows_of: dict[str, list[int]] = {}
        for row, authors in enumerate(self._authors):
            for name in authors:
                if name_parts(name):
                    rows_of.setdefault(name, []).append(row)
        return rows_of

    @cached_property
    def by_family(self) -> dict[str, list[str]]:
        """Each family name -> the spellings listed with it."""
        by_family: dict[str, list[str]] = {}
        for name in self.rows_of:
            by_family.setdefault(name_parts(name)[-1], []).append(name)
        return by_family

    @cached_property
    def families_by_length(self) -> dict[int, list[str]]:
        """The family names by their length (see _families_near)."""
        by_length: dict[int, list[str]] = {}
        for family in self.by_family:
            by_length.setdefault(len(family), []).append(family)
        return by_length

    def spellings(self, asked: str) -> list[str]:
        """The listed names the asked name means (every spelling of that person)."""
        if asked not in self._spellings:
            if len(self._spellings) >= MEMO_NAMES:  # bounded: an app reads names for months
                self._spellings.clear()
            parts = name_parts(asked)
            keys = self._families_near(parts[-1]) if parts else []
            self._spellings[asked] = [
                name for key in keys for name in self.by_family.get(key, ()) if same_person(asked, name)
            ]
        return self._spellings[asked]

    def _families_near(self, family: str) -> list[str]:
        """The listed family names within FAMILY_RATIO of this one (itself only, when short).

        rapidfuzz's ratio is 200 * common / (len a + len b), so a name much shorter or longer
        cannot reach the cutoff: only names of lengths in that band are compared (the same
        result as comparing all, in a fraction of the time: every question is read for names).
        """
        if len(family) <= SHORT_NAME:
            return [family]
        low = math.ceil(len(family) * FAMILY_RATIO / (200 - FAMILY_RATIO))
        high = math.floor(len(family) * (200 - FAMILY_RATIO) / FAMILY_RATIO)
        near = [key for length in range(low, high + 1) for key in self.families_by_length.get(length, ())]
        found = process.extract(family, near, scorer=fuzz.ratio, score_cutoff=FAMILY_RATIO, limit=None)
        return [key for key, _, _ in found]

    def rows(self, asked: str) -> list[int]:
        """Rows of the entries listing the person the name means, in row order."""
        return sorted({row for name in self.spellings(asked) for row in self.rows_of[name]})

    def mask(self, names: Iterable[str]) -> np.ndarray:
        """Boolean mask over the rows: entries listing any of these people."""
        rows = np.zeros(self.size, dtype=bool)
        for name in names:
            rows[self.rows(name)] = True
        return rows

    def closest(self, asked: str, limit: int = 3) -> list[str]:
        """The listed names nearest to one the digest does not list."""
        names = list(self.rows_of)
        wanted = " ".join(name_parts(asked))
        found = process.extract(wanted, [" ".join(name_parts(n)) for n in names], scorer=fuzz.WRatio, limit=limit)
        return [names[i] for _, _, i in found]

    def count(self, name: str) -> int:
        """How many entries list this exact spelling."""
        return len(self.rows_of.get(name, ()))

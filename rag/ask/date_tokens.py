"""A question cut into the tokens the date grammar reads: words, numbers, signs, phrases of several
words ("new year's eve"), and Hangul words split into their date pieces ("지난달에": 지난, 달)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.ask import date_words as words


@dataclass(frozen=True)
class Token:
    text: str  # lower-cased with ’ as ', a Korean piece, or a phrase ("new year's eve")
    start: int  # where it stands in the question
    end: int
    glued: bool  # nothing between it and the token before ("5월", "Q3", "mid-May")
    number: int | None = None  # a number's value ("21st": 21, "'24": 2024)


def is_hangul(word: str) -> bool:
    """Whether a word starts with a Hangul syllable."""
    return "가" <= word[:1] <= "힣"


_PHRASES = "|".join(
    phrase.replace("'", "['’]").replace(" ", r"\s+")
    for phrase in sorted(words.PHRASES, key=len, reverse=True)
)
_TOKEN = re.compile(
    rf"(?i:{_PHRASES})(?![A-Za-z])"  # a phrase
    r"|['’]\d\d(?!\d)"  # a two-digit year: '24
    r"|\d+(?:(?:st|nd|rd|th)(?![A-Za-z]))?"  # a number, maybe ordinal: 21st
    r"|[A-Za-z]+(?:['’]s(?![A-Za-z]))?"  # an English word, maybe possessive
    r"|[가-힣]+"  # a Hangul word
    r"|\S"  # any other sign
)
TABLES = (
    words.MONTHS, words.SEASONS, words.HOLIDAYS, words.PARTS, words.SEASON_PREFIXES, words.HALVES,
    words.ORDINALS, words.NUMBERS, words.UNITS, words.COUNTED, words.RELATIVE, words.RELATIVE_UNITS,
    words.RELATIVE_YEARS, words.RECENT, words.LATEST, words.LATEST_NOUNS, words.OPEN_BEFORE,
    words.OPEN_AFTER, words.SPAN_TO, words.AND, words.KO_QUIET, words.KO_OTHER,
)  # fmt: skip
KNOWN_WORDS = {word for table in TABLES for word in table}
_KOREAN_PIECE = re.compile(
    "|".join(
        sorted(
            (re.escape(word) for word in KNOWN_WORDS if is_hangul(word) and " " not in word),
            key=len,
            reverse=True,
        )
    )
)


def tokenize(text: str) -> list[Token]:
    """The question's tokens; a Hangul word is its date pieces when it is made of them, else one
    word ("주요"; and "가설을": a particle only ever ends a word)."""
    tokens: list[Token] = []
    for match in _TOKEN.finditer(text):
        start = match.start()
        glued = start > 0 and not text[start - 1].isspace()
        pieces = _korean_pieces(text, match[0], start)
        if pieces is not None:
            tokens += _piece_tokens(pieces, start, glued)
        else:
            tokens.append(
                Token(_normalized(match[0]), start, match.end(), glued, _number(match[0]))
            )
    return tokens


def _korean_pieces(text: str, word: str, start: int) -> list[str] | None:
    """The date pieces a Hangul word is made of, None when it is not made of them only or starts
    with a particle that stands alone ("에 대한")."""
    if not is_hangul(word):
        return None
    pieces = [piece[0] for piece in _KOREAN_PIECE.finditer(word)]
    if sum(map(len, pieces)) != len(word):
        return None
    particle_alone = pieces[0] in words.KO_QUIET and not (start and text[start - 1].isalnum())
    return None if particle_alone else pieces


def _piece_tokens(pieces: list[str], start: int, glued: bool) -> list[Token]:
    """One token per piece but the particles ("5월에" is 5월), each glued to the one before."""
    tokens = []
    for position, piece in enumerate(pieces):
        if piece not in words.KO_QUIET:
            tokens.append(Token(piece, start, start + len(piece), glued or position > 0))
        start += len(piece)
    return tokens


def _normalized(raw: str) -> str:
    return " ".join(raw.lower().replace("’", "'").split())


def _number(raw: str) -> int | None:
    """A number's value: "21st" is 21, "'24" is 2024; None for a word."""
    if raw[0] in "'’" and len(raw) > 1:
        return 2000 + int(raw[1:])
    return int(raw.rstrip("stndrh")) if raw[0].isdigit() else None


@dataclass(frozen=True)
class Count:
    """A number of days, weeks, months or years, read up to token `end`."""

    number: int
    unit: str
    end: int


class TokenCursor:
    """Reading a question's tokens by position; out of range is the empty word."""

    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)

    def word(self, j: int) -> str:
        return self.tokens[j].text if 0 <= j < len(self.tokens) else ""

    def number(self, j: int) -> int | None:
        return self.tokens[j].number if 0 <= j < len(self.tokens) else None

    def glued(self, j: int) -> bool:
        """Whether token j exists and nothing stands between it and the token before."""
        return j < len(self.tokens) and self.tokens[j].glued

    def skip(self, j: int, skipped: tuple[str, ...] = ("the",)) -> int:
        """The first token from j that is not one of the skipped words."""
        while self.word(j) in skipped:
            j += 1
        return j

    def touches(self, j: int, chars: str, after: bool = False) -> bool:
        """Whether a letter, a digit or one of `chars` is right before (after) token j, as in
        "gpt-4o-2024-05-13"."""
        position = self.tokens[j].end if after else self.tokens[j].start - 1
        char = self.text[position : position + 1] if position >= 0 else ""
        return char.isascii() and char.isalnum() or bool(char) and char in chars

    def cued(self, j: int, the: bool = True) -> bool:
        """Whether a word before token j makes it a date ("in May", "since the spring"; "of the
        2027 rules": no, `the` False)."""
        before = j - 1 - (the and self.word(j - 1) == "the")
        return self.word(before) in words.CUES

    def is_year(self, k: int) -> bool:
        """A written year: 2024 or '24, not "2048 tokens"."""
        text, number = self.word(k), self.number(k)
        written = text.isdigit() and len(text) == 4 or text[:1] == "'"
        return bool(
            number
            and 1900 <= number <= 2099
            and written
            and self.word(k + 1) not in words.COUNT_NOUNS
        )

    def day_of_month(self, j: int) -> int | None:
        """A day of a month: not "GPT-4 May" or "Qwen 2.5 May", not "20 tokens"."""
        number, text = self.number(j), self.word(j)
        if not number or not 1 <= number <= 31 or not text[0].isdigit():
            return None
        if len(text.rstrip("stndrh")) > 2 or self.touches(j, ".-"):
            return None
        return number if self.word(j + 1) not in words.COUNT_NOUNS else None

    def count(self, j: int) -> Count | None:
        """A number of days, weeks, months or years: "10 days", "a couple of months", "3개월", "이틀"."""
        if self.word(j) in words.COUNTED:
            return Count(*words.COUNTED[self.word(j)], j + 1)
        j += self.word(j) == "a" and self.word(j + 1) in ("few", "couple")
        text, unit_at = self.word(j), self.skip(j + 1, ("of",))
        number = int(text) if text.isdigit() else words.NUMBERS.get(text)
        if number is None or self.word(unit_at) not in words.UNITS:
            return None
        return Count(number, words.UNITS[self.word(unit_at)], unit_at + 1)

"""Text conventions shared by parsing, indexing and answering: Hangul, titles, sentences, [n].

Each is defined once here: the parser, the tokenizer, the question reader and the answer
writers must agree on what counts as Korean, when two titles are the same, where a sentence
ends and what a citation marker looks like.
"""

from __future__ import annotations

import re
import unicodedata

# Hangul syllables, Jamo, compatibility Jamo, Jamo extended A and B.
HANGUL = re.compile("[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\ud7b0-\ud7ff]")
# A citation marker in an answer's text: [1] .. [999].
MARKER = re.compile(r"\[(\d{1,3})\]")
_NON_WORD = re.compile(r"\W+")
# Korean sentences often end "...군요." with no space before the next one; the period stays.
_SENTENCE_END = re.compile(r"(?<=[.!?。])\s+|(?<=[다요죠음함됨군네]\.)\s*|\n+")


def has_hangul(text: str) -> bool:
    """True when text contains a Hangul character."""
    return HANGUL.search(text) is not None


def normalize_title(title: str) -> str:
    """Casefold, NFKC, collapse non-word characters to single spaces, strip."""
    # NFKC again after casefold: casefolding can produce sequences NFKC would fold further.
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", title).casefold())
    return _NON_WORD.sub(" ", folded).strip()


def split_sentences(text: str) -> list[str]:
    """Split Korean or English prose into sentences (good enough to pack windows and quote)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]

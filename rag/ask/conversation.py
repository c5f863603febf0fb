"""The conversation so far, read from any history format, and what a follow-up points at.

`answer()` and the app take the history as Gradio messages (`{"role", "content"}`, the content
a string, Gradio 6's list of `{"type": "text", "text"}` parts, or an `Answer`) or as
`(user, assistant)` pairs. The last answer's entries, in the order of their [n], are part of
the conversation and travel as data: the `Answer` itself, or an assistant message dict with
`"citations"` (entry ids in [n] order, or the citation objects the MCP `answer` tool returned).
Only a plain-text history from another client falls back to resolving each [n] by the title
written next to it. Then "the second one", "그 중에 GRPO 다룬 건?" or "what did the author think
of it?" resolve to entries without a language model.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rag.model import Entry
from rag.text import MARKER, normalize_title

History = Sequence[Any]

_TAGS = re.compile(r"</?a\b[^>]*>")  # the links an HTML answer wraps its [n] in
_ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")

_FOLLOW_UP = re.compile(
    r"^(and|also|what about|how about|then|so)\b|\b(it|its|it's|this|that|these|those|they|them|their|"
    r"the (paper|entry|author|first|second|third|last|former|latter)|same)\b|"
    r"^(그리고|그럼|그러면)|그\s*중|그중|그\s*논문|이\s*논문|그것|그게|거기|저자는|첫\s*번째|두\s*번째|위의|앞의|해당",
    re.I,
)

# "the second one", "the 2nd paper", "number 3", "#2", "두 번째", "3번", "마지막 논문": one entry
# of the last answer. Bare "first"/"last" count only before a noun for an entry ("the first
# half of 2024" is a date, "the last week" too).
_EN_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "last": -1, "former": 1, "latter": -1,
}
_KO_ORDINALS = {"첫": 1, "두": 2, "세": 3, "네": 4, "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8, "아홉": 9, "열": 10,
                "첫째": 1, "둘째": 2, "셋째": 3, "넷째": 4, "마지막": -1}
_ENTRY_NOUN_EN = r"(?:one|paper|entry|item|result|article|study|work)"
_ORDINAL = re.compile(
    rf"\bthe\s+(?P<en>{'|'.join(_EN_ORDINALS)})\s+{_ENTRY_NOUN_EN}\b"
    rf"|\bthe\s+(?P<en_num>\d{{1,2}})(?:st|nd|rd|th)\s+{_ENTRY_NOUN_EN}\b"
    rf"|\bthe\s+(?P<en_bare>former|latter)\b"
    r"|\b(?:number|no\.|#)\s*(?P<num>\d{1,2})\b|\[(?P<marker>\d{1,2})\](?!\()"
    rf"|(?P<ko>{'|'.join(sorted(_KO_ORDINALS, key=len, reverse=True))})\s*(?:번\s*째|번째)?\s*(?:논문|항목|것|거|연구|건)"
    r"|(?P<ko_word>첫|두|세|네|다섯|여섯|일곱|여덟|아홉|열)\s*번\s*째(?!\s*주)"
    r"|(?P<ko_num>\d{1,2})\s*번(?:\s*째)?(?!\s*째?\s*주)(?:\s*(?:논문|항목|것|거|연구|건))?",
    re.I,
)
# "among them", "which of those", "그 중에", "이 가운데": search only the last answer's entries.
_WITHIN = re.compile(
    r"\b(?:among|between|of|from|in)\s+(?:them|those|these|the above|those papers|these papers|those entries|these entries)\b"
    r"|\b(?:which|any|one|none|each|all|both)\s+of\s+(?:them|those|these)\b"
    r"|(?:(?:그|이|위|앞)\s*(?:논문들?|항목들?|것들|목록)?\s*|그것들\s*)(?:중|가운데)(?:에서는|에서|에는|에|엔)?|여기서",
    re.I,
)
# "it", "that paper", "그 논문", "the author": the one entry the last answer was about.
_THAT_ONE = re.compile(
    r"\b(?:it|its|it's|this paper|that paper|the paper|this one|that one|this entry|that entry|the author|the authors)\b"
    r"|(?:그|이|해당)\s*논문|그것|그거|그게|저자|작성자",
    re.I,
)
# "the most recent of them", "그 중에 가장 최근 것은?": which end of the days is asked for.
_NEWEST = re.compile(r"\b(?:most recent|latest|newest)\b|가장\s*최근|최신|제일\s*최근", re.I)
_OLDEST = re.compile(r"\b(?:oldest|earliest)\b|가장\s*(?:오래된|먼저|이른)|제일\s*오래된", re.I)


@dataclass(frozen=True)
class Conversation:
    """The history as the answer pipeline needs it."""

    questions: tuple[str, ...] = ()    # earlier user questions, oldest first
    entries: tuple[Entry, ...] = ()    # the last answer's entries, in the order of their [n]
    last_text: str = ""                # the last answer's text, as plain text


@dataclass(frozen=True)
class FollowUp:
    """What a question means in its conversation.

    `question` is what to search for. `entries` (when set) are the only entries to search:
    the last answer's, or the one a question points at. `pinned` means the question is about
    those very entries ("what did the author think of the second one?"): it is answered from
    them even when its words match little. `order` is "newest" or "oldest" when the question
    asks for one end of them.
    """

    question: str
    entries: tuple[Entry, ...] = ()
    pinned: bool = False
    order: str = ""
    carried: bool = False  # the earlier question was prepended to make this one standalone
    state: Conversation = field(default_factory=Conversation)


def message_text(content: object) -> str:
    """The text of one message's content: a string, Gradio 6 parts, a dict, or an Answer."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or "") if content.get("type", "text") == "text" else ""
    if isinstance(content, (list, tuple)):
        return "\n".join(t for t in (message_text(part) for part in content) if t)
    text = getattr(content, "text", None)  # an Answer
    return text if isinstance(text, str) else ""


_MD_ESCAPE = re.compile(r"\\([\\`*_\[\]<>~|&#+\-=.!(){}])")


def _plain(text: str) -> str:
    """Markup an answer may come wrapped in taken off: HTML tags and entities, and the
    backslash escapes of the app's Markdown ("X\\_y" is "X_y")."""
    return _MD_ESCAPE.sub(r"\1", html.unescape(_TAGS.sub("", text)))


def _turns(history: History) -> list[tuple[str, object]]:
    """(role, content) of every turn, oldest first, whatever the format. An assistant message
    dict that carries "citations" is kept whole: its entries are data."""
    out: list[tuple[str, object]] = []
    for turn in history or ():
        if isinstance(turn, dict):
            role = turn.get("role")
            if role == "assistant" and turn.get("citations") is not None:
                out.append((role, turn))
            elif role in ("user", "assistant"):
                out.append((role, turn.get("content")))
        elif isinstance(turn, (tuple, list)) and len(turn) == 2:
            user, assistant = turn
            if user is not None:
                out.append(("user", user))
            if assistant is not None:
                out.append(("assistant", assistant))
    return out


def entries_by_marker(text: str, by_day: Mapping[date, Sequence[Entry]]) -> list[Entry]:
    """The entries an answer's text cites, in the order of their [n], found by the title
    written before each [n] (on its line, after the previous marker).

    A day written near the title narrows the titles to look for; else every entry's title is.
    """
    found: dict[int, Entry] = {}
    for line in _plain(text).splitlines():
        start = 0
        for m in MARKER.finditer(line):
            n = int(m[1])
            segment = line[start : m.start()]
            start = m.end()
            if n in found:
                continue
            entry = _named_in(segment, by_day) or _named_in(line, by_day)
            if entry is not None:
                found[n] = entry
    return [found[n] for n in sorted(found)]


def _named_in(segment: str, by_day: Mapping[date, Sequence[Entry]]) -> Entry | None:
    """The entry whose title the segment holds (the longest such title), if any."""
    norm = f" {normalize_title(segment)} "
    if len(norm) < 4:
        return None
    days = []
    for m in _ISO_DAY.finditer(segment):
        try:
            days.append(date(int(m[1]), int(m[2]), int(m[3])))
        except ValueError:
            continue
    pools: Iterable[Sequence[Entry]] = [by_day.get(d, ()) for d in days] if days else by_day.values()
    best: Entry | None = None
    best_len = 0
    for pool in pools:
        for entry in pool:
            title = normalize_title(entry.title)
            if len(title) > best_len and f" {title} " in norm:
                best, best_len = entry, len(title)
    return best


def cited_ids(citations: Iterable[Any]) -> list[str]:
    """Entry ids in [n] order from what a client sends back as an answer's citations: ids, or
    citation objects (`{"n", "id"}`, `{"n", "entry": {"id"}}`, a `Citation`)."""
    numbered: list[tuple[int, str]] = []
    for position, item in enumerate(citations):
        if isinstance(item, str):
            numbered.append((position + 1, item))
            continue
        get = item.get if isinstance(item, dict) else lambda key, obj=item: getattr(obj, key, None)
        entry = get("entry")
        eid = get("id") or (entry.get("id") if isinstance(entry, dict) else getattr(entry, "id", None))
        n = get("n")
        if isinstance(eid, str):
            numbered.append((n if isinstance(n, int) else position + 1, eid))
    return [eid for _, eid in sorted(numbered, key=lambda pair: pair[0])]


def _answer_entries(content: object, entries: Mapping[str, Entry]) -> tuple[Entry, ...] | None:
    """The entries of an assistant turn given as data (an Answer, or a dict with "citations"),
    or None when the turn is only text."""
    if isinstance(content, dict):
        ids = cited_ids(content["citations"])
        return tuple(entries[eid] for eid in ids if eid in entries)
    citations = getattr(content, "citations", None)
    if citations is None:
        return None
    return tuple(c.entry for c in sorted(citations, key=lambda c: c.n))


def read_history(
    history: History | None, by_day: Mapping[date, Sequence[Entry]], entries: Mapping[str, Entry] | None = None,
) -> Conversation:
    """The earlier questions and the last answer's entries, from any history format.

    `entries` (id -> Entry) resolves the ids an assistant turn carries; without it they are
    looked up among `by_day`'s entries.
    """
    if entries is None:
        entries = {e.id: e for pool in by_day.values() for e in pool}
    questions: list[str] = []
    cited: tuple[Entry, ...] = ()
    last_text = ""
    for role, content in _turns(history or ()):
        if role == "user":
            text = message_text(content).strip()
            if text:
                questions.append(text)
            continue
        given = _answer_entries(content, entries)
        body = content.get("content") if isinstance(content, dict) else content
        last_text = _plain(message_text(body))
        # Data when the client sent it; the titles beside each [n] only for plain text.
        cited = given if given is not None else tuple(entries_by_marker(last_text, by_day))
    return Conversation(questions=tuple(questions), entries=cited, last_text=last_text)


def is_follow_up(question: str) -> bool:
    """Whether a question leans on an earlier one (pronouns, "그 중", very short asks)."""
    return bool(_FOLLOW_UP.search(question)) or len(question.split()) <= 2


def _ordinal(m: re.Match) -> int:
    """The 1-based position (-1: the last) an ordinal match names."""
    for group, table in (("en", _EN_ORDINALS), ("en_bare", _EN_ORDINALS), ("ko", _KO_ORDINALS), ("ko_word", _KO_ORDINALS)):
        if m[group]:
            return table[m[group].lower()]
    return int(m["en_num"] or m["num"] or m["marker"] or m["ko_num"])


def _without(question: str, *patterns: re.Pattern) -> str:
    for pattern in patterns:
        question = pattern.sub(" ", question)
    return " ".join(question.split())


def read_follow_up(question: str, state: Conversation) -> FollowUp:
    """What the question points at in the conversation (rules only; no model).

    - an ordinal ("the second one", "두 번째 논문", "[3]") pins that entry of the last answer;
    - "among them" / "그 중에" searches only the last answer's entries ("the most recent of
      them" picks by day);
    - "it", "that paper", "그 논문", "the author" pin the last answer's first entry;
    - other follow-ups ("what about 2024?") carry the earlier question forward.
    """
    entries = state.entries
    if entries:
        m = _ORDINAL.search(question)
        if m:
            position = _ordinal(m)
            index = len(entries) - 1 if position == -1 else position - 1
            if 0 <= index < len(entries):
                return FollowUp(_without(question, _ORDINAL) or question, (entries[index],), pinned=True, state=state)
        order = "newest" if _NEWEST.search(question) else "oldest" if _OLDEST.search(question) else ""
        if _WITHIN.search(question) or (order and is_follow_up(question)):
            rest = _without(question, _WITHIN, _NEWEST, _OLDEST)
            return FollowUp(rest or question, entries, pinned=bool(order), order=order, state=state)
        if _THAT_ONE.search(question):
            return FollowUp(question, entries[:1], pinned=True, state=state)
    if state.questions and is_follow_up(question):
        return FollowUp(f"{state.questions[-1]} {question}", carried=True, state=state)
    return FollowUp(question, state=state)


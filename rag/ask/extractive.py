"""The offline writer: an extractive answer from the digest's own sentences, each with its [n].

No model writes here: the lead names the cited entries, and the supporting lines quote the
digest author's commentary (in the question's language where the digest has it) and the
paper's abstract, the sentences closest to the question.
"""

from __future__ import annotations

import calendar
import re

import numpy as np

from rag.ask.authors import too_short
from rag.ask.prepare import COMPARISON, LIST, MANY, Prepared, cited_hits, commentary
from rag.ask.topics import Membership
from rag.index.reader import Index
from rag.model import Entry, Filters, Hit
from rag.text import split_sentences

# "(https://..., https://...)": references the source card already links; noise in a quote.
_URL_LIST = re.compile(r"\(\s*https?://[^()]*\)")
REASON_CHARS = 200

_PHRASES = {
    "en": {
        "lead_one": 'The digest covers this in "{title}" ({day}) [{n}].',
        "lead_pinned": '"{title}" ({day}) [{n}]:',
        "lead_many": "The digest has {count} relevant entries: {items}.",
        "many_head": "The digest has {count} entries on this{where}, most relevant first:",
        "author": "The digest's author: ",
        "paper": "The paper: ",
        "list_head": "{count} entries match (newest first{more}):",
        "list_more": ", showing the first {shown}",
        "none": "No entries in the digest match those filters.",
        "abstain": "The digest does not seem to cover this.",
        "closest": "Closest in the digest: {items}.",
        "elsewhere": 'Not in {where}; the digest covers it on {day} in "{title}" [{n}].',
        "where": " in {where}",
        "members": "{count} entries discuss {phrase}{where} ({order}{more}):",
        "members_more": ", showing the first {shown} of {count}",
        "tag_rest": "{rest} more #{tag} entries{where} do not.",
        "newest": "newest first",
        "relevance": "most relevant first",
        "members_elsewhere": "None in {where}; the digest covers {phrase} from {first} in {count} entries ({order}{more}):",
        "family": "{count} entries fit the description{where}:",
        "no_author": "The digest lists no entries by {names}.",
        "closest_names": "Closest names it lists: {names}.",
        "short_name": "\"{name}\" is too short to find an author by; write the full name (\"Albert Gu\").",
    },
    "ko": {
        "lead_one": '다이제스트에서는 {day}의 "{title}" [{n}]에서 다룹니다.',
        "lead_pinned": '{day}의 "{title}" [{n}]:',
        "lead_many": "다이제스트에서 관련 항목 {count}개를 찾았습니다: {items}.",
        "many_head": "다이제스트에{where} 관련 항목이 {count}개 있습니다 (관련도 순):",
        "author": "다이제스트 작성자: ",
        "paper": "논문 초록: ",
        "list_head": "조건에 맞는 항목이 {count}개 있습니다 (최신순{more}):",
        "list_more": ", 처음 {shown}개 표시",
        "none": "그 조건에 맞는 다이제스트 항목이 없습니다.",
        "abstain": "다이제스트에서 이 질문을 다룬 항목을 찾지 못했습니다.",
        "closest": "다이제스트에서 가장 가까운 항목: {items}.",
        "elsewhere": '{where}에는 없습니다. 다이제스트에서는 {day}의 "{title}" [{n}]에서 다룹니다.',
        "where": " {where} 기간에",
        "members": "다이제스트에{where} '{phrase}'을(를) 다룬 항목은 {count}개입니다 ({order}{more}):",
        "members_more": ", {count}개 중 처음 {shown}개 표시",
        "tag_rest": "#{tag} 항목 중 나머지 {rest}개는 이 주제를 다루지 않습니다.",
        "newest": "최신순",
        "relevance": "관련도 순",
        "members_elsewhere": "{where}에는 없습니다. 다이제스트는 '{phrase}'을(를) {first}부터 {count}개 항목에서 다룹니다 ({order}{more}):",
        "family": "설명에 맞는 항목이{where} {count}개 있습니다:",
        "no_author": "다이제스트에는 {names}의 항목이 없습니다.",
        "closest_names": "다이제스트에 있는 가장 가까운 이름: {names}.",
        "short_name": "\"{name}\"은(는) 저자를 찾기에 너무 짧습니다. 전체 이름을 적어 주세요 (\"Albert Gu\").",
    },
}


def describe_filters(filters: Filters) -> str:
    """Days and tags as people write them: "2024", "2024-05", "2024-01-01 – 2024-06-30", "#rl"."""
    parts = [_describe_range(lo, hi) for lo, hi in filters.days]
    parts += ["#" + t for t in dict.fromkeys(filters.tags)]
    return ", ".join(parts)


def _describe_range(lo, hi) -> str:
    if lo == hi:
        return lo.isoformat()
    last_day = calendar.monthrange(hi.year, hi.month)[1]
    if lo.year == hi.year and (lo.month, lo.day, hi.month, hi.day) == (1, 1, 12, 31):
        return str(lo.year)
    if (lo.year, lo.month) == (hi.year, hi.month) and lo.day == 1 and hi.day == last_day:
        return f"{lo.year}-{lo.month:02d}"
    return f"{lo.isoformat()} – {hi.isoformat()}"


def _entry_ref(entry: Entry, n: int) -> str:
    return f'"{entry.title}" ({entry.day.isoformat()}) [{n}]'


def _best_sentences(index: Index, query_vec: np.ndarray, texts: list[str], limit: int) -> list[str]:
    """The sentences closest to the question, in their original order, no repeats."""
    cleaned = (_URL_LIST.sub("", s).strip() for t in texts for s in split_sentences(t))
    sentences = list(dict.fromkeys(s for s in cleaned if len(s) > 15))
    if len(sentences) <= limit:
        return sentences
    vecs = np.asarray(index.embedder.embed_documents(sentences))
    best = sorted(np.argsort(-(vecs @ query_vec))[:limit])
    return [sentences[i] for i in best]


def _support(index: Index, query_vec: np.ndarray, entry: Entry, lang: str) -> list[tuple[str, str]]:
    """(label, text) lines that support an answer from one entry, in the question's language."""
    comment = commentary(entry, lang)
    out = []
    if comment:
        out.append(("author", " ".join(_best_sentences(index, query_vec, [comment], 2))))
    if entry.abstract and (lang == "en" or not entry.comment_ko):
        out.append(("paper", " ".join(_best_sentences(index, query_vec, [entry.abstract], 1))))
    return out


def reason(entry: Entry, lang: str) -> str:
    """One line on why an entry is listed: the digest author's first sentence on it (or the
    abstract's), cut to REASON_CHARS."""
    sentences = split_sentences(_URL_LIST.sub("", commentary(entry, lang) or entry.abstract or ""))
    line = sentences[0] if sentences else ""
    return line if len(line) <= REASON_CHARS else line[: REASON_CHARS - 1].rstrip() + "…"


def abstention_text(prep: Prepared) -> str:
    """"The digest does not cover this", in the question's language, with the nearest entries."""
    p = _PHRASES[prep.lang]
    items = ", ".join(_entry_ref(h.entry, n) for n, h in enumerate(prep.hits[:3], 1))
    return p["abstain"] + ("\n" + p["closest"].format(items=items) if items else "")


def unknown_authors_text(prep: Prepared) -> str:
    """"No entries by X; closest names: ...", or why a name is too short to look up."""
    p = _PHRASES[prep.lang]
    short = [n for n in prep.unknown_authors if too_short(n)]
    if short:
        return p["short_name"].format(name=short[0])
    lines = [p["no_author"].format(names=", ".join(prep.unknown_authors))]
    if prep.closest_names:
        lines.append(p["closest_names"].format(names=", ".join(prep.closest_names)))
    return " ".join(lines)


def _listing(prep: Prepared) -> str:
    p = _PHRASES[prep.lang]
    if not prep.hits:
        return p["none"]
    shown = cited_hits(prep)
    more = p["list_more"].format(shown=len(shown)) if len(prep.hits) > len(shown) else ""
    lines = [p["list_head"].format(count=len(prep.hits), more=more)]
    for n, hit in enumerate(shown, 1):
        tags = " ".join("#" + t for t in hit.entry.labels)
        lines.append(f"- {hit.entry.day.isoformat()} \u00b7 {hit.entry.title} [{n}] {tags}".rstrip())
    return "\n".join(lines)


def _members_head(prep: Prepared, m: Membership, chosen: list[Hit]) -> list[str]:
    """What was counted: "14 entries discuss X in 2024 (newest first):", and how many entries
    of the tag most of them carry do not ("103 more #efficiency entries do not.")."""
    p = _PHRASES[prep.lang]
    count = len(m.members)
    more = p["members_more"].format(shown=len(chosen), count=count) if count > len(chosen) else ""
    order = p["relevance" if prep.order == "relevance" else "newest"]
    phrase = m.phrase or prep.standalone
    if prep.hidden_by is not None:
        first = min(h.entry.day for h in m.members).isoformat()
        return [p["members_elsewhere"].format(where=describe_filters(prep.hidden_by), phrase=phrase, first=first,
                                              count=count, order=order, more=more)]
    where = _where(prep)
    lines = [p["members"].format(count=count, phrase=phrase, where=where, order=order, more=more)]
    if m.tag and m.tag_rest:
        lines.append(p["tag_rest"].format(rest=m.tag_rest, tag=m.tag, where=where))
    return lines


def _where(prep: Prepared) -> str:
    where = describe_filters(prep.filters) if not prep.filters.ids else ""
    return _PHRASES[prep.lang]["where"].format(where=where) if where else ""


def _many(prep: Prepared, chosen: list[Hit], number: dict[str, int]) -> str:
    """Every entry with enough evidence, each with its [n] and a one-line reason."""
    p = _PHRASES[prep.lang]
    if prep.shape == COMPARISON:
        lines = [p["family"].format(count=len(chosen), where=_where(prep))]
    elif prep.membership is not None and prep.membership.members:
        lines = _members_head(prep, prep.membership, chosen)
    else:
        lines = [p["many_head"].format(count=len(chosen), where=_where(prep))]
    for hit in chosen:
        e = hit.entry
        why = reason(e, prep.lang)
        lines.append(f"- {e.day.isoformat()} \u00b7 {e.title} [{number[e.id]}]" + (f": {why}" if why else ""))
    return "\n".join(lines)


def write_offline(index: Index, prep: Prepared) -> str:
    """Extractive answer shaped by the question: a list, the entries with enough evidence, or
    a lead naming the cited entries followed by their best sentences, each with [n]."""
    p = _PHRASES[prep.lang]
    if prep.shape == LIST:
        return _listing(prep)
    if prep.unknown_authors:
        return unknown_authors_text(prep)
    if prep.weak:
        return abstention_text(prep)
    chosen = cited_hits(prep)
    number = {h.entry.id: n for n, h in enumerate(prep.hits, 1)}
    if prep.membership is not None and prep.membership.members and (len(chosen) > 1 or prep.hidden_by):
        return _many(prep, chosen, number)
    if prep.shape == MANY and len(chosen) > 1 and prep.hidden_by is None:
        return _many(prep, chosen, number)
    first = chosen[0].entry
    if prep.hidden_by is not None:
        lines = [p["elsewhere"].format(where=describe_filters(prep.hidden_by), day=first.day.isoformat(),
                                       title=first.title, n=number[first.id])]
    elif prep.pinned:
        lines = [p["lead_pinned"].format(title=first.title, day=first.day.isoformat(), n=number[first.id])]
    elif len(chosen) == 1:
        lines = [p["lead_one"].format(title=first.title, day=first.day.isoformat(), n=number[first.id])]
    else:
        items = "; ".join(_entry_ref(h.entry, number[h.entry.id]) for h in chosen)
        lines = [p["lead_many"].format(count=len(chosen), items=items)]
    query_vec = np.asarray(index.embedder.embed_query(prep.standalone))
    for hit in chosen:
        for label, text in _support(index, query_vec, hit.entry, prep.lang):
            if text:
                lines.append(f"- {p[label]}{text} [{number[hit.entry.id]}]")
    return "\n".join(lines)

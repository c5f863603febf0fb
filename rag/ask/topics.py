""""Which papers ...": every entry the digest has on a topic, found through the digest's own tags.

A fixed top 10 holds only part of what the digest has on a topic ("which 2023 papers were
about mixture-of-experts?" has dozens), and a score threshold cannot tell a paper on the topic
from one that shares its words. The digest's author already sorted entries by topic: its
tags. So a topic question is mapped to the tags its best hits carry, when the question names
the tag ("mixture-of-experts" names #moe, "state space models" #state-space-model) or when
the tag is far more common among the best hits than in the digest around them (#augmentation
for "데이터 증강"); then every entry with those tags under the question's filters is listed,
most relevant first.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace

import numpy as np

from rag.ask.question import Understanding, match_key
from rag.index.reader import IndexView
from rag.model import Hit

TOP = 10              # the best hits whose tags are counted
NAMED_SHARE = 0.3     # a tag the question names: this share of the best hits must carry it
UNNAMED_SHARE = 0.5   # a tag it does not name: this share, and ...
MIN_LIFT = 4.0        # ... this many times its share among all entries under the filters
_WORD = re.compile(r"[a-z0-9]+")
# Words in tag names that say nothing of the topic ("autoregressive-model", "contrastive_learning").
_GENERIC = {"model", "models", "learning", "method", "methods", "network", "networks"}


def _names(topic: str) -> set[str]:
    """Every way the topic can name a tag: runs of up to four words written together (with a
    plural 's' dropped) and their initials ("mixture of experts" -> "moe")."""
    words = _WORD.findall(topic.casefold())
    out: set[str] = set()
    for n in range(1, 5):
        for i in range(len(words) - n + 1):
            run = words[i : i + n]
            joined = "".join(run)
            out.update({joined, joined[:-1] if joined.endswith("s") else joined})
            if n > 1:
                out.add("".join(w[0] for w in run))
    return out


def named_tags(topic: str, tags: Iterable[str]) -> set[str]:
    """The tags the topic's words name: written together ("in-context learning" names
    #in-context-learning), as initials ("mixture-of-experts" names #moe), or word by word
    leaving out words every kind of paper has ("autoregressive" names #autoregressive-model)."""
    names = _names(topic)
    words = {w[:-1] if w.endswith("s") else w for w in _WORD.findall(topic.casefold())}
    out = set()
    for tag in tags:
        own = [w for w in _WORD.findall(tag.casefold()) if w not in _GENERIC]
        if len(match_key(tag)) >= 2 and (match_key(tag) in names or (own and all(w in words for w in own))):
            out.add(tag)
    return out


def topic_tags(view: IndexView, u: Understanding, hits: list[Hit]) -> tuple[str, ...]:
    """The tags that stand for the question's topic, or () when none does."""
    best = hits[:TOP]
    if len(best) < 3:
        return ()
    share = Counter(t for h in best for t in set(h.entry.tags))
    named = named_tags(u.topic, share)
    chosen = [t for t in share if t in named and share[t] / len(best) >= NAMED_SHARE]
    if chosen:
        return tuple(sorted(chosen))
    admitted = view.admitted(replace(u.filters, tags=()))
    total = max(int(admitted.sum()), 1)
    for tag, count in share.most_common():
        if count / len(best) < UNNAMED_SHARE:
            break
        base = int((admitted & view.tag_rows(tag)).sum()) / total
        if count / len(best) >= MIN_LIFT * base:
            return (tag,)
    return ()


def on_topic(view: IndexView, u: Understanding, hits: list[Hit], tags: tuple[str, ...]) -> list[Hit]:
    """Every entry with the tags under the question's filters: ranked hits first, then the
    rest newest first; the other hits follow them (found, but not on the topic's tags)."""
    wanted = set(tags)
    tagged = [h for h in hits if wanted & set(h.entry.tags)]
    seen = {h.entry.id for h in hits}
    rows = np.flatnonzero(view.admitted(replace(u.filters, tags=tags)))
    rest = [view.entries[view.lexical.entry_ids[r]] for r in rows]
    rest = sorted((e for e in rest if e.id not in seen), key=lambda e: (-e.day.toordinal(), e.source.line))
    others = [h for h in hits if not wanted & set(h.entry.tags)]
    return tagged + [Hit(entry=e, score=0.0) for e in rest] + others

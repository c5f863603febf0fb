"""Following the digest: after every reindex (CLI, the app's button, the watcher) each follow
is matched against the entries new since it was last matched, with the same topic and author
membership answers use; `news` is what each follow picked up (`rag news --json`, the MCP `news`
tool, the app's opening brief and the Atom feeds all read it)."""

from __future__ import annotations

import logging
from datetime import date
from typing import TYPE_CHECKING

from rag.config import Settings
from rag.index.commit import read_committed
from rag.model import Entry
from rag.state.db import StateError, state_file
from rag.state.follows import Follow, add_follow, hits_of, list_follows, record_hits, start_run

if TYPE_CHECKING:  # the search stack loads only when someone follows something
    from rag.index.reader import Index

log = logging.getLogger(__name__)


def follow(settings: Settings, query: str, name: str | None = None, user: str = "") -> Follow:
    """Save a follow that picks up what is indexed from now on."""
    return add_follow(settings, query, name, read_committed(settings)[0].entries, user)


def _new_members(query: str, new_ids: list[str], entries: dict[str, Entry], settings: Settings) -> list[Entry]:
    """The new entries the query's membership admits, judged over the whole digest as an answer
    would (membership ranks candidates against each other, so judged among a day's few new
    entries alone, the best of them would pass whatever it is about)."""
    from rag.api import members

    admitted = {e.id for e in members(query, None, settings)}
    return [entries[i] for i in new_ids if i in admitted]


def match_follows(settings: Settings) -> dict[str, int]:
    """Match every follow against the entries new to it; returns "user/name" -> entries picked up.
    Called after each successful reindex; costs nothing when nobody follows anything."""
    if not state_file(settings).exists() or not list_follows(settings, user=None):
        return {}  # no state made yet: a reindex leaves no state folder behind
    from rag.index.reader import get_index

    index = get_index(settings)
    view = index.fresh_view()
    picked: dict[str, int] = {}
    for f, new_ids in start_run(settings, view.entries):
        found = _new_members(f.query, new_ids, view.entries, settings) if new_ids else []
        picked[f"{f.user}/{f.name}".lstrip("/")] = record_hits(settings, f.user, f.name, ((e.id, e.day) for e in found))
    if any(picked.values()):
        log.info("follows picked up: %s", ", ".join(f"{k} {v}" for k, v in picked.items() if v))
    return picked


def news_entries(settings: Settings, index: Index, user: str = "", since: date | None = None,
                 name: str | None = None) -> list[tuple[Follow, list[Entry]]]:
    """Each of a user's follows (or the one named) with the entries it picked up, newest first."""
    if not state_file(settings).exists():
        return []
    view = index.fresh_view()
    out = []
    for f in list_follows(settings, user):
        if name is None or f.name == name:
            ids = hits_of(settings, user, f.name, since)
            out.append((f, [view.entries[i] for i in ids if i in view.entries]))
    return out


def news_json(settings: Settings, index: Index, user: str = "", since: date | None = None) -> dict:
    """The `rag news --json` shape: {"follows": [{"name", "query", "entries": [entry...]}]}."""
    return {"follows": [{"name": f.name, "query": f.query, "entries": [e.to_dict() for e in entries]}
                        for f, entries in news_entries(settings, index, user, since)]}


def after_reindex(settings: Settings) -> dict[str, int]:
    """match_follows for the places a reindex completes (CLI, the app, the watcher): a state
    file that cannot be used is one logged line, and the reindex stands."""
    try:
        return match_follows(settings)
    except StateError as err:
        log.warning("follows not matched: %s", err)
        return {}

"""Follows: saved topics, authors, tags or questions, and the entries each one has picked up.

"New since last matched" is kept with match runs: every entry id gets the run that first saw
it, and each follow the last run it was matched at, so a follow is matched only against the
entries that arrived after it (a new follow starts from what is indexed when it is added).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from rag.config import Settings
from rag.state.db import connect, inserted_id, now

MAX_NAME = 80
MAX_QUERY = 500
_UNSAFE = re.compile(r"[^\w\-]+")


class FollowError(ValueError):
    """A follow that cannot be added or removed as asked (name taken or unknown, empty query)."""


@dataclass(frozen=True)
class Follow:
    """One saved follow of one user ("" is the machine's own user: the CLI, a loopback app)."""

    name: str
    query: str
    created: str
    user: str = ""


def name_for(query: str) -> str:
    """A follow's default name from its query: its words joined by '-', usable in a feed URL."""
    return _UNSAFE.sub("-", query.casefold()).strip("-")[:MAX_NAME] or "follow"


def _check(query: str, name: str | None) -> tuple[str, str]:
    query = " ".join((query or "").split())
    if not query:
        raise FollowError("the query is empty; follow a topic, an author, a #tag or a question")
    if len(query) > MAX_QUERY:
        raise FollowError(f"the query is {len(query)} characters long; the limit is {MAX_QUERY}")
    given = (name or "").strip()
    clean = name_for(given) if given else name_for(query)
    if given and clean != given:
        raise FollowError(f"the name {given!r} may hold only letters, digits, '-' and '_' (try {clean!r})")
    return query, clean


def add_follow(settings: Settings, query: str, name: str | None, known_ids: Iterable[str], user: str = "") -> Follow:
    """Save a follow; it will pick up entries indexed after `known_ids` (what is indexed now)."""
    query, name = _check(query, name)
    follow = Follow(name, query, now(), user)
    with connect(settings) as conn:
        run = _new_run(conn, known_ids)
        try:
            conn.execute("INSERT INTO follows VALUES (?, ?, ?, ?, ?)", (user, name, query, follow.created, run))
        except sqlite3.IntegrityError:
            raise FollowError(f"a follow named {name!r} already exists; pick another --name") from None
    return follow


def remove_follow(settings: Settings, name: str, user: str = "") -> None:
    """Forget a follow and what it picked up."""
    with connect(settings) as conn:
        if not conn.execute("DELETE FROM follows WHERE user = ? AND name = ?", (user, name)).rowcount:
            names = [r[0] for r in conn.execute("SELECT name FROM follows WHERE user = ? ORDER BY name", (user,))]
            known = f"; yours are: {', '.join(names)}" if names else "; there are none yet"
            raise FollowError(f"no follow is named {name!r}{known}")
        conn.execute("DELETE FROM follow_hits WHERE user = ? AND name = ?", (user, name))


def list_follows(settings: Settings, user: str | None = "") -> list[Follow]:
    """A user's follows by name (every user's with user=None: what matching goes through)."""
    sql = "SELECT name, query, created, user FROM follows"
    args: tuple[str, ...] = ()
    if user is not None:
        sql, args = sql + " WHERE user = ?", (user,)
    with connect(settings) as conn:
        return [Follow(*row) for row in conn.execute(sql + " ORDER BY user, name", args)]


def _new_run(conn: sqlite3.Connection, ids: Iterable[str]) -> int:
    """Start a match run: the ids not seen before are stamped with it."""
    run = inserted_id(conn.execute("INSERT INTO match_runs (at) VALUES (?)", (now(),)))
    conn.executemany("INSERT OR IGNORE INTO seen_entries VALUES (?, ?)", ((i, run) for i in ids))
    return run


def start_run(settings: Settings, ids: Iterable[str]) -> list[tuple[Follow, list[str]]]:
    """Record the indexed ids; returns every user's follows, each with the ids new to it."""
    with connect(settings) as conn:
        run = _new_run(conn, ids)
        rows = conn.execute("SELECT name, query, created, user, matched_run FROM follows ORDER BY user, name")
        out = []
        for name, query, created, user, matched in rows.fetchall():
            new = conn.execute("SELECT entry_id FROM seen_entries WHERE run > ? AND run <= ?", (matched, run))
            out.append((Follow(name, query, created, user), [r[0] for r in new]))
        conn.execute("UPDATE follows SET matched_run = ?", (run,))
    return out


def record_hits(settings: Settings, user: str, name: str, hits: Iterable[tuple[str, date]]) -> int:
    """Keep the entries a follow picked up; returns how many were new to it."""
    with connect(settings) as conn:
        before = conn.total_changes
        conn.executemany("INSERT OR IGNORE INTO follow_hits VALUES (?, ?, ?, ?, ?)",
                         ((user, name, eid, day.isoformat(), now()) for eid, day in hits))
        return conn.total_changes - before


def hits_of(settings: Settings, user: str, name: str, since: date | None = None) -> list[str]:
    """The entry ids a follow picked up, newest day first (only days from `since` on, if given)."""
    with connect(settings) as conn:
        rows = conn.execute(
            "SELECT entry_id FROM follow_hits WHERE user = ? AND name = ? AND day >= ? ORDER BY day DESC, entry_id",
            (user, name, since.isoformat() if since else ""))
        return [r[0] for r in rows]

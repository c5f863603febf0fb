"""Filters from what a user typed or picked: the MCP tools' arguments, the web app's side panel
and its Browse tab. One constructor checks them, so a day that is no day, a range that ends
before it starts or a tag the digest lacks is the same one-sentence error everywhere, never an
empty result that looks like an answer.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Protocol

from rag.ask.authors import too_short
from rag.digest import tag_key
from rag.model import Filters, Range

NEAREST = 3  # how many of the digest's days an error about a day names


class DayError(ValueError):
    """A day that is not a date, or one the digest has no entries on."""


class FilterError(ValueError):
    """A filter the digest has nothing for: an unknown tag."""


class Digest(Protocol):
    """What the checks read of an index or one of its views."""

    @property
    def days(self) -> list[date]: ...

    @property
    def tags(self) -> Mapping[str, int]: ...


def listed(days: Sequence[date]) -> str:
    """Days as "2025-05-16, 2025-05-20", in date order."""
    return ", ".join(d.isoformat() for d in sorted(days))


def parse_day(text: str, days: Sequence[date] = ()) -> date:
    """An ISO day (YYYY-MM-DD), or a DayError that names the digest's latest days."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        latest = f"; the digest's latest days: {listed(days[-NEAREST:])}" if days else ""
        raise DayError(f"{text!r} is not a day (expected YYYY-MM-DD){latest}") from None


def user_filters(
    digest: Digest | None = None,
    *,
    days: Iterable[str | date | Range] = (),
    date_from: str | date | None = None,
    date_to: str | date | None = None,
    tags: Iterable[str] = (),
    authors: Iterable[str] = (),
) -> Filters:
    """Filters from user input, checked. `days` are days or ranges, as dates or as "YYYY-MM-DD"
    and "YYYY-MM-DD/YYYY-MM-DD" text; `date_from`..`date_to` is one more range, an end left out
    running to the digest's first or last day; tags are matched as the digest spells them and,
    given the digest, must be among its tags."""
    known_days = digest.days if digest is not None else []
    ranges = [_day_range(day, known_days) for day in days]
    if date_from or date_to:
        ranges.extend(_open_range(date_from, date_to, known_days))
    checked_tags = tuple(_tag(tag, digest) for tag in tags)
    names = tuple(_author(name, digest) for name in authors if name.strip())
    return Filters(days=tuple(ranges), tags=checked_tags, authors=names)


def _author(name: str, digest: Digest | None) -> str:
    """An author name as given, once it can name someone the digest lists."""
    name = " ".join(name.split())
    if too_short(name):
        raise FilterError(f"the author name {name!r} is too short to look up; give the full name")
    roster = getattr(digest, "roster", None)
    if roster is not None and not roster.rows(name):
        closest = ", ".join(roster.closest(name)) or "none"
        raise FilterError(f"the digest lists no entries by {name}; closest names: {closest}")
    return name


def _day_range(day: str | date | Range, known_days: Sequence[date]) -> Range:
    if isinstance(day, tuple):
        first, last = day
    elif isinstance(day, date):
        first = last = day
    else:
        start, slash, end = day.partition("/")
        first = parse_day(start, known_days)
        last = parse_day(end, known_days) if slash else first
        if last < first:
            raise DayError(f"the range {day!r} ends before it starts")
    if last < first:
        raise DayError(f"the range {first.isoformat()}/{last.isoformat()} ends before it starts")
    return first, last


def _open_range(
    date_from: str | date | None, date_to: str | date | None, known_days: Sequence[date]
) -> list[Range]:
    """date_from..date_to, an end left out running to the digest's edge (no range when the
    digest has no days to run to)."""
    first = _day(date_from, known_days) or (known_days[0] if known_days else None)
    last = _day(date_to, known_days) or (known_days[-1] if known_days else None)
    if first and last and last < first:
        raise DayError(f"date_to {last.isoformat()} is before date_from {first.isoformat()}")
    return [(first, last)] if first and last else []


def _day(value: str | date | None, known_days: Sequence[date]) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return parse_day(value, known_days) if value else None


def _tag(text: str, digest: Digest | None) -> str:
    """A tag as the digest spells it ("#RL" is rl); given the digest, one it has."""
    tag = tag_key(text.strip().lstrip("#"))
    if digest is None or tag in digest.tags:
        return tag
    close = difflib.get_close_matches(tag, list(digest.tags), n=3)
    hint = f"; close ones: {', '.join(close)}" if close else ""
    raise FilterError(f"the digest has no tag {text!r}{hint}")

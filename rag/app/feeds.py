"""Atom feeds of what follows pick up: `/feeds/<name>.atom` (one follow) and `/feeds/all.atom`
(every follow of the user), built with feedgen. Each item is an entry: its title, day, tags,
the digest author's take and the paper's link.

Who may read: on an app with no login (loopback), anyone who reaches it, as the machine's own
user; with a login, the logged-in user, or a feed reader holding the user's secret token
(`?token=...`, `rag.state.tokens`). An unknown feed, a missing or wrong token all get the same
404, so a guess learns neither which names exist nor whether a token was close.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from fastapi import Request
from fastapi.responses import PlainTextResponse, Response
from fastapi.routing import APIRoute
from feedgen.feed import FeedGenerator

from rag.app.bibtex import paper_link
from rag.app.follows import news_entries
from rag.app.render import take
from rag.config import Settings
from rag.index.reader import get_index
from rag.model import Entry
from rag.state.db import StateError
from rag.state.follows import Follow
from rag.state.tokens import token_user

ALL = "all"
MEDIA_TYPE = "application/atom+xml"


def _stamp(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _item(fg: FeedGenerator, entry: Entry, follows: list[str]) -> None:
    fe = fg.add_entry(order="append")
    fe.id(f"urn:digest-rag:{entry.id}")
    fe.title(entry.title)
    fe.updated(_stamp(entry.day))
    fe.published(_stamp(entry.day))
    link = paper_link(entry)
    if link:
        fe.link(href=link)
    for tag in entry.labels:
        fe.category(term=tag)
    takes = [t for t in (take(entry.comment_en), take(entry.comment_ko)) if t]
    tags = " ".join("#" + t for t in entry.labels)
    # Atom needs an entry's content when it has no link; every entry gets it, for one shape.
    fe.content("\n".join([f"{entry.day.isoformat()} {tags}".strip(), *takes, f"(follows: {', '.join(follows)})"]), type="text")


def atom(name: str, news: list[tuple[Follow, list[Entry]]], base_url: str) -> bytes:
    """One feed: the entries the given follows picked up, newest day first, each once."""
    fg = FeedGenerator()
    fg.id(f"urn:digest-rag:feed:{name}")
    fg.title(f"Digest RAG: {name if name != ALL else 'everything you follow'}")
    fg.author(name="digest-rag")
    fg.link(href=f"{base_url.rstrip('/')}/feeds/{name}.atom", rel="self")
    fg.subtitle(" · ".join(f"{f.name}: {f.query}" for f, _ in news) or "no follows yet")
    found: dict[str, tuple[Entry, list[str]]] = {}
    for f, entries in news:
        for e in entries:
            found.setdefault(e.id, (e, []))[1].append(f.name)
    items = sorted(found.values(), key=lambda x: (-x[0].day.toordinal(), x[0].id))
    days = [e.day for e, _ in items]
    fg.updated(_stamp(max(days)) if days else datetime(2000, 1, 1, tzinfo=UTC))
    for entry, follows in items:
        _item(fg, entry, follows)
    return fg.atom_str(pretty=True)


def _reader(request: Request, settings: Settings) -> str | None:
    """Whose feeds a request may read, or None: see the module's docstring."""
    token = request.query_params.get("token", "")
    if token:
        return token_user(settings, token)
    app = request.app
    if getattr(app, "auth", None) is None:  # no login: the machine's own user
        return ""
    cookie_id = getattr(app, "cookie_id", "")
    cookie = request.cookies.get(f"access-token-{cookie_id}") or request.cookies.get(f"access-token-unsecure-{cookie_id}")
    return getattr(app, "tokens", {}).get(cookie)


def feed_response(settings: Settings, request: Request, name: str) -> Response:
    """The feed named, or the one 404 for whatever is wrong; a state file that cannot be used
    is a 503 in one line."""
    missing = PlainTextResponse("no such feed", status_code=404)
    try:
        user = _reader(request, settings)
        if user is None:
            return missing
        news = news_entries(settings, get_index(settings, build_if_empty=False), user,
                            name=None if name == ALL else name)
    except StateError as err:
        return PlainTextResponse(str(err), status_code=503)
    if name != ALL and not news:
        return missing
    return Response(atom(name, news, str(request.base_url)), media_type=MEDIA_TYPE)


def feed_routes(settings: Settings) -> list[APIRoute]:
    """The routes to serve beside the app (FastAPI's, passed to Gradio's launch)."""
    def feed(name: str, request: Request) -> Response:
        return feed_response(settings, request, name)

    return [APIRoute("/feeds/{name}.atom", feed, methods=["GET"], include_in_schema=False)]

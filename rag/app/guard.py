"""The app's front door, as ASGI middleware in front of Gradio: no uploads, a brake on password
guessing, and sessions that end.

- Uploads: the app has no upload component, so `POST .../upload` is refused (403) before a
  byte is written to Gradio's temporary folder.
- Logins: failed logins are counted per user name and per client address over a window;
  past the limit the login answers 429 with Retry-After until the oldest failure ages out.
  (The password hash itself runs off the event loop: `off_loop`.)
- Sessions: a login's token is dropped from Gradio's table once it is older than the
  configured lifetime, so the next request asks for a login again.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import anyio

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]

# Failed logins allowed per user name and per address within WINDOW_S.
USER_FAILURES = 5
ADDRESS_FAILURES = 20
WINDOW_S = 300.0
MAX_LOGIN_BODY = 8192
# Password hashes at once: enough for real users, too few to starve the app's other threads.
HASHING = anyio.CapacityLimiter(2)
_TOKEN = re.compile(r"^access-token-[^=]*=([^;]+)")


def off_loop(check: Callable[[str, str], bool]) -> Callable[[str, str], Awaitable[bool]]:
    """The login check as a coroutine (Gradio awaits it): the slow hash runs in a worker thread,
    so logins never stall the pages and API calls served beside them."""

    async def checked(user: str, password: str) -> bool:
        return await anyio.to_thread.run_sync(check, user, password, limiter=HASHING)

    return checked


class Failures:
    """Recent failed logins per key ("user:NAME", "addr:IP"), oldest first."""

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self.now = now
        self.seen: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, key: str) -> deque[float]:
        times, cutoff = self.seen[key], self.now() - WINDOW_S
        while times and times[0] <= cutoff:
            times.popleft()
        if not times:
            del self.seen[key]  # a quiet key costs nothing
            return deque()
        return times

    def retry_after(self, user: str, address: str) -> int:
        """Seconds until a login may be tried again (0: now)."""
        waits = [0.0]
        for key, limit in ((f"user:{user}", USER_FAILURES), (f"addr:{address}", ADDRESS_FAILURES)):
            times = self._recent(key)
            if len(times) >= limit:
                waits.append(times[len(times) - limit] + WINDOW_S - self.now())
        return math.ceil(max(waits))

    def failed(self, user: str, address: str) -> None:
        """Count one failed login against the user name and the address."""
        for key in (f"user:{user}", f"addr:{address}"):
            self.seen[key].append(self.now())

    def succeeded(self, user: str) -> None:
        """A right password clears its user's count (not its address's)."""
        self.seen.pop(f"user:{user}", None)


async def _reply(send: Send, status: int, detail: str, headers: tuple[tuple[bytes, bytes], ...] = ()) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The request body, or None when it is longer than limit."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if len(body) > limit:
            return None
        if not message.get("more_body"):
            return body


class Guard:
    """ASGI middleware for the Gradio app (passed to FastAPI as `middleware`)."""

    def __init__(self, app: Callable, session_ttl_s: float) -> None:
        self.app, self.session_ttl_s = app, session_ttl_s
        self.failures = Failures()
        self.sessions: dict[str, float] = {}  # token -> when its login happened

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        self.expire(scope.get("app"))
        path, method = scope["path"].rstrip("/"), scope["method"]
        if method == "POST" and path.endswith("/upload"):
            return await _reply(send, 403, "This app takes no uploads.")
        if method == "POST" and path.endswith("/login"):
            return await self.login(scope, receive, send)
        return await self.app(scope, receive, send)

    def expire(self, app: Any) -> None:
        """Drop the tokens of logins older than the session lifetime from Gradio's table."""
        tokens = getattr(app, "tokens", None)
        cutoff = time.monotonic() - self.session_ttl_s
        for token in [t for t, at in self.sessions.items() if at < cutoff]:
            del self.sessions[token]
            if tokens is not None:
                tokens.pop(token, None)

    async def login(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A login attempt: refused while its user or address is over the limit, else passed on
        to Gradio and counted by its outcome."""
        body = await _read_body(receive, MAX_LOGIN_BODY)
        if body is None:
            return await _reply(send, 413, "The login form is too large.")
        user = (parse_qs(body.decode("utf-8", "replace")).get("username") or [""])[0].strip()
        address = (scope.get("client") or ("?", 0))[0]
        wait = self.failures.retry_after(user, address)
        if wait:
            return await _reply(send, 429, f"Too many failed logins; try again in {wait} s.",
                                ((b"retry-after", str(wait).encode()),))
        status: list[int] = []

        async def replay() -> dict:
            return {"type": "http.request", "body": body, "more_body": False}

        async def watch(message: dict) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
                for name, value in message.get("headers", []):
                    token = _TOKEN.match(value.decode("latin-1")) if name.lower() == b"set-cookie" else None
                    if token:
                        self.sessions[token[1]] = time.monotonic()
            await send(message)

        await self.app(scope, replay, watch)
        if status and status[0] == 200:
            self.failures.succeeded(user)
        elif status and status[0] in (400, 401):
            self.failures.failed(user, address)

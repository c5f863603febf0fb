"""Feed tokens: feed readers cannot log in, so each user's feed URLs carry a secret of their
own. Only its SHA-256 is stored; making a new one revokes the old."""

from __future__ import annotations

import hashlib
import secrets

from rag.config import Settings
from rag.state.db import connect, now


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_feed_token(settings: Settings, user: str = "") -> str:
    """A fresh feed token for a user (shown once); the user's previous token stops working."""
    token = secrets.token_urlsafe(24)
    with connect(settings) as conn:
        conn.execute("INSERT OR REPLACE INTO feed_tokens VALUES (?, ?, ?)", (user, _digest(token), now()))
    return token


def revoke_feed_token(settings: Settings, user: str = "") -> None:
    """The user's feed URLs stop working until a new token is made."""
    with connect(settings) as conn:
        conn.execute("DELETE FROM feed_tokens WHERE user = ?", (user,))


def token_user(settings: Settings, token: str) -> str | None:
    """Whose token this is, or None. Looked up by its digest: a guess learns nothing by timing
    the comparison of the secret itself."""
    if not token:
        return None
    with connect(settings) as conn:
        row = conn.execute("SELECT user FROM feed_tokens WHERE digest = ?", (_digest(token),)).fetchone()
    return row[0] if row else None

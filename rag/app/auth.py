"""Who may use the app and the MCP server beyond this machine, and who may reindex.

On loopback (127.0.0.1, localhost, ::1) the one user of the machine needs no login. Anywhere
else a login is required: users and password hashes from `RAG_AUTH_FILE` (lines
`user:pbkdf2_sha256$iterations$salt$hash`, made by `rag passwd USER`), or a shared token
(`RAG_APP_TOKEN`, entered as the password with a user name that is neither in the auth file nor
in `RAG_ADMINS`). Without either the app refuses to start unless `--insecure-no-auth` says the
exposure is meant. Reindexing is an admin action: only users named in `RAG_ADMINS` may press
Reindex or call its API (on loopback without a login, the machine's user; off loopback without
a login, nobody). Passwords and tokens are never
logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from pathlib import Path

from rag.config import Settings, secret

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
ALGORITHM = "pbkdf2_sha256"
ITERATIONS = 200_000


class AuthError(ValueError):
    """Serving beyond this machine with no login, or an unreadable auth file."""


def check_binding(what: str, host: str, guarded: bool, insecure: bool, needs: str, how: str) -> None:
    """Refuse to serve beyond this machine without a login or token, unless told it is meant."""
    if host not in LOCAL_HOSTS and not guarded and not insecure:
        raise AuthError(f"refusing to serve {what} on {host} without {needs}: {how}, or pass --insecure-no-auth")


def hash_password(password: str, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    """A password hash line's second half: pbkdf2_sha256$iterations$salt$hash (base64).
    An empty password is refused (ValueError): it would let anyone in."""
    if not password:
        raise ValueError("the password is empty")
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"{ALGORITHM}${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether a password matches a stored hash (constant time)."""
    try:
        algorithm, iterations, salt, digest = stored.split("$")
        if algorithm != ALGORITHM:
            return False
        expected = base64.b64decode(digest)
        got = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def read_users(path: Path) -> dict[str, str]:
    """user -> stored hash, from an auth file; blank lines and '#' comments are skipped."""
    users: dict[str, str] = {}
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise AuthError(f"cannot read the auth file {path}: {err.strerror or err}") from None
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, stored = line.partition(":")
        if not sep or not user or not stored.startswith(ALGORITHM + "$"):
            raise AuthError(f"{path}:{number}: expected 'user:{ALGORITHM}$...' (make lines with `rag passwd USER`)")
        users[user] = stored
    if not users:
        raise AuthError(f"the auth file {path} names no user")
    return users


def login(settings: Settings) -> Callable[[str, str], bool] | None:
    """The app's login check (Gradio's `auth`), or None when no login is configured."""
    users = read_users(settings.auth_file) if settings.auth_file else {}
    token = secret(settings.app_token)
    if not users and not token:
        return None

    # Unknown names pay for the same hash as known ones: timing does not tell which names exist.
    decoy = hash_password(secrets.token_hex(16))

    def check(user: str, password: str) -> bool:
        stored = users.get(user)
        matches = verify_password(password, stored or decoy)
        if stored is not None:  # a user of the auth file logs in with their own password only
            return matches
        # The token is shared, so it names nobody: under an admin's name every holder would be one.
        if not token or user in settings.admins:
            return False
        return hmac.compare_digest(password.encode(), token.encode())

    return check


def is_admin(settings: Settings, user: str | None) -> bool:
    """Whether a user may reindex: the users in RAG_ADMINS; with no login, the one user of this
    machine on loopback, and nobody beyond it (`--insecure-no-auth`: the CLI reindexes)."""
    if user is None:
        no_login = settings.auth_file is None and settings.app_token is None
        return no_login and settings.host in LOCAL_HOSTS
    return user in settings.admins

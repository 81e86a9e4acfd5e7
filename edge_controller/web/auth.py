"""Dashboard users: hashed passwords, roles, signed-cookie sessions and CSRF tokens.

Passwords are hashed with scrypt (``hashlib.scrypt``, n=2**14, r=8, p=1, 16-byte salt);
the stored form is ``scrypt$<n>$<r>$<p>$<salt>$<hash>`` (base64), so stronger settings
can come later without breaking stored hashes. Two roles: ``operator`` sees every
dashboard page; ``supervisor`` also manages users (and, later, approves flagged
records). The session lives in a cookie signed by Starlette's ``SessionMiddleware``
(itsdangerous); it holds the user name, the CSRF token and the language. Every request
looks the user up again, so a disabled user is out at once.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import re
import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from fastapi import HTTPException, Request

from edge_controller.ingest.db import connect, transaction

Role = Literal["supervisor", "operator"]
ROLES: tuple[Role, ...] = ("supervisor", "operator")
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
CSRF_FIELD = "csrf_token"


class UserError(ValueError):
    """A user cannot be added or changed (bad name, weak password, duplicate)."""


@dataclass(frozen=True)
class User:
    username: str
    role: Role
    display_name: str
    disabled: bool

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"


# --- passwords -----------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the user does not exist, so both cases take as long."""
    return hash_password(secrets.token_urlsafe(16))


# --- the users table -----------------------------------------------------------------


def check_new_password(password: str) -> None:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise UserError(
            f"a password needs {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters"
        )


def add_user(
    conn: sqlite3.Connection,
    username: str,
    password: str,
    role: str,
    *,
    display_name: str = "",
    now: dt.datetime | None = None,
) -> User:
    """Add a dashboard user; :class:`UserError` for a bad name, role, password or duplicate."""
    if not USERNAME_PATTERN.match(username):
        raise UserError("a user name is 1-64 of a-z, 0-9, '.', '_', '-' (starting with a-z/0-9)")
    if role not in ROLES:
        raise UserError(f"the role must be one of {', '.join(ROLES)}")
    check_new_password(password)
    if len(display_name) > 100:
        raise UserError("the display name is longer than 100 characters")
    created = (now or dt.datetime.now(dt.UTC)).isoformat()
    try:
        with transaction(conn):
            conn.execute(
                "INSERT INTO users (username, password_hash, role, display_name, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (username, hash_password(password), role, display_name, created),
            )
    except sqlite3.IntegrityError as err:
        raise UserError(f"the user {username!r} exists already") from err
    user = get_user(conn, username)
    assert user is not None
    return user


def set_password(conn: sqlite3.Connection, username: str, password: str) -> None:
    check_new_password(password)
    with transaction(conn):
        cursor = conn.execute(
            "UPDATE users SET password_hash = ? WHERE username = ?",
            (hash_password(password), username),
        )
    if cursor.rowcount != 1:
        raise UserError(f"no user {username!r}")


def set_disabled(conn: sqlite3.Connection, username: str, disabled: bool) -> None:
    with transaction(conn):
        cursor = conn.execute(
            "UPDATE users SET disabled = ? WHERE username = ?", (int(disabled), username)
        )
    if cursor.rowcount != 1:
        raise UserError(f"no user {username!r}")


def get_user(conn: sqlite3.Connection, username: str) -> User | None:
    row = conn.execute(
        "SELECT username, role, display_name, disabled FROM users WHERE username = ?",
        (username,),
    ).fetchone()
    if row is None:
        return None
    return User(row["username"], row["role"], row["display_name"], bool(row["disabled"]))


def list_users(conn: sqlite3.Connection) -> list[User]:
    rows = conn.execute(
        "SELECT username, role, display_name, disabled FROM users ORDER BY username"
    )
    return [User(r["username"], r["role"], r["display_name"], bool(r["disabled"])) for r in rows]


def authenticate(conn: sqlite3.Connection, username: str, password: str) -> User | None:
    """The user if the password is right and the user is enabled; else None."""
    row = conn.execute("SELECT password_hash FROM users WHERE username = ?", (username,)).fetchone()
    stored = row["password_hash"] if row is not None else _dummy_hash()
    if not verify_password(password, stored) or row is None:  # hash either way: same timing
        return None
    user = get_user(conn, username)
    return None if user is None or user.disabled else user


def user_add(
    database_path: Path, username: str, password: str, role: str, display_name: str = ""
) -> User:
    """What ``rekam-edge user add`` calls: add a user to the edge database at this path."""
    conn = connect(database_path)
    try:
        return add_user(conn, username, password, role, display_name=display_name)
    finally:
        conn.close()


# --- wrong-password lock-out ---------------------------------------------------------


class LoginThrottle:
    """Locks a user name for a while after too many wrong passwords in a row."""

    def __init__(self, max_failures: int, lockout_seconds: float) -> None:
        self.max_failures = max_failures
        self.lockout_seconds = lockout_seconds
        self._failures: dict[str, tuple[int, float]] = {}

    def locked(self, username: str, now: float | None = None) -> bool:
        count, since = self._failures.get(username, (0, 0.0))
        moment = time.monotonic() if now is None else now
        if count >= self.max_failures and moment - since < self.lockout_seconds:
            return True
        if count >= self.max_failures:
            self._failures.pop(username, None)
        return False

    def failed(self, username: str, now: float | None = None) -> None:
        count, _ = self._failures.get(username, (0, 0.0))
        self._failures[username] = (count + 1, time.monotonic() if now is None else now)
        if len(self._failures) > 10_000:  # names typed at random must not grow memory
            self._failures.pop(next(iter(self._failures)))

    def succeeded(self, username: str) -> None:
        self._failures.pop(username, None)


# --- sessions and CSRF ---------------------------------------------------------------


class NotAuthenticated(Exception):
    """No valid login in this session (pages redirect to /login, the API answers 401)."""


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use; every POST form carries it."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or len(token) < 16:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get("csrf")
    if (
        not isinstance(expected, str)
        or not submitted
        or not hmac.compare_digest(expected.encode(), submitted.encode())
    ):
        raise HTTPException(status_code=403, detail="CSRF token missing or wrong")


def log_in(request: Request, user: User) -> None:
    """A fresh session for ``user`` (a new CSRF token; the language is kept)."""
    language = request.session.get("lang")
    request.session.clear()
    request.session["user"] = user.username
    if language:
        request.session["lang"] = language
    csrf_token(request)


def log_out(request: Request) -> None:
    language = request.session.get("lang")
    request.session.clear()
    if language:
        request.session["lang"] = language


def session_username(request: Request) -> str | None:
    username = request.session.get("user")
    return username if isinstance(username, str) else None

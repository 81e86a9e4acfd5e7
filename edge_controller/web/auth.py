"""Dashboard users: hashed passwords, roles, password rules, sessions and CSRF tokens.

Passwords are hashed with scrypt (``hashlib.scrypt``, n=2**14, r=8, p=1, 16-byte salt);
the stored form is ``scrypt$<n>$<r>$<p>$<salt>$<hash>`` (base64), so stronger settings
can come later without breaking stored hashes. Two roles: ``operator`` sees every
dashboard page; ``supervisor`` also manages users (and approves flagged records).

A password has :data:`MIN_PASSWORD_LENGTH` characters at least and is neither the user
name nor the office's name (with digits and punctuation taken away). A login is a row
in :mod:`.sessions`; the cookie (signed by Starlette's ``SessionMiddleware``) holds that
row's token, the CSRF token and the language. The app's middleware looks the token up
on every request (:func:`session_username` then answers), and every page looks the user
up again, so a disabled user is out at once. Wrong-password lock-out and the cap on
parallel hashes are in :mod:`.throttle`.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from fastapi import HTTPException, Request

from edge_controller.ingest.db import connect, transaction

Role = Literal["supervisor", "operator"]
ROLES: tuple[Role, ...] = ("supervisor", "operator")
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
CSRF_FIELD = "csrf_token"
SESSION_USER_SCOPE_KEY = "rekam.session_user"
"""Where the app's middleware puts the user name of a live server-side session."""
OFFICE_WORDS = ("kecamatan", "kelurahan", "kantor", "desa")
"""Words a password may not add to the office's name to pass as different."""


class UserError(ValueError):
    """A user cannot be added or changed (bad name, weak password, duplicate).

    ``msgid`` is a gettext msgid (English, translated on the page), ``params`` its
    ``%(name)s`` values; ``str()`` gives the English sentence for the CLI.
    """

    def __init__(self, msgid: str, params: dict[str, Any] | None = None) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.params = params or {}

    def __str__(self) -> str:
        return self.msgid % self.params if self.params else self.msgid


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


def _letters(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalpha())


def check_new_password(password: str, *, username: str = "", office_name: str = "") -> None:
    """:class:`UserError` unless ``password`` follows the rules (see the module)."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise UserError(
            "A password needs %(min)d to %(max)d characters.",
            {"min": MIN_PASSWORD_LENGTH, "max": MAX_PASSWORD_LENGTH},
        )
    letters = _letters(password)
    if username and letters in (_letters(username), username.casefold()):
        raise UserError("The password may not be the user name.")
    office = _letters(office_name)
    office_alone = office_name.casefold().split()
    while office_alone and office_alone[0] in OFFICE_WORDS:
        office_alone = office_alone[1:]
    if office and letters in (office, _letters(" ".join(office_alone))):
        raise UserError("The password may not be the office's name.")


def add_user(
    conn: sqlite3.Connection,
    username: str,
    password: str,
    role: str,
    *,
    display_name: str = "",
    office_name: str = "",
    now: dt.datetime | None = None,
) -> User:
    """Add a dashboard user; :class:`UserError` for a bad name, role, password or duplicate."""
    if not USERNAME_PATTERN.match(username):
        raise UserError(
            "A user name is 1-64 of a-z, 0-9, '.', '_', '-' (starting with a-z or 0-9)."
        )
    if role not in ROLES:
        raise UserError("The role must be one of: %(roles)s.", {"roles": ", ".join(ROLES)})
    check_new_password(password, username=username, office_name=office_name)
    if len(display_name) > 100:
        raise UserError("The display name is longer than 100 characters.")
    created = (now or dt.datetime.now(dt.UTC)).isoformat()
    try:
        with transaction(conn):
            conn.execute(
                "INSERT INTO users (username, password_hash, role, display_name, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (username, hash_password(password), role, display_name, created),
            )
    except sqlite3.IntegrityError as err:
        raise UserError("The user %(name)s exists already.", {"name": username}) from err
    user = get_user(conn, username)
    assert user is not None
    return user


def set_password(
    conn: sqlite3.Connection, username: str, password: str, *, office_name: str = ""
) -> None:
    """Store a new password (the rules apply); end the user's sessions separately."""
    check_new_password(password, username=username, office_name=office_name)
    with transaction(conn):
        cursor = conn.execute(
            "UPDATE users SET password_hash = ? WHERE username = ?",
            (hash_password(password), username),
        )
    if cursor.rowcount != 1:
        raise UserError("There is no user %(name)s.", {"name": username})


def set_disabled(conn: sqlite3.Connection, username: str, disabled: bool) -> None:
    with transaction(conn):
        cursor = conn.execute(
            "UPDATE users SET disabled = ? WHERE username = ?", (int(disabled), username)
        )
    if cursor.rowcount != 1:
        raise UserError("There is no user %(name)s.", {"name": username})


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
    database_path: Path,
    username: str,
    password: str,
    role: str,
    display_name: str = "",
    *,
    office_name: str = "",
) -> User:
    """What ``rekam-edge user add`` calls: add a user to the edge database at this path."""
    conn = connect(database_path)
    try:
        return add_user(
            conn, username, password, role, display_name=display_name, office_name=office_name
        )
    finally:
        conn.close()


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


def log_in(request: Request, user: User, session_token: str) -> None:
    """The cookie for a fresh server-side session (a new CSRF token; the language is kept)."""
    language = request.session.get("lang")
    request.session.clear()
    request.session["sid"] = session_token
    if language:
        request.session["lang"] = language
    request.scope[SESSION_USER_SCOPE_KEY] = user.username
    csrf_token(request)


def log_out(request: Request) -> None:
    """Forget the login in this cookie (the server-side row is ended by the caller)."""
    language = request.session.get("lang")
    request.session.clear()
    if language:
        request.session["lang"] = language
    request.scope.pop(SESSION_USER_SCOPE_KEY, None)


def session_token(request: Request) -> str | None:
    """The server-side session token this request's cookie carries."""
    token = request.session.get("sid")
    return token if isinstance(token, str) and token else None


def session_username(request: Request) -> str | None:
    """Who is logged in: set by the app's middleware from a live server-side session."""
    username = request.scope.get(SESSION_USER_SCOPE_KEY)
    return username if isinstance(username, str) else None

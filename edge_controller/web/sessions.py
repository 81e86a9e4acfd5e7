"""Server-side dashboard sessions: a login is a row, and ending the row ends the login.

The browser's cookie (signed by Starlette's ``SessionMiddleware``) carries only a random
session token, the CSRF token and the language; the row in this store says whose the
token is and until when. Only the token's SHA-256 is stored, so whoever reads the file
cannot use a session. A session ends at logout, for all of a user's sessions at a
password change (except the one that changed it), and when a supervisor disables the
user or ends their sessions; a copied cookie is then worth nothing.

The store is its own SQLite file (WAL, ``synchronous=FULL`` through
:func:`ektp.sqlite_store.open_durable`), next to the edge database unless ``[web]
sessions_path`` says otherwise. One connection, used under a lock from the thread pool.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import sqlite3
import threading
from pathlib import Path

from ektp.sqlite_store import Migration, open_durable

SESSIONS_FILE = "web-sessions.sqlite3"
SESSIONS_SQL = """
CREATE TABLE web_sessions (
    token_sha256 TEXT PRIMARY KEY,       -- hex SHA-256 of the cookie's token
    username TEXT NOT NULL,
    created_at TEXT NOT NULL,            -- ISO date-time, UTC
    expires_at TEXT NOT NULL,            -- ISO date-time, UTC
    client_address TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX web_sessions_by_user ON web_sessions (username);
"""
MIGRATIONS = (Migration("dashboard sessions", SESSIONS_SQL),)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class SessionStore:
    """The dashboard's logins, one row each (see the module)."""

    def __init__(self, path: Path, max_age_seconds: float) -> None:
        self.path = path
        self.max_age = dt.timedelta(seconds=max_age_seconds)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn: sqlite3.Connection | None = open_durable(path, migrations=MIGRATIONS)
        self._lock = threading.Lock()

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("the session store is closed")
        return self._conn

    def start(self, username: str, client_address: str, now: dt.datetime) -> str:
        """A new session for ``username``; returns the token the cookie carries."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
            db.execute("DELETE FROM web_sessions WHERE expires_at <= ?", (now.isoformat(),))
            db.execute(
                "INSERT INTO web_sessions"
                " (token_sha256, username, created_at, expires_at, client_address)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    _digest(token),
                    username,
                    now.isoformat(),
                    (now + self.max_age).isoformat(),
                    client_address[:100],
                ),
            )
            db.execute("COMMIT")
        return token

    def username(self, token: str, now: dt.datetime) -> str | None:
        """Whose live session ``token`` is; None when it ended, expired or never was."""
        with self._lock:
            row = (
                self._db()
                .execute(
                    "SELECT username FROM web_sessions WHERE token_sha256 = ? AND expires_at > ?",
                    (_digest(token), now.isoformat()),
                )
                .fetchone()
            )
        return None if row is None else str(row[0])

    def end(self, token: str) -> None:
        """End this one session (logout)."""
        with self._lock:
            self._db().execute("DELETE FROM web_sessions WHERE token_sha256 = ?", (_digest(token),))

    def end_user(self, username: str, *, keep: str | None = None) -> int:
        """End every session of ``username`` (but ``keep``'s); returns how many ended."""
        kept = _digest(keep) if keep else ""
        with self._lock:
            cursor = self._db().execute(
                "DELETE FROM web_sessions WHERE username = ? AND token_sha256 != ?",
                (username, kept),
            )
        return cursor.rowcount

    def count(self, username: str, now: dt.datetime) -> int:
        """How many live sessions ``username`` has (the users page shows it)."""
        with self._lock:
            row = (
                self._db()
                .execute(
                    "SELECT COUNT(*) FROM web_sessions WHERE username = ? AND expires_at > ?",
                    (username, now.isoformat()),
                )
                .fetchone()
            )
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

"""One way to open a durable SQLite store, for every side (booth, edge, central).

:func:`open_durable` returns a connection that survives a power cut at any instant:

- ``journal_mode=WAL`` (checked: a file system that refuses it raises), and
  ``synchronous=FULL``: the WAL is fsynced at every commit, so a transaction that
  returned is on disk;
- a busy timeout, so a second process (a CLI, a checker) waits for the write lock
  instead of failing at once;
- ``isolation_level=None``: the caller issues ``BEGIN IMMEDIATE``/``COMMIT`` itself;
- the store's migrations applied in one place (:func:`apply_migrations`): each step in
  one transaction with its ``PRAGMA user_version`` bump; a file written by a newer
  version is refused, never touched.

The first migration of a store that existed before this module usually says
``CREATE TABLE IF NOT EXISTS``: files made by older code (``user_version`` 0, tables
present) take it as a no-op and are stamped with the version.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ektp.errors import RekamError
from ektp.i18n import N_

DEFAULT_BUSY_TIMEOUT_SECONDS = 10.0


class SqliteStoreError(RekamError):
    """A durable store cannot be opened or brought up to date."""

    code = "sqlite_store"
    domain = "ektp"


class SchemaTooNew(SqliteStoreError):
    """The file was written by a newer version of the software: left untouched."""

    code = "sqlite_schema_too_new"


@dataclass(frozen=True)
class Migration:
    """One schema step: ``sql`` (one or more statements) takes version n-1 to n."""

    description: str
    sql: str


def open_durable(
    path: str | os.PathLike[str],
    *,
    migrations: Sequence[Migration] = (),
    busy_timeout_seconds: float = DEFAULT_BUSY_TIMEOUT_SECONDS,
    check_same_thread: bool = False,
    row_factory: type[sqlite3.Row] | None = None,
    incremental_vacuum: bool = False,
    page_size: int | None = None,
) -> sqlite3.Connection:
    """Open (creating when missing) a WAL + ``synchronous=FULL`` store; see the module.

    ``check_same_thread=False`` (the default) is for a connection shared under the
    caller's own lock. ``incremental_vacuum`` sets ``auto_vacuum=INCREMENTAL`` and
    ``page_size`` the page size in bytes (a power of two, 512 to 65536); both take
    effect only on a file that has no table yet.
    """
    name = os.fspath(path)
    try:
        conn = sqlite3.connect(
            name,
            timeout=busy_timeout_seconds,
            isolation_level=None,
            check_same_thread=check_same_thread,
        )
    except sqlite3.Error as err:
        raise SqliteStoreError(
            N_("Cannot open the database at {path}"), code="sqlite_open", path=name
        ) from err
    try:
        if row_factory is not None:
            conn.row_factory = row_factory
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_seconds * 1000)}")
        if page_size is not None:  # before WAL mode, which writes the file's header
            conn.execute(f"PRAGMA page_size = {int(page_size)}")
        if incremental_vacuum:
            conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
        mode = str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]).lower()
        if mode != "wal" and name != ":memory:":
            raise SqliteStoreError(
                N_("The database at {path} cannot use write-ahead logging"),
                code="sqlite_open",
                path=name,
            )
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        if migrations:  # none: the caller keeps its own schema steps
            apply_migrations(conn, migrations, name=name)
    except sqlite3.Error as err:
        conn.close()
        raise SqliteStoreError(
            N_("Cannot open the database at {path}"), code="sqlite_open", path=name
        ) from err
    except BaseException:
        conn.close()
        raise
    if name != ":memory:":
        fsync_directory(Path(name).parent)
    return conn


def schema_version(conn: sqlite3.Connection) -> int:
    """The file's ``PRAGMA user_version``."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def apply_migrations(
    conn: sqlite3.Connection, migrations: Sequence[Migration], *, name: str = "database"
) -> int:
    """Run the steps not applied yet, each in one transaction; return the new version."""
    current = schema_version(conn)
    if current > len(migrations):
        raise SchemaTooNew(
            N_("{path} was written by a newer version (schema {found}, this one knows {known})"),
            path=name,
            found=current,
            known=len(migrations),
        )
    for version, step in enumerate(migrations[current:], start=current + 1):
        # executescript() would COMMIT first; BEGIN inside the script keeps the step and
        # its version bump in one transaction.
        sql = step.sql.strip().rstrip(";")
        script = f"BEGIN IMMEDIATE;\n{sql};\nPRAGMA user_version = {version};\nCOMMIT;"
        try:
            conn.executescript(script)
        except sqlite3.Error as err:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise SqliteStoreError(
                N_("Step {version} of {path} ({step}) failed"),
                code="sqlite_migration",
                version=version,
                path=name,
                step=step.description,
            ) from err
    return schema_version(conn)


def fsync_directory(directory: Path) -> None:
    """Make a new file's directory entry durable (best effort)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on directories; SQLite still syncs its files
    finally:
        os.close(fd)

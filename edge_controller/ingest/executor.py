"""One thread that owns an edge database connection: every call, every commit, in turn.

The edge service makes one :class:`DatabaseExecutor` and hands its :meth:`run` to
everyone who writes (ingest, queue, alerts, roster and review publishers, the
forwarder). SQLite takes one writer at a time anyway; one thread makes the order
explicit and keeps the connection on the thread that opened it.

Reads that must not wait behind a commit (the ingest's key look-ups, made while the
previous batch commits) go to :meth:`DatabaseExecutor.read`: a second, query-only
connection on its own thread. In WAL mode it sees every committed transaction and
never blocks the writer, nor is blocked by it.

Checkpoints (copying the write-ahead log into the database file) run on a third
thread with a connection of their own, at most every :data:`CHECKPOINT_INTERVAL_S`
while there are writes, so a commit never waits for one: SQLite's automatic
checkpoint ran inside the commit that crossed 1,000 pages, writing ~16 MB and syncing
the file while the ingest's next batch waited (issue 20: a quarter of the group
commit's time). A commit is durable once the log is synced (``synchronous=FULL``);
the checkpoint changes nothing of that. Should the checkpoint thread fall behind, the
writer still checkpoints itself past :data:`CHECKPOINT_BACKSTOP_PAGES`.

The writer keeps its **statement journals in memory** (``temp_store = MEMORY``). SQLite
copies every existing page a statement inside a transaction changes (16 KB here) into
a statement journal, so that one failing statement can be undone alone; past 64 KB that
copy went to a new temporary file in ``/var/tmp`` — on a Pi, the SD card — for every
such statement: in an ingest burst ~60 KB of writes per packet, about as much as the
packet itself (issue 20, with ``strace``). A statement journal lives only as long as its
statement and holds only what that one statement changes (the writers here change a
batch, at most ~500 rows, per statement), so memory is the right place for it; the
reader's connection, which sorts and groups large tables for the dashboard, keeps
SQLite's default.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from edge_controller.ingest.db import BUSY_TIMEOUT_MS, connect
from ektp.sqlite_store import open_durable

T = TypeVar("T")
log = logging.getLogger(__name__)

CHECKPOINT_INTERVAL_S = 0.2
"""The least time between two background checkpoints (each syncs the database file)."""
CHECKPOINT_BACKSTOP_PAGES = 8_192
"""The writer's own automatic checkpoint, past this many log pages (128 MB at 16 KB)."""


class DatabaseExecutor:
    """``await run(fn)`` calls ``fn(conn)`` on the database thread.

    The connection is opened by :meth:`open` (on that thread; idempotent) or by the
    first :meth:`run_blocking`; :meth:`close` closes it and ends the thread (idempotent).
    ``await read(fn)`` calls ``fn(conn)`` on the reader thread, with a query-only
    connection opened once the database is (the writer runs the migrations first).
    """

    def __init__(self, path: Path | str, *, thread_name: str = "edge-db") -> None:
        self.path = Path(path)
        self._executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix=thread_name)
        self._reader = concurrent.futures.ThreadPoolExecutor(
            1, thread_name_prefix=f"{thread_name}-read"
        )
        self._checkpointer = concurrent.futures.ThreadPoolExecutor(
            1, thread_name_prefix=f"{thread_name}-checkpoint"
        )
        self._conn: sqlite3.Connection | None = None
        self._read_conn: sqlite3.Connection | None = None
        self._checkpoint_conn: sqlite3.Connection | None = None
        self._checkpoint_lock = threading.Lock()
        self._checkpoint_due = False
        self._last_checkpoint = 0.0
        self._closing = threading.Event()
        self._opened = False
        self._closed = False

    async def open(self) -> None:
        """Open the database (migrations included) on its thread, unless already open."""
        await asyncio.get_running_loop().run_in_executor(self._executor, self._open)

    def _open(self) -> None:
        if self._conn is None:
            self._conn = connect(self.path)
            self._conn.execute(f"PRAGMA wal_autocheckpoint = {CHECKPOINT_BACKSTOP_PAGES}")
            self._conn.execute("PRAGMA temp_store = MEMORY")  # statement journals: see module
            self._opened = True

    async def run(self, function: Callable[[sqlite3.Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._call, function)

    def run_blocking(self, function: Callable[[sqlite3.Connection], T]) -> T:
        """:meth:`run` for code outside the event loop (waits for the result)."""
        return self._executor.submit(self._call, function).result()

    def _call(self, function: Callable[[sqlite3.Connection], T]) -> T:
        self._open()
        assert self._conn is not None
        try:
            return function(self._conn)
        finally:
            self._request_checkpoint()

    def _request_checkpoint(self) -> None:
        """Have the log checkpointed soon, unless that is already due (writer thread)."""
        with self._checkpoint_lock:
            if self._checkpoint_due or self._closing.is_set():
                return
            self._checkpoint_due = True
        # closed meanwhile (RuntimeError): the last connection's close checkpoints
        with contextlib.suppress(RuntimeError):
            self._checkpointer.submit(self._checkpoint)

    def _checkpoint(self) -> None:
        """A passive checkpoint: copies what it can, never blocks the writer or readers."""
        self._closing.wait(self._last_checkpoint + CHECKPOINT_INTERVAL_S - time.monotonic())
        with self._checkpoint_lock:
            self._checkpoint_due = False
        if self._closing.is_set():
            return
        try:
            if self._checkpoint_conn is None:
                self._checkpoint_conn = open_durable(
                    self.path, busy_timeout_seconds=BUSY_TIMEOUT_MS / 1000, check_same_thread=True
                )
            self._checkpoint_conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as err:  # the writer's own checkpoint is the backstop
            log.warning("background checkpoint of %s failed: %s", self.path.name, err)
        self._last_checkpoint = time.monotonic()

    async def read(self, function: Callable[[sqlite3.Connection], T]) -> T:
        """``fn(conn)`` on the reader thread: sees committed data, never waits for a commit.

        ``fn`` must not write (the connection is ``query_only``).
        """
        if not self._opened:
            await self.open()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._reader, self._read_call, function)

    def _read_call(self, function: Callable[[sqlite3.Connection], T]) -> T:
        if self._read_conn is None:
            conn = open_durable(
                self.path,
                busy_timeout_seconds=BUSY_TIMEOUT_MS / 1000,
                check_same_thread=True,
                row_factory=sqlite3.Row,
            )
            conn.execute("PRAGMA query_only = ON")
            self._read_conn = conn
        return function(self._read_conn)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._closing.set()

        def close_checkpoints() -> None:
            if self._checkpoint_conn is not None:
                self._checkpoint_conn.close()
                self._checkpoint_conn = None

        def close_connection() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        def close_reader() -> None:
            if self._read_conn is not None:
                self._read_conn.close()
                self._read_conn = None

        self._checkpointer.submit(close_checkpoints).result()
        self._checkpointer.shutdown(wait=True)
        self._reader.submit(close_reader).result()
        self._reader.shutdown(wait=True)
        self._executor.submit(close_connection).result()
        self._executor.shutdown(wait=True)

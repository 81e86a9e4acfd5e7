"""One thread that owns an edge database connection: every call, every commit, in turn.

The edge service makes one :class:`DatabaseExecutor` and hands its :meth:`run` to
everyone who writes (ingest, queue, alerts, roster and review publishers, the
forwarder). SQLite takes one writer at a time anyway; one thread makes the order
explicit and keeps the connection on the thread that opened it.

Reads that must not wait behind a commit (the ingest's key look-ups, made while the
previous batch commits) go to :meth:`DatabaseExecutor.read`: a second, query-only
connection on its own thread. In WAL mode it sees every committed transaction and
never blocks the writer, nor is blocked by it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from edge_controller.ingest.db import BUSY_TIMEOUT_MS, connect
from ektp.sqlite_store import open_durable

T = TypeVar("T")


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
        self._conn: sqlite3.Connection | None = None
        self._read_conn: sqlite3.Connection | None = None
        self._opened = False
        self._closed = False

    async def open(self) -> None:
        """Open the database (migrations included) on its thread, unless already open."""
        await asyncio.get_running_loop().run_in_executor(self._executor, self._open)

    def _open(self) -> None:
        if self._conn is None:
            self._conn = connect(self.path)
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
        return function(self._conn)

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

        def close_connection() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        def close_reader() -> None:
            if self._read_conn is not None:
                self._read_conn.close()
                self._read_conn = None

        self._reader.submit(close_reader).result()
        self._reader.shutdown(wait=True)
        self._executor.submit(close_connection).result()
        self._executor.shutdown(wait=True)

"""One thread that owns an edge database connection: every call, every commit, in turn.

The edge service makes one :class:`DatabaseExecutor` and hands its :meth:`run` to
everyone who writes (ingest, queue, alerts, roster and review publishers, the
forwarder). SQLite takes one writer at a time anyway; one thread makes the order
explicit and keeps the connection on the thread that opened it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from edge_controller.ingest.db import connect

T = TypeVar("T")


class DatabaseExecutor:
    """``await run(fn)`` calls ``fn(conn)`` on the database thread.

    The connection is opened by :meth:`open` (on that thread; idempotent) or by the
    first :meth:`run_blocking`; :meth:`close` closes it and ends the thread (idempotent).
    """

    def __init__(self, path: Path | str, *, thread_name: str = "edge-db") -> None:
        self.path = Path(path)
        self._executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix=thread_name)
        self._conn: sqlite3.Connection | None = None
        self._closed = False

    async def open(self) -> None:
        """Open the database (migrations included) on its thread, unless already open."""
        await asyncio.get_running_loop().run_in_executor(self._executor, self._open)

    def _open(self) -> None:
        if self._conn is None:
            self._conn = connect(self.path)

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

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True

        def close_connection() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        self._executor.submit(close_connection).result()
        self._executor.shutdown(wait=True)

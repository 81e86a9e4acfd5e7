"""The booth's durable outbox: sealed packets kept on disk until central has them.

A packet moves only forwards through ``sealed → sent → acked → forwarded → purged``:

- ``commit()`` stores the sealed bytes and returns only once the transaction is on
  disk (SQLite WAL, ``synchronous=FULL``: the WAL is fsynced at every commit). This is
  what lets the screen say "saved" honestly.
- ``mark_sent()`` before each publish (counts attempts), ``mark_acked()`` when the
  edge's ack arrives, ``mark_forwarded()`` when the edge reports central's receipt.
- ``purge()`` drops the sealed bytes of packets forwarded longer ago than the
  retention period and keeps a tombstone row (id, hash, size, metadata, times).

Beside the packets, the same file keeps every other message the booth must deliver
(``outbox.sendables``, :mod:`kiosk.outbox.sendables`: events, mobile tickets, training
results), each committed before the action is shown as done.

The blob is opaque: the outbox never looks inside it. The metadata is a small JSON
object for the screens and the health report (packet id, created time, kelurahan,
size) — never biometric data, which lives only inside the sealed blob.

Thread safety: one connection, opened with ``check_same_thread=False`` and guarded by
one re-entrant lock; every public method takes the lock for the whole of its
transaction, so the capture worker thread and the MQTT thread may share one
``Outbox``. Other processes may open the same file: SQLite's own locking and the
busy timeout serialise them.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from ektp.i18n import N_
from ektp.sqlite_store import SchemaTooNew, SqliteStoreError, open_durable
from kiosk.outbox.errors import (
    InvalidTransition,
    OutboxError,
    OutboxFull,
    PacketConflict,
    UnknownPacket,
)
from kiosk.outbox.records import (
    COLUMNS,
    MAX_META_BYTES,
    MIGRATIONS,
    SCHEMA_VERSION,
    SET_ACKED,
    SET_FORWARDED,
    UNACKED,
    OutboxRecord,
    PacketState,
    Sendable,
    SendableKind,
    StoredSendable,
    TransitionReport,
    check_packet_id,
    encode_meta,
    record_from_row,
)
from kiosk.outbox.sendables import DEFAULT_MAX_SENDABLES, SendableQueue

__all__ = [
    "MAX_META_BYTES",
    "SCHEMA_VERSION",
    "InvalidTransition",
    "Outbox",
    "OutboxError",
    "OutboxFull",
    "OutboxRecord",
    "PacketConflict",
    "PacketState",
    "Sendable",
    "SendableKind",
    "StoredSendable",
    "TransitionReport",
    "UnknownPacket",
]


class Outbox:
    """A SQLite file of sealed packets waiting for (or done with) delivery.

    ``path`` is created when missing. ``clock`` gives wall-clock seconds (the
    timestamps are stored as Unix time). ``busy_timeout_s`` bounds how long a call
    waits for another process holding the write lock before raising ``OutboxError``.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        clock: Callable[[], float] = time.time,
        busy_timeout_s: float = 10.0,
        max_sendables: int = DEFAULT_MAX_SENDABLES,
    ) -> None:
        self.path = Path(path)
        self._clock = clock
        self._lock = threading.RLock()
        self._closed = False
        try:
            self._conn = open_durable(
                self.path,
                migrations=MIGRATIONS,
                busy_timeout_seconds=busy_timeout_s,
                incremental_vacuum=True,
            )
        except SchemaTooNew as err:
            raise OutboxError(
                N_("The outbox was written by a newer version (schema {found})"),
                code="outbox_schema",
                found=err.params.get("found"),
            ) from err
        except SqliteStoreError as err:
            raise OutboxError(
                N_("Cannot open the outbox at {path}"), code="outbox_open", path=str(path)
            ) from err
        self.sendables = SendableQueue(
            transaction=self._transaction,
            reading=self._reading,
            clock=clock,
            max_sendables=max_sendables,
        )
        """Events, mobile tickets and training results waiting for the broker."""

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction under the lock; rolled back on any error."""
        with self._lock:
            if self._closed:
                raise OutboxError(N_("The outbox is closed"), code="outbox_closed")
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as err:
                raise OutboxError(N_("The outbox is busy or unwritable"), code="outbox_io") from err
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise OutboxError(
                        N_("The outbox could not store the change"), code="outbox_io"
                    ) from exc
                raise

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._closed:
                raise OutboxError(N_("The outbox is closed"), code="outbox_closed")
            try:
                yield self._conn
            except sqlite3.Error as err:
                raise OutboxError(N_("The outbox could not be read"), code="outbox_io") from err

    # -- writing ----------------------------------------------------------------

    def commit(self, packet_id: str, sealed: bytes, meta: dict[str, Any]) -> None:
        """Store a sealed packet durably; return only once it is on disk.

        Committing the same id with the same bytes again is a no-op (even after the
        packet was purged: the tombstone keeps its hash). Another blob under a known
        id raises ``PacketConflict`` and changes nothing.
        """
        check_packet_id(packet_id)
        if not isinstance(sealed, bytes | bytearray | memoryview) or len(sealed) == 0:
            raise OutboxError(
                N_("Packet {packet_id} has no sealed bytes"),
                code="outbox_empty",
                packet_id=packet_id,
            )
        blob = bytes(sealed)
        meta_json = encode_meta(packet_id, meta)
        digest = hashlib.sha256(blob).hexdigest()
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT sha256 FROM packets WHERE packet_id = ?", (packet_id,)
            ).fetchone()
            if row is not None:
                if row[0] == digest:
                    return
                raise PacketConflict(
                    N_("Packet {packet_id} is already stored with other content"),
                    packet_id=packet_id,
                )
            conn.execute(
                "INSERT INTO packets (packet_id, sealed, sha256, size, meta, state, created_at)"
                " VALUES (?, ?, ?, ?, ?, 'sealed', ?)",
                (packet_id, blob, digest, len(blob), meta_json, self._clock()),
            )

    def mark_sent(self, packet_id: str, now: float | None = None) -> None:
        """Record one more publish attempt. Call it just *before* publishing.

        Raises ``InvalidTransition`` if the packet is already acked or further on (it
        must not be sent again: skip it) and ``UnknownPacket`` if it was never stored.
        """
        at = self._clock() if now is None else now
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT state FROM packets WHERE packet_id = ?", (packet_id,)
            ).fetchone()
            if row is None:
                raise UnknownPacket(N_("No packet {packet_id} in the outbox"), packet_id=packet_id)
            state = PacketState(row[0])
            if state not in (PacketState.SEALED, PacketState.SENT):
                raise InvalidTransition(
                    N_("Packet {packet_id} is {state} and cannot be sent again"),
                    packet_id=packet_id,
                    state=state.value,
                )
            conn.execute(
                "UPDATE packets SET state = 'sent', sent_at = ?, attempts = attempts + 1"
                " WHERE packet_id = ?",
                (at, packet_id),
            )

    def mark_acked(self, packet_ids: Iterable[str], now: float | None = None) -> TransitionReport:
        """The edge has committed these packets: one transaction for the whole batch.

        Packets already acked or further on are left alone (duplicate acks are normal
        under QoS 1); ids never stored are reported in ``unknown``, not raised.
        """
        return self._advance(packet_ids, PacketState.ACKED, SET_ACKED, now)

    def mark_forwarded(
        self, packet_ids: Iterable[str], now: float | None = None
    ) -> TransitionReport:
        """Central has these packets (the edge stored its receipt). Starts retention.

        A packet not yet marked acked is acked by the same step (being forwarded
        implies the edge had it).
        """
        return self._advance(packet_ids, PacketState.FORWARDED, SET_FORWARDED, now)

    def _advance(
        self, packet_ids: Iterable[str], target: PacketState, update: str, now: float | None
    ) -> TransitionReport:
        at = self._clock() if now is None else now
        ids = list(dict.fromkeys(packet_ids))
        changed: list[str] = []
        already: list[str] = []
        unknown: list[str] = []
        with self._transaction() as conn:
            for packet_id in ids:
                row = conn.execute(
                    "SELECT state FROM packets WHERE packet_id = ?", (packet_id,)
                ).fetchone()
                if row is None:
                    unknown.append(packet_id)
                    continue
                if PacketState(row[0]).rank >= target.rank:
                    already.append(packet_id)
                    continue
                conn.execute(update, {"at": at, "packet_id": packet_id})
                changed.append(packet_id)
        return TransitionReport(tuple(changed), tuple(already), tuple(unknown))

    def purge(self, now: float, retention: timedelta) -> int:
        """Drop the sealed bytes of packets forwarded at least ``retention`` ago.

        Keeps a tombstone row per packet. Returns how many packets were purged.
        Packets not yet forwarded are never touched.
        """
        cutoff = now - retention.total_seconds()
        with self._transaction() as conn:
            cursor = conn.execute(
                "UPDATE packets SET state = 'purged', sealed = NULL, purged_at = ?"
                " WHERE state = 'forwarded' AND forwarded_at <= ?",
                (now, cutoff),
            )
            purged = cursor.rowcount
        if purged:
            with self._reading() as conn:
                # executescript steps the pragma to the end (execute frees one page only)
                conn.executescript("PRAGMA incremental_vacuum;")
        return purged

    # -- reading ----------------------------------------------------------------

    def get(self, packet_id: str) -> OutboxRecord | None:
        """The stored record, or None."""
        with self._reading() as conn:
            row = conn.execute(
                f"SELECT {COLUMNS} FROM packets WHERE packet_id = ?",  # noqa: S608
                (packet_id,),
            ).fetchone()
        return None if row is None else record_from_row(row)

    def unacked(self) -> Iterator[OutboxRecord]:
        """Packets still to deliver (sealed or sent), oldest first, with their bytes.

        Each record is read when the iteration reaches it, so a packet acked in the
        meantime (by another thread) is skipped rather than sent again.
        """
        with self._reading() as conn:
            ids = [
                row[0]
                for row in conn.execute(
                    "SELECT packet_id FROM packets WHERE state IN (?, ?)"
                    " ORDER BY created_at, rowid",
                    UNACKED,
                )
            ]
        for packet_id in ids:
            with self._reading() as conn:
                row = conn.execute(
                    f"SELECT {COLUMNS} FROM packets"  # noqa: S608
                    " WHERE packet_id = ? AND state IN (?, ?)",
                    (packet_id, *UNACKED),
                ).fetchone()
            if row is not None:
                yield record_from_row(row)

    def depth(self) -> int:
        """How many packets the edge has not acknowledged yet."""
        with self._reading() as conn:
            return int(
                conn.execute(
                    "SELECT COUNT(*) FROM packets WHERE state IN (?, ?)", UNACKED
                ).fetchone()[0]
            )

    def counts(self) -> dict[PacketState, int]:
        """Packets per state (every state present, zero when empty)."""
        totals = dict.fromkeys(PacketState, 0)
        with self._reading() as conn:
            for state, count in conn.execute("SELECT state, COUNT(*) FROM packets GROUP BY state"):
                totals[PacketState(state)] = int(count)
        return totals

    # -- life cycle -------------------------------------------------------------

    def close(self) -> None:
        """Checkpoint the WAL into the database file and close. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            except sqlite3.Error:
                pass  # another process holds a reader; the WAL stays valid and durable
            finally:
                self._conn.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

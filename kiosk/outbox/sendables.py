"""The outbox's second table: every message besides sealed packets the booth must send.

Events (check-ins, ticket calls, card deliveries, audit events), mobile tickets and
training results are :class:`~kiosk.outbox.records.Sendable` records in the same
SQLite file as the packets (:class:`~kiosk.outbox.store.Outbox`), under the same lock
and transactions. The uplink drains them oldest first, publishing QoS 1, and deletes
each only once the edge acknowledged its id on ``booths/<id>/acks`` (after its commit;
a PUBACK alone is not enough, the broker or the edge may die before the edge commits):
delivery is at least once, so each record carries a stable id the edge counts once.

At ``max_sendables`` waiting records :meth:`SendableQueue.enqueue` raises
:class:`~kiosk.outbox.errors.OutboxFull`: the caller refuses the new work and says so;
nothing already kept is ever dropped for space.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager

from ektp.i18n import N_
from kiosk.outbox.errors import OutboxError, OutboxFull
from kiosk.outbox.records import Sendable, SendableKind, StoredSendable

DEFAULT_MAX_SENDABLES = 20_000
"""Messages (events, tickets, results) kept at most before new work is refused."""

Transaction = Callable[[], AbstractContextManager[sqlite3.Connection]]


class SendableQueue:
    """Events, mobile tickets and training results waiting for the broker, in order.

    Made by the :class:`~kiosk.outbox.store.Outbox` (``outbox.sendables``), whose
    connection, lock and transactions it shares.
    """

    def __init__(
        self,
        *,
        transaction: Transaction,
        reading: Transaction,
        clock: Callable[[], float],
        max_sendables: int = DEFAULT_MAX_SENDABLES,
    ) -> None:
        self._transaction = transaction
        self._reading = reading
        self._clock = clock
        self.max_sendables = max_sendables

    def enqueue(self, sendable: Sendable, *, beyond_cap: bool = False) -> bool:
        """Keep a message for the broker; return only once it is on disk.

        False when a record with this id is already waiting (nothing changes). Raises
        ``OutboxFull`` when ``max_sendables`` records wait already: the caller refuses
        the work and says so. ``beyond_cap`` is for the alert that reports exactly that.
        """
        if not sendable.record_id or not sendable.topic or not sendable.payload:
            raise OutboxError(N_("A message for the edge is incomplete"), code="outbox_sendable")
        with self._transaction() as conn:
            if not beyond_cap:
                waiting = conn.execute("SELECT COUNT(*) FROM sendables").fetchone()[0]
                if waiting >= self.max_sendables:
                    raise OutboxFull(
                        N_("The booth holds {count} messages the office has not received yet"),
                        count=int(waiting),
                    )
            cursor = conn.execute(
                "INSERT INTO sendables (record_id, kind, topic, payload, created_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (record_id) DO NOTHING",
                (
                    sendable.record_id,
                    sendable.kind.value,
                    sendable.topic,
                    bytes(sendable.payload),
                    self._clock(),
                ),
            )
            return cursor.rowcount == 1

    def pending_sendables(
        self, limit: int = 100, *, sent_before: float | None = None
    ) -> list[StoredSendable]:
        """The oldest waiting messages, in the order they were kept.

        With ``sent_before``, only those due: never published, or published at or before
        that time and still not acknowledged by the edge (sent again).
        """
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT seq, kind, record_id, topic, payload, created_at, attempts, sent_at"
                " FROM sendables WHERE ?1 IS NULL OR sent_at IS NULL OR sent_at <= ?1"
                " ORDER BY seq LIMIT ?2",
                (sent_before, limit),
            ).fetchall()
        return [
            StoredSendable(
                seq=int(seq),
                sendable=Sendable(SendableKind(kind), record_id, topic, bytes(payload)),
                created_at=float(created),
                attempts=int(attempts),
                sent_at=None if sent_at is None else float(sent_at),
            )
            for seq, kind, record_id, topic, payload, created, attempts, sent_at in rows
        ]

    def in_flight(self, sent_after: float) -> int:
        """Messages the broker took after that time and the edge has not acked yet."""
        with self._reading() as conn:
            row = conn.execute(
                "SELECT COUNT(*) FROM sendables WHERE sent_at > ?", (sent_after,)
            ).fetchone()
        return int(row[0])

    def sendable_attempted(self, seq: int) -> None:
        """Count one more publish of this message. Call it just *before* publishing."""
        with self._transaction() as conn:
            conn.execute("UPDATE sendables SET attempts = attempts + 1 WHERE seq = ?", (seq,))

    def sendable_published(self, seq: int, now: float | None = None) -> None:
        """The broker took it (PUBACK); kept until the edge acknowledges it."""
        at = self._clock() if now is None else now
        with self._transaction() as conn:
            conn.execute("UPDATE sendables SET sent_at = ? WHERE seq = ?", (at, seq))

    def acknowledged(self, record_ids: Iterable[str]) -> int:
        """The edge committed these messages: forget them. Returns how many were held."""
        ids = list(dict.fromkeys(record_ids))
        removed = 0
        with self._transaction() as conn:
            for record_id in ids:
                cursor = conn.execute("DELETE FROM sendables WHERE record_id = ?", (record_id,))
                removed += cursor.rowcount
        return removed

    def send_all_again(self) -> None:
        """After a reconnect: every message not acknowledged yet is due again."""
        with self._transaction() as conn:
            conn.execute("UPDATE sendables SET sent_at = NULL WHERE sent_at IS NOT NULL")

    def sendables_waiting(self, kind: SendableKind | None = None) -> int:
        """How many messages (of one kind, or all) the edge has not acknowledged yet."""
        with self._reading() as conn:
            row = conn.execute(
                "SELECT COUNT(*) FROM sendables WHERE ?1 IS NULL OR kind = ?1",
                (None if kind is None else kind.value,),
            ).fetchone()
        return int(row[0])

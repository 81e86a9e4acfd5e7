"""Events, mobile tickets and training results wait in the outbox, in order, until the
edge acknowledged them.

Nothing the booth must send lives only in memory, and nothing is dropped for space: a
full outbox refuses new work with a clear error (and the uplink raises an alert).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from outbox_fixtures import SettableClock

from kiosk.outbox.store import Outbox, OutboxFull, Sendable, SendableKind


def event(record_id: str, payload: bytes = b'{"v":1}') -> Sendable:
    return Sendable(SendableKind.EVENT, record_id, "booths/booth-01/events", payload)


def test_messages_come_back_in_the_order_kept_across_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    with Outbox(path) as outbox:
        outbox.sendables.enqueue(event("a"))
        outbox.sendables.enqueue(
            Sendable(SendableKind.TRAINING_RESULT, "r", "booths/booth-01/training", b"{}")
        )
        outbox.sendables.enqueue(event("b"))
    with Outbox(path) as outbox:
        pending = outbox.sendables.pending_sendables()
        assert [m.sendable.record_id for m in pending] == ["a", "r", "b"]
        assert pending[1].sendable.kind is SendableKind.TRAINING_RESULT
        assert outbox.sendables.sendables_waiting(SendableKind.EVENT) == 2
        assert outbox.depth() == 0  # packets are counted apart


def test_the_same_id_is_kept_once_until_delivered(tmp_path: Path) -> None:
    clock = SettableClock()
    with Outbox(tmp_path / "o.sqlite", clock=clock) as outbox:
        queue = outbox.sendables
        assert queue.enqueue(event("a")) is True
        assert queue.enqueue(event("a")) is False
        (kept,) = queue.pending_sendables()
        assert kept.created_at == clock.now
        queue.sendable_attempted(kept.seq)
        queue.sendable_published(kept.seq)  # the broker took it: kept for the edge's ack
        assert queue.enqueue(event("a")) is False
        assert queue.pending_sendables(sent_before=clock.now - 1) == []  # not due again yet
        clock.advance(30)
        (again,) = queue.pending_sendables(sent_before=clock.now - 30)  # no ack in time
        queue.sendable_attempted(again.seq)
        assert queue.pending_sendables()[0].attempts == 2
        assert queue.acknowledged(["a", "never-kept"]) == 1
        assert queue.pending_sendables() == []
        assert queue.enqueue(event("a")) is True  # a new message under the id is kept anew


def test_a_reconnect_makes_every_unacknowledged_message_due(tmp_path: Path) -> None:
    clock = SettableClock()
    with Outbox(tmp_path / "o.sqlite", clock=clock) as outbox:
        queue = outbox.sendables
        for record_id in ("a", "b"):
            queue.enqueue(event(record_id))
        for kept in queue.pending_sendables():
            queue.sendable_published(kept.seq)
        assert queue.pending_sendables(sent_before=clock.now - 30) == []
        queue.send_all_again()
        due = queue.pending_sendables(sent_before=clock.now - 30)
        assert [m.sendable.record_id for m in due] == ["a", "b"]


def test_a_full_outbox_refuses_new_messages_and_keeps_the_old(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.sqlite", max_sendables=2) as outbox:
        queue = outbox.sendables
        queue.enqueue(event("a"))
        queue.enqueue(event("b"))
        with pytest.raises(OutboxFull) as info:
            queue.enqueue(event("c"))
        assert info.value.code == "outbox_full"
        assert "2 messages" in info.value.english()
        assert queue.enqueue(event("alert"), beyond_cap=True)  # the alert that says so
        assert [m.sendable.record_id for m in queue.pending_sendables()] == ["a", "b", "alert"]


def test_an_outbox_of_the_previous_version_gains_the_message_table(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    old = sqlite3.connect(path)
    old.executescript(
        """
        CREATE TABLE packets (packet_id TEXT PRIMARY KEY NOT NULL, sealed BLOB,
            sha256 TEXT NOT NULL, size INTEGER NOT NULL, meta TEXT NOT NULL,
            state TEXT NOT NULL, created_at REAL NOT NULL, sent_at REAL, acked_at REAL,
            forwarded_at REAL, purged_at REAL, attempts INTEGER NOT NULL DEFAULT 0);
        CREATE INDEX packets_by_state ON packets (state, created_at);
        INSERT INTO packets (packet_id, sealed, sha256, size, meta, state, created_at)
            VALUES ('p1', x'01', 'h', 1, '{}', 'sealed', 1.0);
        PRAGMA user_version = 1;
        """
    )
    old.close()
    with Outbox(path) as outbox:
        assert outbox.depth() == 1
        outbox.sendables.enqueue(event("a"))
        assert outbox.sendables.sendables_waiting() == 1

"""The chaos checker's event verdict finds lost, duplicated and unexpected events.

A real edge database (the edge's own schema) receives the events of two enrollments
through the edge's own code — the record of received events and the office queue —
then one thing is doctored, and exactly that must show.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from demo.chaos.enrollments import enrollment_record
from demo.chaos.events import EVENT_KINDS, chaos_event_id, check_events
from edge_controller.booths.events import record_booth_event
from edge_controller.config.queue import QueueConfig
from edge_controller.ingest.db import connect
from edge_controller.queue import OfficeQueue
from edge_controller.roster.secret import office_roster_secret
from ektp.messages import EventMessage
from kiosk.uplink.events import call_next_event, card_delivered_event, check_in_event

SEED = 7
BOOTH = "booth-01"
ENROLLMENTS = {(BOOTH, 1), (BOOTH, 2)}
WITA = ZoneInfo("Asia/Makassar")
NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=WITA)


def chaos_event(
    conn: sqlite3.Connection, serial: int, kind: str, event_id: uuid.UUID | None = None
) -> EventMessage:
    record = enrollment_record(BOOTH, 0, serial)
    event_id = event_id or chaos_event_id(SEED, BOOTH, serial, kind)
    if kind == "check_in":  # sealed with the office's roster key, as a registered booth does
        return check_in_event(
            BOOTH,
            nik=record.nik,
            kk=record.kk,
            kelurahan=record.kelurahan,
            service=str(record.service),
            at=NOW,
            secret=office_roster_secret(conn),
            event_id=event_id,
        )
    if kind == "ticket_called":
        event = call_next_event(BOOTH, at=NOW)
    else:
        event = card_delivered_event(BOOTH, nik=record.nik, operator=record.operator_id, at=NOW)
    return event.model_copy(update={"event_id": event_id})


@pytest.fixture
def edge_db(tmp_path: Path) -> Iterator[tuple[Path, sqlite3.Connection]]:
    path = tmp_path / "edge.sqlite3"
    conn = connect(path)
    try:
        yield path, conn
    finally:
        conn.close()


def receive(conn: sqlite3.Connection, event: EventMessage) -> None:
    """What the edge does with a booth event: on record once, then its effect."""
    record_booth_event(conn, event, NOW)
    OfficeQueue(conn, QueueConfig(), WITA).apply(event, NOW)


def receive_all(conn: sqlite3.Connection, *, skip: tuple[int, str] | None = None) -> None:
    for serial in (1, 2):
        for kind in EVENT_KINDS:
            if (serial, kind) != skip:
                receive(conn, chaos_event(conn, serial, kind))


def counts(path: Path) -> tuple[int, int, int]:
    verdict = check_events(SEED, ENROLLMENTS, path)
    return verdict.lost, verdict.duplicated, verdict.unexpected


def test_every_event_once_is_clean(edge_db: tuple[Path, sqlite3.Connection]) -> None:
    path, conn = edge_db
    receive_all(conn)
    verdict = check_events(SEED, ENROLLMENTS, path)
    assert (verdict.expected, verdict.received) == (6, 6)
    assert (verdict.lost, verdict.duplicated, verdict.unexpected) == (0, 0, 0)
    assert verdict.problems == []


def test_a_redelivered_event_is_counted_once(edge_db: tuple[Path, sqlite3.Connection]) -> None:
    path, conn = edge_db
    receive_all(conn)
    receive(conn, chaos_event(conn, 1, "check_in"))  # QoS 1 after a lost PUBACK
    receive(conn, chaos_event(conn, 2, "card_delivered"))
    assert counts(path) == (0, 0, 0)


def test_a_card_delivery_the_edge_never_had_is_lost(
    edge_db: tuple[Path, sqlite3.Connection],
) -> None:
    path, conn = edge_db
    receive_all(conn, skip=(2, "card_delivered"))
    verdict = check_events(SEED, ENROLLMENTS, path)
    assert (verdict.lost, verdict.duplicated, verdict.unexpected) == (1, 0, 0)
    assert "card_delivered" in verdict.problems[0]


def test_a_check_in_sent_again_under_a_new_id_is_duplicated(
    edge_db: tuple[Path, sqlite3.Connection],
) -> None:
    path, conn = edge_db
    receive_all(conn)
    again = chaos_event(conn, 1, "check_in", uuid.uuid4())
    receive(conn, again)  # a booth that made the check-in anew after a restart
    assert counts(path) == (0, 1, 1)


def test_an_event_no_enrollment_made_is_unexpected(
    edge_db: tuple[Path, sqlite3.Connection],
) -> None:
    path, conn = edge_db
    receive_all(conn)
    record_booth_event(conn, card_delivered_event(BOOTH, nik="x", operator="op", at=NOW), NOW)
    assert counts(path) == (0, 0, 1)

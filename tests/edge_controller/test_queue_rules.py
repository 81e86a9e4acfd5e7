"""The queue's rules: a NIK or KK that breaks them is refused with the reason, a NIK
that already waits gets its ticket again, and ``office/queue`` never names a NIK or KK."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge_controller.config.queue import QueueConfig
from edge_controller.ingest.db import connect
from edge_controller.queue import OfficeQueue, QueueEventError
from edge_controller.roster.secret import office_roster_secret
from ektp.messages import EventMessage, encode_message
from ektp.roster_keys import RosterSecret
from kiosk.uplink.events import call_next_event, check_in_event
from tests.edge_controller.ingest_fixtures import WITA, kk_for, nik_for

MORNING = dt.datetime(2026, 3, 10, 8, 0, tzinfo=WITA)


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    connection = connect(tmp_path / "edge.sqlite3")
    yield connection
    connection.close()


@pytest.fixture
def secret(conn: sqlite3.Connection) -> RosterSecret:
    return office_roster_secret(conn)


def checkin(secret: RosterSecret, nik: str, kk: str, booth_id: str = "booth-01") -> EventMessage:
    return check_in_event(
        booth_id,
        nik=nik,
        kk=kk,
        kelurahan="Sambakungan",
        service="new_recording",
        at=MORNING,
        secret=secret,
    )


def office_queue(conn: sqlite3.Connection) -> OfficeQueue:
    return OfficeQueue(conn, QueueConfig(), WITA)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("nik", "kk", "code", "reason"),
    [
        (nik_for(1)[:12] + "0000", kk_for(1), "nik.serial", "serial number"),
        (nik_for(1), kk_for(1)[:12] + "0000", "kk.serial", "family serial number"),
        ("9999" + nik_for(1)[4:], kk_for(1), "nik.region", ""),
        (nik_for(1)[:6] + "32" + nik_for(1)[8:], kk_for(1), "nik.birth_date", ""),
    ],
)
def test_a_nik_or_kk_breaking_the_rules_is_refused_with_the_reason(
    conn: sqlite3.Connection, secret: RosterSecret, nik: str, kk: str, code: str, reason: str
) -> None:
    queue = office_queue(conn)
    event = checkin(secret, nik, kk)
    with pytest.raises(QueueEventError) as caught:
        queue.check_in(event, MORNING)
    assert caught.value.code.startswith(code.split(".", maxsplit=1)[0])
    assert reason in caught.value.english()
    message = queue.message(MORNING)
    assert message.waiting == ()
    (refusal,) = message.refusals  # the booth finds the reason by its request id
    assert refusal.request_id == event.event_id
    assert refusal.code == caught.value.code
    assert refusal.message == caught.value.message
    assert queue.apply(checkin(secret, nik, kk), MORNING)  # applied: refused, listed again
    assert len(queue.message(MORNING).refusals) == 2


def test_a_second_check_in_of_a_waiting_nik_gets_the_same_ticket(
    conn: sqlite3.Connection, secret: RosterSecret
) -> None:
    queue = office_queue(conn)
    first = queue.check_in(checkin(secret, nik_for(1), kk_for(1)), MORNING)
    queue.check_in(checkin(secret, nik_for(2), kk_for(2)), MORNING)
    again_event = checkin(secret, nik_for(1), kk_for(1), booth_id="booth-02")
    again = queue.check_in(again_event, MORNING)

    assert first is not None
    assert again is not None
    assert again.number == first.number == "A-001"
    message = queue.message(MORNING)
    assert [t.number for t in message.waiting] == ["A-001", "A-002"]
    (answer,) = message.refusals
    assert (answer.request_id, answer.code) == (again_event.event_id, "check_in.already_waiting")
    assert answer.existing_number == "A-001"

    queue.apply(call_next_event("booth-01", MORNING), MORNING)  # A-001 is served now
    later = queue.check_in(checkin(secret, nik_for(1), kk_for(1)), MORNING)
    assert later is not None
    assert later.number == "A-003"


def test_a_check_in_sealed_with_another_secret_or_for_another_booth_is_refused(
    conn: sqlite3.Connection, secret: RosterSecret
) -> None:
    queue = office_queue(conn)
    stranger = checkin(RosterSecret.generate(), nik_for(1), kk_for(1))
    with pytest.raises(QueueEventError) as caught:
        queue.check_in(stranger, MORNING)
    assert caught.value.code == "check_in.old_key"

    event = checkin(secret, nik_for(1), kk_for(1))
    moved = event.model_copy(update={"booth_id": "booth-02"})  # replayed as another booth
    with pytest.raises(QueueEventError) as caught:
        queue.check_in(moved, MORNING)
    assert caught.value.code == "check_in.unreadable"
    assert queue.message(MORNING).waiting == ()


def test_no_nik_or_kk_in_the_check_in_or_the_queue_message(
    conn: sqlite3.Connection, secret: RosterSecret
) -> None:
    queue = office_queue(conn)
    events = [checkin(secret, nik_for(n), kk_for(n)) for n in (1, 2, 3)]
    for event in events:
        queue.apply(event, MORNING)
    queue.apply(call_next_event("booth-02", MORNING), MORNING)
    queue.apply(checkin(secret, nik_for(2), kk_for(2)), MORNING)  # already waiting
    payloads = [encode_message(e) for e in events] + [encode_message(queue.message(MORNING))]
    numbers = [nik_for(n) for n in (1, 2, 3)] + [kk_for(n) for n in (1, 2, 3)]
    for payload in payloads:
        assert not any(number.encode() in payload for number in numbers)
    assert len(queue.message(MORNING).waiting) == 2

"""The office queue: numbering, calls from any booth, priority, restarts, wait estimates.

Check-ins carry the NIK and KK sealed with the office roster secret (the one the edge
database holds, as a registered booth gets it); the queue's rules are in
``test_queue_rules.py``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge_controller.config.queue import QueueConfig
from edge_controller.ingest.db import connect
from edge_controller.queue import OfficeQueue
from edge_controller.roster.secret import office_roster_secret, resident_keys
from ektp.messages import EventMessage
from ektp.roster_keys import RosterSecret
from kiosk.uplink.events import call_next_event, check_in_event
from tests.edge_controller.broker_fixtures import Office, office, wait_for
from tests.edge_controller.ingest_fixtures import (
    WITA,
    BoothKit,
    RunningEdge,
    edge_config,
    kk_for,
    make_booth,
    nik_for,
    register,
)

MORNING = dt.datetime(2026, 3, 10, 8, 0, tzinfo=WITA)


SECRETS: dict[str, RosterSecret] = {}


def checkin(
    booth_id: str,
    serial: int,
    at: dt.datetime,
    *,
    priority: bool = False,
    secret: RosterSecret | None = None,
) -> EventMessage:
    return check_in_event(
        booth_id,
        nik=nik_for(serial),
        kk=kk_for(serial),
        kelurahan="Sambakungan",
        service="new_recording",
        priority=priority,
        at=at,
        secret=secret or SECRETS["office"],
    )


def use_office_secret(conn: sqlite3.Connection) -> RosterSecret:
    """The office's roster secret, for the booths of the test to seal check-ins with."""
    SECRETS["office"] = office_roster_secret(conn)
    return SECRETS["office"]


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    connection = connect(tmp_path / "edge.sqlite3")
    use_office_secret(connection)
    yield connection
    connection.close()


def office_queue(conn: sqlite3.Connection, **config: object) -> OfficeQueue:
    return OfficeQueue(conn, QueueConfig.model_validate(config), WITA)  # type: ignore[arg-type]


def numbers(queue: OfficeQueue, now: dt.datetime) -> list[str]:
    return [t.number for t in queue.message(now).waiting]


def test_check_ins_from_two_booths_are_numbered_in_one_line_and_called_from_any_booth(
    conn: sqlite3.Connection,
) -> None:
    queue = office_queue(conn)
    for serial, booth in enumerate(["booth-01", "booth-02", "booth-01"], start=1):
        at = MORNING + dt.timedelta(minutes=serial)
        assert queue.apply(checkin(booth, serial, at), at)
    now = MORNING + dt.timedelta(minutes=5)
    assert numbers(queue, now) == ["A-001", "A-002", "A-003"]

    assert queue.apply(call_next_event("booth-02", now), now)
    message = queue.message(now)
    assert message.called["booth-02"].number == "A-001"
    # the ticket names the resident by the roster look-up key, never the NIK
    secret = office_roster_secret(conn)
    assert (
        message.called["booth-02"].resident_key
        == resident_keys(conn, secret, nik_for(1)).lookup_key
    )
    queue.apply(call_next_event("booth-01", now), now)
    queue.apply(call_next_event("booth-02", now), now)  # booth-02 done with A-001
    message = queue.message(now)
    assert {b: t.number for b, t in message.called.items()} == {
        "booth-01": "A-002",
        "booth-02": "A-003",
    }
    assert message.waiting == ()


def test_a_redelivered_event_changes_nothing(conn: sqlite3.Connection) -> None:
    queue = office_queue(conn)
    event = checkin("booth-01", 1, MORNING)
    assert queue.apply(event, MORNING)
    assert not queue.apply(event, MORNING)
    call = call_next_event("booth-01", MORNING)
    assert queue.apply(call, MORNING)
    assert not queue.apply(call, MORNING)
    assert queue.message(MORNING).called["booth-01"].number == "A-001"


def test_priority_check_ins_go_first_only_when_the_office_enables_it(
    conn: sqlite3.Connection,
) -> None:
    plain = office_queue(conn)
    for serial in (1, 2, 3):
        at = MORNING + dt.timedelta(minutes=serial)
        plain.apply(checkin("booth-01", serial, at, priority=serial == 3), at)
    now = MORNING + dt.timedelta(minutes=9)
    assert numbers(plain, now) == ["A-001", "A-002", "A-003"]

    with_priority = office_queue(conn, priority_enabled=True)
    assert numbers(with_priority, now) == ["A-003", "A-001", "A-002"]
    with_priority.apply(call_next_event("booth-01", now), now)
    assert with_priority.message(now).called["booth-01"].number == "A-003"


def test_restart_keeps_the_queue_and_a_new_day_starts_again_at_one(tmp_path: Path) -> None:
    path = tmp_path / "edge.sqlite3"
    first = connect(path)
    use_office_secret(first)
    queue = office_queue(first)
    queue.apply(checkin("booth-01", 1, MORNING), MORNING)
    queue.apply(checkin("booth-01", 2, MORNING), MORNING)
    queue.apply(call_next_event("booth-02", MORNING), MORNING)
    first.close()

    second = connect(path)
    try:
        again = office_queue(second)
        message = again.message(MORNING)
        assert [t.number for t in message.waiting] == ["A-002"]
        assert message.called["booth-02"].number == "A-001"

        tomorrow = MORNING + dt.timedelta(days=1)
        again.apply(checkin("booth-01", 3, tomorrow), tomorrow)
        assert numbers(again, tomorrow) == ["A-001"]  # yesterday's A-002 has expired
        assert again.message(tomorrow).called == {}
    finally:
        second.close()


def test_wait_estimate_follows_recent_service_times(conn: sqlite3.Connection) -> None:
    queue = office_queue(conn, default_service_minutes=10)
    for serial in range(1, 8):
        queue.apply(checkin("booth-01", serial, MORNING), MORNING)
    assert queue.estimated_wait_minutes(3, MORNING) == 30.0  # no history: the default

    for minute in (0, 6, 12):  # booth-01 calls every 6 minutes
        at = MORNING + dt.timedelta(minutes=minute)
        queue.call_next("booth-01", at)
    now = MORNING + dt.timedelta(minutes=13)
    assert queue.estimated_wait_minutes(3, now) == 18.0
    for minute in (13, 17):  # booth-02 every 4 minutes: two booths serve
        queue.call_next("booth-02", MORNING + dt.timedelta(minutes=minute))
    now = MORNING + dt.timedelta(minutes=18)
    assert queue.estimated_wait_minutes(2, now) == 5.0  # (6 + 4) / 2 x 2 / 2


# --- through the broker: booths learn their ticket from the retained office/queue ---


def test_booths_learn_their_tickets_over_mqtt_and_a_restart_keeps_the_queue(
    office: Office, tmp_path: Path
) -> None:
    kits: list[BoothKit] = [make_booth(office, tmp_path, b) for b in ("booth-01", "booth-02")]
    config = edge_config(office, tmp_path)
    register(config, *kits)
    with contextlib.closing(connect(config.database.path)) as edge_db:
        use_office_secret(edge_db)  # as the booths get it on office/roster_keys
    edge = RunningEdge(config)
    uplinks = [kit.uplink() for kit in kits]
    try:
        for uplink in uplinks:
            uplink.start()
        now = dt.datetime.now(dt.UTC)
        first = checkin("booth-01", 1, now)
        second = checkin("booth-02", 2, now)
        uplinks[0].send_event(first)
        assert uplinks[0].wait_for_ticket(first, timeout=30) is not None
        uplinks[1].send_event(second)

        found = uplinks[1].wait_for_ticket(second, timeout=30)
        assert found is not None
        assert found[0].number == "A-002"
        assert uplinks[0].ticket_for(first)[0].number == "A-001"  # type: ignore[index]

        uplinks[1].send_event(call_next_event("booth-02"))
        assert wait_for(lambda: (uplinks[0].ticket_for(first) or (None, None))[1] == "booth-02")

        edge.stop()
        edge = RunningEdge(config)
        snapshot = edge.service.snapshot_from_thread()
        assert [e.ticket.number for e in snapshot.queue.waiting] == ["A-002"]
        assert snapshot.queue.called["booth-02"].ticket.number == "A-001"
        assert snapshot.queue.waiting[0].estimated_wait_minutes == 10.0
    finally:
        edge.stop()
        for kit in kits:
            kit.close()

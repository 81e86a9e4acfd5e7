"""On mobile duty, local ticket numbers restart at the office's midnight.

A Raspberry Pi often keeps its system clock in UTC (or Europe/London, the image's
default). 07:30 WITA is 23:30 UTC the day before: the resident called first in the
morning must get M-001 of the office's day, not a number in yesterday's row.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from kiosk.config.mobile import MobileSettings
from kiosk.flow.ports import CheckIn
from kiosk.mobile.tickets import MobileStore, MobileTicketDesk
from kiosk.outbox.store import Outbox, Sendable, SendableKind


def resident(nik: str) -> CheckIn:
    return CheckIn(
        service="new_recording",
        nik=nik,
        kk="6403061201090001",
        name="S•••",
        kelurahan="Tasuk",
        in_roster=True,
        documents=("kk",),
    )


@contextlib.contextmanager
def ticket_desk(data_dir: Path, **clock: Any) -> Iterator[tuple[MobileTicketDesk, Outbox]]:
    """Booth-01's mobile ticket desk kept in ``data_dir``, its events sent to the outbox
    there (both closed at the end); ``clock=`` the office's wall clock, if given."""
    store = MobileStore.in_data_dir(data_dir)
    outbox = Outbox(data_dir / "outbox.sqlite")
    try:
        send = outbox.sendables.enqueue
        desk = MobileTicketDesk(store, booth_id="booth-01", send=send, **clock)
        yield desk, outbox
    finally:
        outbox.close()
        store.close()


def test_the_morning_ticket_is_the_first_of_the_office_day(tmp_path: Path) -> None:
    settings = MobileSettings()  # the office is in WITA (Asia/Makassar) unless told otherwise
    utc_clock = [dt.datetime(2026, 11, 23, 15, 30, tzinfo=dt.UTC)]  # 23:30 WITA, Monday
    with ticket_desk(tmp_path, clock=lambda: settings.office_now(utc_clock[0])) as (desk, outbox):
        evening = desk.issue(resident("6403060101900001"))
        utc_clock[0] = dt.datetime(2026, 11, 23, 23, 30, tzinfo=dt.UTC)  # 07:30 WITA Tuesday
        morning = desk.issue(resident("6403060101900002"))
        later = desk.issue(resident("6403060101900003"))
        # each check-in waits in the outbox for the office
        assert outbox.sendables.sendables_waiting(SendableKind.MOBILE_TICKET) == 3

    assert evening.number == "M-001"
    assert morning.number == "M-001"  # a new office day, although UTC still says Monday
    assert later.number == "M-002"
    assert morning.issued_at.date() == dt.date(2026, 11, 24)
    assert morning.issued_at.utcoffset() == dt.timedelta(hours=8)


def test_an_office_in_wib_numbers_by_its_own_midnight(tmp_path: Path) -> None:
    settings = MobileSettings(office_timezone="Asia/Jakarta")
    # 23:30 UTC is 06:30 WIB the next day
    late_utc = dt.datetime(2026, 11, 23, 23, 30, tzinfo=dt.UTC)
    with ticket_desk(tmp_path, clock=lambda: settings.office_now(late_utc)) as (desk, _):
        ticket = desk.issue(resident("6403060101900001"))
    assert ticket.issued_at.date() == dt.date(2026, 11, 24)
    assert ticket.issued_at.utcoffset() == dt.timedelta(hours=7)


def test_a_misspelt_time_zone_is_refused_with_the_reason() -> None:
    with pytest.raises(ValidationError, match="unknown time zone 'Asia/Makasar'"):
        MobileSettings(office_timezone="Asia/Makasar")


def test_events_an_older_version_kept_move_to_the_outbox_once(tmp_path: Path) -> None:
    settings = MobileSettings()
    store = MobileStore.in_data_dir(tmp_path)
    kept_here: list[Sendable] = []
    try:  # an older version kept each check-in's event in this file and sent it from here
        desk = MobileTicketDesk(
            store,
            booth_id="booth-01",
            send=kept_here.append,
            clock=lambda: settings.office_now(dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)),
        )
        desk.issue(resident("6403060101900001"))
        (old,) = kept_here
        with store.transaction() as conn:
            conn.execute(
                "INSERT INTO events (event_id, body, created_at) VALUES (?, ?, ?)",
                (old.record_id, old.payload, "2026-11-23T09:00:00+08:00"),
            )
        with Outbox(tmp_path / "outbox.sqlite") as outbox:
            assert store.hand_over_kept_events(outbox.sendables.enqueue) == 1
            assert store.hand_over_kept_events(outbox.sendables.enqueue) == 0
            (moved,) = outbox.sendables.pending_sendables()
            assert moved.sendable == old
    finally:
        store.close()


def test_a_nik_already_waiting_gets_its_ticket_again(tmp_path: Path) -> None:
    with ticket_desk(tmp_path) as (desk, outbox):
        first = desk.issue(resident("6403060101900001"))
        other = desk.issue(resident("6403060101900002"))
        again = desk.issue(resident("6403060101900001"))
        assert outbox.sendables.sendables_waiting(SendableKind.MOBILE_TICKET) == 2
        called = desk.call_next("booth-01")
        later = desk.issue(resident("6403060101900001"))  # served: a new ticket now

    assert (first.number, other.number, again.number) == ("M-001", "M-002", "M-001")
    assert called is not None
    assert called.number == "M-001"
    assert later.number == "M-003"

"""On mobile duty, local ticket numbers restart at the office's midnight.

A Raspberry Pi often keeps its system clock in UTC (or Europe/London, the image's
default). 07:30 WITA is 23:30 UTC the day before: the resident called first in the
morning must get M-001 of the office's day, not a number in yesterday's row.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import ValidationError

from kiosk.flow.ports import CheckIn
from kiosk.mobile.duty import MobileSettings
from kiosk.mobile.tickets import MobileStore, MobileTicketDesk


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


def test_the_morning_ticket_is_the_first_of_the_office_day(tmp_path: Path) -> None:
    settings = MobileSettings()  # the office is in WITA (Asia/Makassar) unless told otherwise
    utc_clock = [dt.datetime(2026, 11, 23, 15, 30, tzinfo=dt.UTC)]  # 23:30 WITA, Monday
    store = MobileStore.in_data_dir(tmp_path)
    try:
        desk = MobileTicketDesk(
            store, booth_id="booth-01", clock=lambda: settings.office_now(utc_clock[0])
        )
        evening = desk.issue(resident("6403060101900001"))
        utc_clock[0] = dt.datetime(2026, 11, 23, 23, 30, tzinfo=dt.UTC)  # 07:30 WITA Tuesday
        morning = desk.issue(resident("6403060101900002"))
        later = desk.issue(resident("6403060101900003"))
    finally:
        store.close()

    assert evening.number == "M-001"
    assert morning.number == "M-001"  # a new office day, although UTC still says Monday
    assert later.number == "M-002"
    assert morning.issued_at.date() == dt.date(2026, 11, 24)
    assert morning.issued_at.utcoffset() == dt.timedelta(hours=8)


def test_an_office_in_wib_numbers_by_its_own_midnight(tmp_path: Path) -> None:
    settings = MobileSettings(office_timezone="Asia/Jakarta")
    store = MobileStore.in_data_dir(tmp_path)
    try:
        desk = MobileTicketDesk(
            store,
            booth_id="booth-01",
            # 23:30 UTC is 06:30 WIB the next day
            clock=lambda: settings.office_now(dt.datetime(2026, 11, 23, 23, 30, tzinfo=dt.UTC)),
        )
        ticket = desk.issue(resident("6403060101900001"))
    finally:
        store.close()
    assert ticket.issued_at.date() == dt.date(2026, 11, 24)
    assert ticket.issued_at.utcoffset() == dt.timedelta(hours=7)


def test_a_misspelt_time_zone_is_refused_with_the_reason() -> None:
    with pytest.raises(ValidationError, match="unknown time zone 'Asia/Makasar'"):
        MobileSettings(office_timezone="Asia/Makasar")

"""The outage log and the office's daily and weekly power report, on a scripted day of cuts."""

from __future__ import annotations

import datetime as dt
import sqlite3
from zoneinfo import ZoneInfo

from edge_db_fixtures import edge_db_fixture

from edge_controller.power import (
    POWER_REFUSAL_EVENT,
    OutageLog,
    daily_report,
    weekly_report,
)
from ektp.power import PowerState
from kiosk.power.policy import POWER_REFUSAL_EVENT as BOOTH_REFUSAL_EVENT

__all__ = ["edge_db_fixture"]

WITA = ZoneInfo("Asia/Makassar")  # East Kalimantan, UTC+8
DAY = dt.date(2024, 3, 12)  # a Tuesday


def at(hour: int, minute: int, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=WITA)


def script_day(log: OutageLog) -> None:
    """Tuesday in Gunung Tabur: three PLN cuts, the genset running through the long one."""
    changes = [
        (at(0, 0), PowerState.MAINS),
        (at(8, 10), PowerState.ON_BATTERY),  # cut 1: 8:10-8:55 (45 min)
        (at(8, 20), PowerState.GENERATOR),  # genset 8:20-8:55 (35 min)
        (at(8, 55), PowerState.MAINS),
        (at(11, 0), PowerState.ON_BATTERY),  # cut 2: 11:00-11:12 on battery only (12 min)
        (at(11, 12), PowerState.MAINS),
        (at(14, 30), PowerState.ON_BATTERY),  # cut 3: 14:30-16:00 (90 min)
        (at(14, 40), PowerState.UNKNOWN),  # upsd hung for 5 minutes: still a cut
        (at(14, 45), PowerState.ON_BATTERY),
        (at(15, 0), PowerState.GENERATOR),  # genset 15:00-15:40 (40 min)
        (at(15, 40), PowerState.ON_BATTERY),  # genset out of fuel
        (at(15, 50), PowerState.LOW_BATTERY),
        (at(15, 51), PowerState.SHUTDOWN),
        (at(16, 0), PowerState.MAINS),
    ]
    for moment, state in changes:
        log.record_state(state, moment)


def test_a_scripted_day_of_cuts_gives_the_right_minutes(edge_db: sqlite3.Connection) -> None:
    log = OutageLog(edge_db)
    script_day(log)
    for n, hour in enumerate((11, 14, 15)):
        assert log.record_refusal("booth-01", f"event-{n}", at(hour, 35), "ON_BATTERY")
    assert not log.record_refusal("booth-01", "event-0", at(11, 5))  # re-delivered: once
    log.record_refusal("booth-02", "event-late", at(23, 59, DAY - dt.timedelta(days=1)))

    report = daily_report(edge_db, DAY, WITA)

    assert report.minutes_without_mains == 45 + 12 + 90
    assert report.minutes_on_generator == 35 + 40
    assert report.minutes_on_battery == 45 + 12 + 90 - 35 - 40
    assert report.minutes_ups_unreachable == 5
    assert report.outages == 3
    assert report.refused_captures == 3


def test_every_event_has_start_end_duration_and_source(edge_db: sqlite3.Connection) -> None:
    log = OutageLog(edge_db)
    script_day(log)
    events = log.events()
    assert [e.source for e in events if e.source == "restored"] == ["restored"] * 3
    assert all(e.ended_at is not None for e in events)
    assert log.open_events() == []
    cut_1 = events[0]
    assert (cut_1.source, cut_1.duration()) == ("mains_lost", dt.timedelta(minutes=45))
    low = [e for e in events if e.source == "battery_low"]
    assert [e.duration() for e in low] == [dt.timedelta(minutes=10)]
    assert sum(1 for e in events if e.source == "shutdown") == 1


def test_a_cut_across_midnight_is_split_between_days_and_summed_in_the_week(
    edge_db: sqlite3.Connection,
) -> None:
    log = OutageLog(edge_db)
    log.record_state(PowerState.MAINS, at(0, 0))
    log.record_state(PowerState.ON_BATTERY, at(23, 30))
    log.record_state(PowerState.GENERATOR, at(23, 45))
    log.record_state(PowerState.MAINS, at(0, 30, DAY + dt.timedelta(days=1)))

    tuesday = daily_report(edge_db, DAY, WITA)
    wednesday = daily_report(edge_db, DAY + dt.timedelta(days=1), WITA)
    week = weekly_report(edge_db, DAY, WITA)

    assert (tuesday.minutes_without_mains, tuesday.minutes_on_generator) == (30, 15)
    assert (wednesday.minutes_without_mains, wednesday.minutes_on_generator) == (30, 30)
    assert (week.minutes_without_mains, week.minutes_on_generator) == (60, 45)
    assert week.start == at(0, 0, dt.date(2024, 3, 11))  # the Monday
    assert week.outages == 1


def test_an_outage_still_going_counts_until_now(edge_db: sqlite3.Connection) -> None:
    log = OutageLog(edge_db)
    log.record_state(PowerState.MAINS, at(7, 0))
    log.record_state(PowerState.ON_BATTERY, at(9, 0))
    report = daily_report(edge_db, DAY, WITA, now=at(9, 20))
    assert report.minutes_without_mains == 20
    assert [e.source for e in log.open_events()] == ["mains_lost"]


def test_booth_and_edge_agree_on_the_refusal_event_name() -> None:
    assert POWER_REFUSAL_EVENT == BOOTH_REFUSAL_EVENT

"""A plan for Kecamatan Gunung Tabur from its real published 2012 schedule's numbers.

The office gave each of its 11 villages two days in March 2012 — 3,940 residents of
Gunung Tabur in two days, when one kit recorded ~123 a day. A synthetic roster with
the same per-village wajib-KTP and RT counts goes through our planner: every village is
served, no day asks more of the kits than they can do, and every resident still to be
recorded is invited exactly once.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from edge_db_fixtures import (
    VillageCount,
    gunung_tabur_counts,
    insert_residents,
    schedule_csv_path,
    synthetic_roster,
)

from edge_controller.config.schedule import ScheduleConfig
from edge_controller.ingest.db import connect
from edge_controller.planning.calendar import WorkingCalendar
from edge_controller.planning.schedule import SchedulePlan, plan_schedule
from edge_controller.roster.store import not_recorded, record_enrollment

START = dt.date(2012, 3, 1)  # the office's own first day
NYEPI_2012 = dt.date(2012, 3, 23)
# Like the office in 2012: Saturdays worked, Sundays and holidays off.
CALENDAR = WorkingCalendar(["sunday"], [NYEPI_2012])
ALREADY_RECORDED = 150


@pytest.fixture(scope="module")
def villages() -> list[VillageCount]:
    return gunung_tabur_counts()


@pytest.fixture(scope="module")
def roster_db(tmp_path_factory, villages) -> Iterator[sqlite3.Connection]:
    conn = connect(tmp_path_factory.mktemp("gunung_tabur") / "edge.sqlite3")
    residents = synthetic_roster(villages, adult_on=START)
    insert_residents(conn, residents)
    for resident in random.Random(1).sample(residents, ALREADY_RECORDED):
        record_enrollment(
            conn, resident.nik, f"pkt-{resident.nik}", "booth-01", resident.kelurahan,
            dt.datetime(2012, 2, 28, 10, 0),
        )  # fmt: skip
    yield conn
    conn.close()


@pytest.fixture(scope="module", params=[3, 4], ids=["3 kits", "4 kits"])
def plan(request, roster_db) -> SchedulePlan:
    config = ScheduleConfig(kits=request.param, turnout_share=0.6)
    return plan_schedule(roster_db, start=START, config=config, calendar=CALENDAR)


def test_the_fixture_copy_is_the_published_table(villages) -> None:
    assert len(villages) == 11
    assert sum(v.wajib_ktp for v in villages) == 14784  # the source's own total, kept
    shared = Path(__file__).resolve().parents[2].parent / "shared" / "data"
    shared = shared / "gunung_tabur_2012.csv"
    if shared.exists():  # the shipped copy must stay the published table
        assert schedule_csv_path().read_bytes() == shared.read_bytes()


def test_the_synthetic_roster_matches_the_published_counts(roster_db, villages) -> None:
    for village in villages:
        count, rts = roster_db.execute(
            "SELECT count(*), count(DISTINCT rt) FROM residents WHERE kelurahan = ?",
            (village.kelurahan,),
        ).fetchone()
        assert (count, rts) == (village.wajib_ktp, village.rt_count)


def test_the_plan_serves_the_same_villages(plan, villages) -> None:
    assert sorted(plan.kelurahan) == sorted(v.kelurahan for v in villages)


def test_no_day_plans_more_than_the_kits_can_handle(plan, villages) -> None:
    kits = plan.capacity // 123
    assert plan.capacity == 123 * kits
    for day in plan.days:
        assert day.planned_residents <= day.capacity == plan.capacity
        assert day.planned_residents == math.ceil(day.invited_residents * 0.6)
    # The office's own table asked 3,940 / 2 = 1,970 a day of Gunung Tabur: far beyond.
    office = next(v for v in villages if v.kelurahan == "Gunung Tabur")
    assert office.wajib_ktp / len(office.office_days) > plan.capacity


def test_bigger_villages_get_more_days(plan) -> None:
    gunung_tabur = plan.days_for("Gunung Tabur")
    pulau_besing = plan.days_for("Pulau Besing")
    assert len(gunung_tabur) > len(pulau_besing) >= 1
    assert len(gunung_tabur) > 2  # more than the office's two days
    assert plan.kelurahan[0] == "Gunung Tabur"  # largest first
    assert plan.kelurahan[-1] == "Pulau Besing"  # smallest last


def test_days_skip_sundays_and_the_holiday_and_follow_one_another(plan) -> None:
    dates = [day.date for day in plan.days]
    assert all(date.weekday() != 6 for date in dates)
    assert NYEPI_2012 not in dates
    assert len(set(dates)) == len(dates)
    assert dates == CALENDAR.working_days_between(START, dates[-1])
    assert any(date.weekday() == 5 for date in dates)  # Saturdays worked, as configured


def test_every_resident_still_to_record_is_invited_exactly_once(plan, roster_db) -> None:
    invited = Counter(r.nik for letter in plan.invitations for r in letter.residents)
    expected = {r.nik for r in not_recorded(roster_db, on=START)}
    assert len(expected) == 14784 - ALREADY_RECORDED
    assert set(invited) == expected
    assert set(invited.values()) == {1}
    for day in plan.days:
        letters = plan.invitations_for(day.kelurahan, day.date)
        assert sum(len(letter.residents) for letter in letters) == day.invited_residents
        assert all(r.kelurahan == day.kelurahan for letter in letters for r in letter.residents)


def test_families_are_invited_together(plan) -> None:
    days_of_family: dict[str, set[dt.date]] = {}
    for letter in plan.invitations:
        for resident in letter.residents:
            days_of_family.setdefault(resident.kk, set()).add(letter.date)
    assert all(len(days) == 1 for days in days_of_family.values())


def test_one_kit_stretches_the_campaign_but_stays_within_a_day(roster_db) -> None:
    config = ScheduleConfig(kits=1)
    plan = plan_schedule(roster_db, start=START, config=config, calendar=CALENDAR)
    assert plan.capacity == 123
    assert max(day.planned_residents for day in plan.days) <= 123
    # 3,940 minus the already recorded of Gunung Tabur, at most 205 invited a day.
    pending = sum(day.invited_residents for day in plan.days_for("Gunung Tabur"))
    assert len(plan.days_for("Gunung Tabur")) >= math.ceil(pending / 205)

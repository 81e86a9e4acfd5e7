"""Coverage against the office's target, and the projected date at the current pace.

A small roster worked out by hand: 20 residents must hold a KTP (Tasuk 10: RT 1 six,
RT 2 four; Birang 10), a child who need not, recordings spread over April 2012 with
Good Friday (6 April) off, and the 60% target (12 residents) by 30 April.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from edge_db_fixtures import (
    NumberMaker,
    SyntheticResident,
    edge_db_fixture,  # provides the edge_db fixture
    insert_residents,
)

from edge_controller.config.coverage import CoverageConfig
from edge_controller.planning.calendar import WorkingCalendar
from edge_controller.planning.coverage import (
    ProjectionStatus,
    coverage_report,
    residents_not_recorded,
)
from edge_controller.roster.store import record_enrollment
from ektp.nik import Sex

GOOD_FRIDAY = dt.date(2012, 4, 6)
CALENDAR = WorkingCalendar(["saturday", "sunday"], [GOOD_FRIDAY])
TARGET = CoverageConfig(target_share=0.6, target_date=dt.date(2012, 4, 30))


def adults(numbers: NumberMaker, kelurahan: str, rt: int, count: int, **kw) -> list:
    people = []
    for index in range(count):
        birth = dt.date(1980, 1, 1) + dt.timedelta(days=index)
        people.append(
            SyntheticResident(
                numbers.nik(birth, Sex.FEMALE), numbers.kk(dt.date(2009, 1, 1)),
                f"{kelurahan} {rt}-{index}", Sex.FEMALE, birth, kelurahan, rt, 1, **kw,
            )
        )  # fmt: skip
    return people


@pytest.fixture
def office(edge_db: sqlite3.Connection) -> dict[str, list[SyntheticResident]]:
    numbers = NumberMaker()
    groups = {
        "tasuk_1": adults(numbers, "Tasuk", 1, 6),
        "tasuk_2": adults(numbers, "Tasuk", 2, 4),
        "birang": adults(numbers, "Birang", 1, 9),
        "birang_export": adults(numbers, "Birang", 1, 1, card_status="recorded"),
        "child": [
            SyntheticResident(
                numbers.nik(dt.date(2000, 5, 5), Sex.MALE),
                numbers.kk(dt.date(2009, 1, 1)),
                "Anak",
                Sex.MALE,
                dt.date(2000, 5, 5),
                "Tasuk",
                1,
                1,
            )
        ],
    }
    insert_residents(edge_db, [r for group in groups.values() for r in group])
    t1, t2, b, child = groups["tasuk_1"], groups["tasuk_2"], groups["birang"], groups["child"]
    recordings = {
        dt.date(2012, 4, 2): [t1[0], t1[1]],
        dt.date(2012, 4, 3): [t1[2], t1[3], t2[0]],
        dt.date(2012, 4, 4): [child[0]],  # not wajib KTP: does not count
        dt.date(2012, 4, 5): [b[0]],
        dt.date(2012, 4, 9): [b[1], b[2]],
        dt.date(2012, 4, 10): [b[3]],
        dt.date(2012, 4, 11): [t1[4], t2[1]],
        dt.date(2012, 4, 12): [b[4]],
    }
    for day, people in recordings.items():
        for hour, person in enumerate(people, start=9):
            at = dt.datetime.combine(day, dt.time(hour, 15))
            record_enrollment(edge_db, person.nik, f"p-{person.nik}", "b1", person.kelurahan, at)
    stranger = "6403064101850001"  # recorded here, but not in the roster
    record_enrollment(edge_db, stranger, "p-x", "b1", "Tasuk", dt.datetime(2012, 4, 3, 11))
    return groups


def test_numbers_per_kelurahan_and_rt(edge_db, office) -> None:
    report = coverage_report(edge_db, as_of=dt.date(2012, 4, 9), config=TARGET, calendar=CALENDAR)

    assert (report.total.required, report.total.recorded, report.total.target) == (20, 9, 12)
    tasuk, birang = report.for_kelurahan("Tasuk"), report.for_kelurahan("Birang")
    assert (tasuk.required, tasuk.recorded, tasuk.target) == (10, 5, 6)
    assert (birang.required, birang.recorded, birang.target) == (10, 4, 6)
    assert tasuk.share == 0.5
    assert [(line.rt, line.required, line.recorded) for line in report.rts_of("Tasuk")] == [
        (1, 6, 4),
        (2, 4, 1),
    ]
    waiting = residents_not_recorded(edge_db, as_of=dt.date(2012, 4, 9), kelurahan="Tasuk", rt=2)
    assert [r.nik for r in waiting] == sorted(r.nik for r in office["tasuk_2"][1:])  # one KK each


def test_projection_at_the_current_pace(edge_db, office) -> None:
    report = coverage_report(edge_db, as_of=dt.date(2012, 4, 9), config=TARGET, calendar=CALENDAR)

    # Last 5 working days: 2, 3, 4, 5 and 9 April (Good Friday off): 2+3+0+1+2 = 8 of
    # the required -> 1.6 a day. 3 to go -> ceil(3 / 1.6) = 2 working days -> 11 April.
    projection = report.projection
    assert projection.pace_per_working_day == pytest.approx(1.6)
    assert projection.remaining == 3
    assert projection.projected_date == dt.date(2012, 4, 11)
    assert projection.status is ProjectionStatus.ON_TRACK
    # 15 working days from 10 to 30 April: 3 / 15 a day would do.
    assert projection.needed_per_working_day == pytest.approx(0.2)


def test_not_at_this_pace_when_the_date_comes_too_late(edge_db, office) -> None:
    tight = CoverageConfig(target_share=0.6, target_date=dt.date(2012, 4, 10))
    report = coverage_report(edge_db, as_of=dt.date(2012, 4, 9), config=tight, calendar=CALENDAR)
    assert report.projection.status is ProjectionStatus.NOT_AT_THIS_PACE
    assert report.projection.projected_date == dt.date(2012, 4, 11)
    assert report.projection.needed_per_working_day == pytest.approx(3.0)


def test_not_at_this_pace_when_recording_has_stopped(edge_db, office) -> None:
    ambitious = CoverageConfig(target_share=0.9, target_date=dt.date(2012, 4, 30))
    report = coverage_report(
        edge_db, as_of=dt.date(2012, 4, 20), config=ambitious, calendar=CALENDAR
    )
    # 13 of 20 recorded; 18 needed; nothing recorded from 16 to 20 April.
    assert (report.total.recorded, report.total.target) == (13, 18)
    assert report.projection.pace_per_working_day == 0
    assert report.projection.status is ProjectionStatus.NOT_AT_THIS_PACE
    assert report.projection.projected_date is None


def test_reached_and_when(edge_db, office) -> None:
    report = coverage_report(edge_db, as_of=dt.date(2012, 4, 20), config=TARGET, calendar=CALENDAR)
    # One recorded before (the export), then 2 Apr x2, 3 Apr x3, 5, 9 x2, 10, 11 x2: the
    # 12th lands on 11 April.
    assert report.projection.status is ProjectionStatus.REACHED
    assert report.projection.reached_on == dt.date(2012, 4, 11)
    assert report.total.missing_to_target == 0

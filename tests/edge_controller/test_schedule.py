"""Schedule planning: days sized by demand, within the kits' capacity, invitations per RT."""

from __future__ import annotations

import datetime as dt
import math
import re

import pytest
from edge_db_fixtures import NumberMaker, SyntheticResident

from edge_controller.config.schedule import ScheduleConfig
from edge_controller.planning.calendar import WorkingCalendar
from edge_controller.planning.schedule import plan_for_residents
from edge_controller.planning.schedule_print import render_invitations_html, render_schedule_html
from edge_controller.roster.store import Resident
from ektp.nik import Sex
from ektp.resident import CardStatus

FRIDAY = dt.date(2012, 3, 2)
HOLIDAY = dt.date(2012, 3, 6)  # a Tuesday
WEEKDAYS_ONLY = WorkingCalendar(["saturday", "sunday"], [HOLIDAY])


def resident_of(row: SyntheticResident, *, recorded_on: dt.date | None = None) -> Resident:
    return Resident(
        row.nik, row.kk, row.name, row.sex, row.birth_date, row.kelurahan, row.rt, row.rw,
        row.married, CardStatus(row.card_status), recorded_on,
    )  # fmt: skip


def village(
    name: str, rt_sizes: list[int], numbers: NumberMaker, *, family_size: int = 1
) -> list[Resident]:
    """Adults in RT 1, 2, ... of RW 1, in families of ``family_size``."""
    people = []
    for rt, size in enumerate(rt_sizes, start=1):
        kk = ""
        for index in range(size):
            if index % family_size == 0:
                kk = numbers.kk(dt.date(2008, 1, 1))
            birth = dt.date(1970, 1, 1) + dt.timedelta(days=len(people))
            row = SyntheticResident(
                numbers.nik(birth, Sex.MALE),
                kk,
                f"Warga {name} {index}",
                Sex.MALE,
                birth,
                name,
                rt,
                1,
            )
            people.append(resident_of(row))
    return people


@pytest.fixture
def numbers() -> NumberMaker:
    return NumberMaker()


def test_days_are_sized_by_demand_and_skip_weekends_and_holidays(numbers) -> None:
    residents = village("A", [100, 100, 100], numbers) + village("B", [50], numbers)
    config = ScheduleConfig(kits=1, turnout_share=1.0)

    plan = plan_for_residents(residents, start=FRIDAY, config=config, calendar=WEEKDAYS_ONLY)

    # 1 kit x 8 h at 480/123 min a resident: 123 a day; A needs ceil(300 / 123) = 3 days.
    assert plan.capacity == 123
    assert [(d.date, d.kelurahan, d.invited_residents, d.planned_residents) for d in plan.days] == [
        (dt.date(2012, 3, 2), "A", 100, 100),  # Friday
        (dt.date(2012, 3, 5), "A", 100, 100),  # Monday (weekend skipped)
        (dt.date(2012, 3, 7), "A", 100, 100),  # Wednesday (Tuesday's holiday skipped)
        (dt.date(2012, 3, 8), "B", 50, 50),
    ]
    # The even split falls on RT boundaries: one RT a day.
    assert [(i.date, i.rt, len(i.residents)) for i in plan.invitations_for("A")] == [
        (dt.date(2012, 3, 2), 1, 100),
        (dt.date(2012, 3, 5), 2, 100),
        (dt.date(2012, 3, 7), 3, 100),
    ]


def test_turnout_share_and_rt_split_when_no_rt_boundary_is_close(numbers) -> None:
    residents = village("A", [100, 100, 100], numbers)
    config = ScheduleConfig(kits=1, turnout_share=0.6)

    plan = plan_for_residents(residents, start=FRIDAY, config=config, calendar=WEEKDAYS_ONLY)

    # Up to 123 / 0.6 = 205 invited a day: 2 days of 150; 90 expected each.
    assert [(d.invited_residents, d.planned_residents) for d in plan.days] == [(150, 90)] * 2
    letters = [(i.date, i.rt, len(i.residents), i.part, i.parts) for i in plan.invitations]
    assert letters == [
        (dt.date(2012, 3, 2), 1, 100, 1, 1),
        (dt.date(2012, 3, 2), 2, 50, 1, 2),
        (dt.date(2012, 3, 5), 2, 50, 2, 2),
        (dt.date(2012, 3, 5), 3, 100, 1, 1),
    ]


def test_a_large_rt_is_split_between_families_never_within_one(numbers) -> None:
    residents = village("C", [200], numbers, family_size=2)
    config = ScheduleConfig(kits=1, turnout_share=1.0)

    plan = plan_for_residents(residents, start=FRIDAY, config=config, calendar=WEEKDAYS_ONLY)

    assert [len(i.residents) for i in plan.invitations] == [100, 100]
    first, second = ({r.kk for r in i.residents} for i in plan.invitations)
    assert not first & second


def test_order_minimum_days_and_who_is_left_out(numbers) -> None:
    a = village("A", [10], numbers)
    b = village("B", [10], numbers)
    recorded = resident_of(SyntheticResident(
        numbers.nik(dt.date(1980, 1, 1), Sex.MALE), a[0].kk, "Sudah", Sex.MALE,
        dt.date(1980, 1, 1), "A", 1, 1,
    ), recorded_on=dt.date(2012, 2, 1))  # fmt: skip
    # A's first day is Wednesday 7 March (after B's two days and the holiday); she turns
    # 17 on its second day, so she is left for the next round.
    turns_17_during_visit = resident_of(SyntheticResident(
        numbers.nik(dt.date(1995, 3, 8), Sex.FEMALE), a[0].kk, "Muda", Sex.FEMALE,
        dt.date(1995, 3, 8), "A", 1, 1,
    ))  # fmt: skip
    married_at_16 = resident_of(SyntheticResident(
        numbers.nik(dt.date(1996, 1, 1), Sex.FEMALE), a[0].kk, "Nikah", Sex.FEMALE,
        dt.date(1996, 1, 1), "A", 1, 1, married=True,
    ))  # fmt: skip
    residents = [*a, *b, recorded, turns_17_during_visit, married_at_16]
    config = ScheduleConfig(kits=1, min_days_per_kelurahan=2, kelurahan_order=["b"])

    plan = plan_for_residents(residents, start=FRIDAY, config=config, calendar=WEEKDAYS_ONLY)

    assert [(d.kelurahan, d.day_number, d.days_for_kelurahan) for d in plan.days] == [
        ("B", 1, 2), ("B", 2, 2), ("A", 1, 2), ("A", 2, 2),
    ]  # fmt: skip
    invited = {r.nik for i in plan.invitations_for("A") for r in i.residents}
    assert invited == {r.nik for r in a} | {married_at_16.nik}


def test_printed_schedule_and_letters_in_indonesian_and_english(numbers) -> None:
    residents = village("Tasuk", [3, 2], numbers)
    residents[0] = resident_of(
        SyntheticResident(residents[0].nik, residents[0].kk, "<b>Siti</b>", Sex.MALE,
                          residents[0].birth_date, "Tasuk", 1, 1)
    )  # fmt: skip
    config = ScheduleConfig(kits=2)
    plan = plan_for_residents(residents, start=FRIDAY, config=config, calendar=WEEKDAYS_ONLY)

    table = render_schedule_html(plan, office="Kecamatan Gunung Tabur")
    assert "Jadwal Perekaman KTP-el" in table
    assert "Jumat, 02 Maret 2012" in table
    assert "paling banyak 246 warga per hari" in table
    assert "Tasuk" in table

    letters = render_invitations_html(plan)
    assert letters.count('<section class="letter"') == 2
    assert "Surat Undangan Perekaman KTP-el" in letters
    assert "Kartu Keluarga (KK)" in letters
    assert re.findall(r'<td class="nik">(\d{16})</td>', letters) == [r.nik for r in residents]
    assert "&lt;b&gt;Siti&lt;/b&gt;" in letters
    assert "<b>Siti</b>" not in letters

    english = render_invitations_html(plan, language="en", kelurahan="Tasuk", date=FRIDAY)
    assert "Invitation for e-KTP recording" in english
    assert "Friday, March 2, 2012" in english
    assert "Male" in english
    assert (
        render_invitations_html(plan, date=FRIDAY + dt.timedelta(days=1)).count(
            '<section class="letter"'
        )
        == 0
    )
    assert math.isclose(config.minutes_per_resident, 480 / 123)

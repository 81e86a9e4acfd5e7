"""The coverage the dashboard shows comes from counts the database keeps (issue 20, regency
scale); they must say exactly what counting every resident says, whatever changed them:
a roster import (new residents, a resident moved to another kelurahan, married, found
recorded in the export), recordings from the ingest (one of a resident not yet 17), a
supervisor's rejection that withdraws a recording, and an older database upgraded with
its data already in it.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from edge_db_fixtures import (
    ROSTER_HEADER,
    NumberMaker,
    SyntheticResident,
    roster_csv_rows,
    write_roster_csv,
)

from edge_controller.config.coverage import CoverageConfig
from edge_controller.ingest.db import MIGRATIONS, connect
from edge_controller.planning.calendar import WorkingCalendar
from edge_controller.planning.coverage import (
    CoverageReport,
    coverage_for_residents,
    coverage_report,
)
from edge_controller.review.recordings import withdraw_recording
from edge_controller.roster.store import import_roster, load_residents, record_enrollment
from ektp.nik import Sex

CALENDAR = WorkingCalendar(["saturday", "sunday"], [])
TARGET = CoverageConfig(target_share=0.5, target_date=dt.date(2026, 6, 30))
DAYS = [dt.date(2026, 1, 5), dt.date(2026, 3, 1), dt.date(2026, 3, 16), dt.date(2026, 12, 31)]
HEADER = (*ROSTER_HEADER, "Status KTP")


def people(numbers: NumberMaker) -> list[SyntheticResident]:
    """Adults, a married 16-year-old, a girl turning 17 on 10 March 2026, a 29 February
    birthday, a resident recorded per the export; in two kelurahan and three RTs."""
    births = [dt.date(1970 + i, 1 + i % 12, 1 + i % 27) for i in range(12)] + [
        dt.date(2009, 7, 1),  # married at 16: wajib KTP already
        dt.date(2009, 3, 10),  # 17 on 10 March 2026
        dt.date(2008, 2, 29),  # 17 on 1 March 2025
        dt.date(2012, 5, 5),  # a child
    ]
    residents = []
    for index, birth in enumerate(births):
        sex = Sex.FEMALE if index % 2 else Sex.MALE
        residents.append(
            SyntheticResident(
                numbers.nik(birth, sex),
                numbers.kk(dt.date(2010, 1, 1) + dt.timedelta(days=index)),
                f"Warga {index}",
                sex,
                birth,
                "Tasuk" if index % 3 else "Birang",
                1 + index % 2,
                1,
                married=index == 12,
                card_status="recorded" if index in (3, 4) else "not_recorded",
            )
        )
    return residents


def write_csv(path: Path, residents: list[SyntheticResident]) -> Path:
    rows = [
        [*row, "sudah rekam" if person.card_status == "recorded" else "belum rekam"]
        for row, person in zip(roster_csv_rows(residents), residents, strict=True)
    ]
    return write_roster_csv(path, rows, header=HEADER)


def assert_counts_agree(conn: sqlite3.Connection) -> None:
    """What the dashboard reads equals what counting every resident gives, on each day."""
    residents = load_residents(conn)
    for day in DAYS:
        kept = coverage_report(conn, as_of=day, config=TARGET, calendar=CALENDAR)
        counted = coverage_for_residents(residents, as_of=day, config=TARGET, calendar=CALENDAR)
        assert _view(kept) == _view(counted), day


def _view(report: CoverageReport) -> tuple[object, ...]:
    return (report.total, report.kelurahan, report.rts, report.projection)


def record(conn: sqlite3.Connection, person: SyntheticResident, day: dt.date) -> str:
    packet = f"p-{person.nik}"
    at = dt.datetime.combine(day, dt.time(10), tzinfo=dt.timezone(dt.timedelta(hours=8)))
    record_enrollment(conn, person.nik, packet, "booth-01", person.kelurahan, at)
    return packet


@pytest.fixture
def office(tmp_path: Path) -> tuple[sqlite3.Connection, list[SyntheticResident]]:
    conn = connect(tmp_path / "edge.sqlite3")
    residents = people(NumberMaker())
    report = import_roster(conn, write_csv(tmp_path / "roster.csv", residents[:10]))
    assert report.inserted == 10
    return conn, residents


def test_the_kept_counts_follow_imports_recordings_and_rejections(
    office: tuple[sqlite3.Connection, list[SyntheticResident]], tmp_path: Path
) -> None:
    conn, residents = office
    assert_counts_agree(conn)
    record(conn, residents[0], dt.date(2026, 1, 5))
    record(conn, residents[3], dt.date(2026, 3, 2))  # also recorded per the export
    record(conn, residents[5], dt.date(2026, 3, 16))
    record(conn, residents[12], dt.date(2026, 1, 5))  # recorded before the roster has her
    assert_counts_agree(conn)
    # The next export: six more residents, one moved to Birang, one married, one found
    # recorded before; the new ones include a girl recorded here before she turns 17.
    changed = list(residents)
    changed[1] = SyntheticResident(**{**vars(residents[1]), "kelurahan": "Birang", "rt": 3})
    changed[2] = SyntheticResident(**{**vars(residents[2]), "married": True})
    changed[6] = SyntheticResident(**{**vars(residents[6]), "card_status": "recorded"})
    report = import_roster(conn, write_csv(tmp_path / "roster2.csv", changed))
    assert (report.inserted, report.updated) == (6, 3)
    record(conn, changed[13], dt.date(2026, 3, 2))  # 17 only on 10 March
    record(conn, changed[14], dt.date(2026, 1, 5))
    assert_counts_agree(conn)
    assert withdraw_recording(conn, f"p-{residents[5].nik}")  # the supervisor rejects it
    assert_counts_agree(conn)
    assert coverage_report(
        conn, as_of=dt.date(2026, 3, 16), config=TARGET, calendar=CALENDAR, rts_of=["Tasuk"]
    ).rts == tuple(
        line
        for line in coverage_report(
            conn, as_of=dt.date(2026, 3, 16), config=TARGET, calendar=CALENDAR
        ).rts
        if line.kelurahan == "Tasuk"
    )


def test_an_older_database_gets_its_counts_when_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "edge.sqlite3"
    index = next(
        i for i, migration in enumerate(MIGRATIONS) if "coverage counts" in migration.description
    )
    residents = people(NumberMaker())
    old = connect(path, migrations=MIGRATIONS[:index])
    import_roster(old, write_csv(tmp_path / "roster.csv", residents))
    record(old, residents[0], dt.date(2026, 1, 5))
    record(old, residents[13], dt.date(2026, 3, 2))
    old.close()
    conn = connect(path)
    try:
        assert_counts_agree(conn)
    finally:
        conn.close()

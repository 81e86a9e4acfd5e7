"""Roster import from office spreadsheets, the booths' digest, recordings."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from edge_db_fixtures import (
    NumberMaker,
    SyntheticResident,
    VillageCount,
    edge_db_fixture,  # provides the edge_db fixture
    gunung_tabur_counts,
    insert_residents,
    roster_csv_rows,
    synthetic_roster,
    write_roster_csv,
)

from edge_controller.planning.coverage_counts import office_counts
from edge_controller.roster.csv_rows import RosterFileError
from edge_controller.roster.store import (
    CardStatus,
    Recording,
    import_roster,
    load_residents,
    mask_name,
    not_recorded,
    record_enrollment,
    record_enrollments,
    roster_digest,
)
from ektp.nik import Sex, build_nik

TODAY = dt.date(2012, 3, 1)
VILLAGES = [VillageCount("Tasuk", 2, 6), VillageCount("Birang", 2, 5)]


@pytest.fixture
def residents() -> list[SyntheticResident]:
    return synthetic_roster(VILLAGES, adult_on=TODAY, seed=7)


def table(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
    return [tuple(row) for row in conn.execute("SELECT * FROM residents ORDER BY nik")]


def test_a_clean_export_is_imported_whole(edge_db, tmp_path: Path, residents) -> None:
    path = write_roster_csv(tmp_path / "roster.csv", roster_csv_rows(residents))

    report = import_roster(edge_db, path, today=TODAY)

    assert report.imported
    assert (report.rows_read, report.inserted, report.problems) == (11, 11, ())
    stored = {r.nik: r for r in load_residents(edge_db)}
    assert set(stored) == {r.nik for r in residents}
    first = residents[0]
    assert stored[first.nik].birth_date == first.birth_date
    assert (stored[first.nik].rt, stored[first.nik].kelurahan) == (first.rt, first.kelurahan)
    assert stored[first.nik].married == first.married


def test_spreadsheet_variants_semicolons_bom_and_indonesian_headers(edge_db, tmp_path) -> None:
    nik = build_nik("640306", dt.date(1990, 2, 14), Sex.FEMALE, 12)
    header = ["no nik", "NO_KK", "Nama", "Jenis Kelamin", "Tanggal Lahir", "DESA", "rt", "Rw"]
    row = [f"'{nik}", "6403061502100003", "Siti Aminah", "P", "14/02/1990", "Tasuk", "3", "1"]
    path = write_roster_csv(tmp_path / "r.csv", [row], header=header, delimiter=";", bom=True)

    report = import_roster(edge_db, path, today=TODAY)

    assert report.inserted == 1, [str(p) for p in report.problems]
    (resident,) = load_residents(edge_db)
    assert (resident.nik, resident.kk, resident.sex) == (nik, "6403061502100003", Sex.FEMALE)
    assert resident.birth_date == dt.date(1990, 2, 14)
    assert (resident.kelurahan, resident.rt, resident.rw) == ("Tasuk", 3, 1)


def test_every_bad_row_is_reported_by_line_and_nothing_is_imported(
    edge_db, tmp_path, residents
) -> None:
    rows = roster_csv_rows(residents[:6])
    rows[1][0] = "640306150290001"  # line 3: 15 digits
    rows[2][1] = "6403061313100001"  # line 4: KK month 13
    rows[3][3] = "P" if residents[3].sex is Sex.MALE else "L"  # line 5: sex disagrees with NIK
    rows[4][4] = "01-01-1901"  # line 6: birth date disagrees with the NIK
    rows[5][2] = ""  # line 7: no name
    rows.append(roster_csv_rows(residents[:1])[0])  # line 8: the NIK of line 2 again
    path = write_roster_csv(tmp_path / "bad.csv", rows)

    report = import_roster(edge_db, path, today=TODAY)

    assert not report.imported
    assert table(edge_db) == []
    by_line = {problem.line: problem for problem in report.problems}
    assert sorted(by_line) == [3, 4, 5, 6, 7, 8]
    assert by_line[3].code == "nik.length"
    assert "16 digits" in str(by_line[3])
    assert by_line[4].code == "kk.month"
    assert by_line[5].code == "roster.sex_mismatch"
    assert by_line[6].code == "roster.birth_date_mismatch"
    assert by_line[7].code == "roster.empty_field"
    assert str(by_line[7]) == "line 7 (Name): Name is empty"
    assert by_line[8].code == "roster.duplicate"
    assert by_line[8].params == {"first_line": 2}


def test_skipping_bad_rows_imports_the_good_ones_and_lists_the_skipped(
    edge_db, tmp_path, residents
) -> None:
    rows = roster_csv_rows(residents)
    rows[4][0] = "6403060000000000"
    path = write_roster_csv(tmp_path / "roster.csv", rows)

    report = import_roster(edge_db, path, today=TODAY, skip_bad_rows=True)

    assert report.imported
    assert (report.inserted, report.bad_lines) == (10, (6,))
    assert {r.nik for r in load_residents(edge_db)} == {r.nik for r in residents} - {
        residents[4].nik
    }


def test_reimporting_the_same_file_changes_nothing(edge_db, tmp_path, residents) -> None:
    path = write_roster_csv(tmp_path / "roster.csv", roster_csv_rows(residents))
    import_roster(edge_db, path, today=TODAY)
    before = table(edge_db)

    again = import_roster(edge_db, path, today=TODAY)

    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 11)
    assert table(edge_db) == before

    rows = roster_csv_rows(residents)
    rows[0][2] = "Corrected Name"
    rows[0][6] = "009"
    corrected = import_roster(edge_db, write_roster_csv(tmp_path / "v2.csv", rows), today=TODAY)
    assert (corrected.inserted, corrected.updated, corrected.unchanged) == (0, 1, 10)
    changed = next(r for r in load_residents(edge_db) if r.nik == residents[0].nik)
    assert (changed.name, changed.rt) == ("Corrected Name", 9)


def test_a_configured_kelurahan_list_rejects_other_villages(edge_db, tmp_path, residents) -> None:
    rows = roster_csv_rows(residents)
    for row in rows:
        row[5] = row[5].upper()  # TASUK / BIRANG: same villages, other spelling
    rows[2][5] = "Tanjung Redeb"
    path = write_roster_csv(tmp_path / "roster.csv", rows)

    report = import_roster(edge_db, path, today=TODAY, known_kelurahan=["Tasuk", "Birang"])
    assert [(p.line, p.code) for p in report.problems] == [(4, "roster.kelurahan")]

    imported = import_roster(
        edge_db, path, today=TODAY, known_kelurahan=["Tasuk", "Birang"], skip_bad_rows=True
    )
    assert imported.inserted == 10
    assert {r.kelurahan for r in load_residents(edge_db)} == {"Tasuk", "Birang"}


def test_problems_read_in_indonesian_for_the_dashboard(edge_db, tmp_path, residents) -> None:
    rows = roster_csv_rows(residents[:1])
    rows[0][4] = "31-02-1990"
    report = import_roster(edge_db, write_roster_csv(tmp_path / "r.csv", rows), today=TODAY)
    (problem,) = report.problems
    assert problem.english() == "Birth date “31-02-1990” is not a date (write DD-MM-YYYY)"
    assert problem.localized("id") == "Tanggal lahir “31-02-1990” bukan tanggal (tulis HH-BB-TTTT)"


def test_an_unusable_file_is_refused_as_a_whole(edge_db, tmp_path, residents) -> None:
    no_kk = write_roster_csv(
        tmp_path / "no_kk.csv",
        [row[:1] + row[2:] for row in roster_csv_rows(residents)],
        header=["NIK", "Name", "Sex", "Birth date", "Kelurahan", "RT", "RW", "Married"],
    )
    with pytest.raises(RosterFileError) as missing:
        import_roster(edge_db, no_kk, today=TODAY)
    assert "kk" in str(missing.value)
    with pytest.raises(RosterFileError) as latin1:
        import_roster(edge_db, "NIK;Nama\n1;Jos\xe9\n".encode("latin-1"), today=TODAY)
    assert latin1.value.code == "roster.not_utf8"
    assert table(edge_db) == []


def test_the_booth_digest_finds_a_resident_by_the_nik_typed(edge_db, tmp_path, residents) -> None:
    import_roster(edge_db, write_roster_csv(tmp_path / "r.csv", roster_csv_rows(residents)))
    tasuk = [r for r in residents if r.kelurahan == "Tasuk"]
    recorded = tasuk[0]
    record_enrollment(
        edge_db, recorded.nik, "pkt-1", "booth-01", "Tasuk", dt.datetime(2012, 3, 5, 10, 30)
    )

    digest = roster_digest(edge_db, "Tasuk")

    assert {entry.nik for entry in digest.entries} == {r.nik for r in tasuk}
    entry = digest.find(recorded.nik)
    assert entry is not None
    assert entry.kk == recorded.kk
    assert entry.masked_name == mask_name(recorded.name)
    assert recorded.name not in str(digest.as_message())
    assert (entry.recorded_on, entry.card_status) == (dt.date(2012, 3, 5), CardStatus.RECORDED)
    other = digest.find(tasuk[1].nik)
    assert other is not None
    assert (other.recorded_on, other.card_status) == (None, CardStatus.NOT_RECORDED)
    assert digest.find(residents[-1].nik) is None  # a Birang resident
    message = digest.as_message()
    assert message["v"] == 1
    assert message["kelurahan"] == "Tasuk"


def test_masked_names_show_first_letters_only() -> None:
    assert mask_name("Siti Aminah") == "Si** Am****"
    assert mask_name("Andi bin Umar") == "An** b** Um**"
    assert mask_name(mask_name("Siti Aminah")) == "Si** Am****"


def test_recording_is_idempotent_and_leaves_the_not_recorded_list(edge_db, residents) -> None:
    insert_residents(edge_db, residents[:3])
    first, second, _ = residents[:3]
    at = dt.datetime(2012, 3, 5, 9, 0)

    assert record_enrollment(edge_db, first.nik, "pkt-1", "booth-01", first.kelurahan, at)
    assert not record_enrollment(edge_db, first.nik, "pkt-1", "booth-01", first.kelurahan, at)
    later = at + dt.timedelta(days=1)
    assert not record_enrollment(edge_db, first.nik, "pkt-9", "booth-02", first.kelurahan, later)

    rows = edge_db.execute("SELECT packet_id, recorded_at FROM recordings").fetchall()
    assert [tuple(row) for row in rows] == [("pkt-1", "2012-03-05T09:00:00")]
    waiting = not_recorded(edge_db, first.kelurahan, on=dt.date(2012, 3, 6))
    assert first.nik not in {r.nik for r in waiting}
    assert second.nik in {r.nik for r in waiting}


def test_a_batch_of_recordings_keeps_each_residents_first_and_counts_coverage(
    edge_db, residents
) -> None:
    """The ingest notes a whole batch in one statement: the same as one at a time."""
    insert_residents(edge_db, residents[:4])
    first, second, third, _ = residents[:4]
    at = dt.datetime(2012, 3, 5, 9, 0)
    record_enrollment(edge_db, third.nik, "pkt-0", "booth-03", third.kelurahan, at)

    added = record_enrollments(
        edge_db,
        [
            Recording(first.nik, "pkt-1", "booth-01", first.kelurahan, at),
            Recording(second.nik, "pkt-2", "booth-01", second.kelurahan, at),
            Recording(first.nik, "pkt-3", "booth-02", first.kelurahan, at),  # again: kept first
            Recording(third.nik, "pkt-4", "booth-02", third.kelurahan, at),  # recorded before
        ],
    )

    assert added == 2
    rows = edge_db.execute("SELECT nik, packet_id FROM recordings ORDER BY packet_id").fetchall()
    assert [tuple(row) for row in rows] == [
        (third.nik, "pkt-0"),
        (first.nik, "pkt-1"),
        (second.nik, "pkt-2"),
    ]
    recorded_here = office_counts(edge_db, dt.date(2012, 3, 5)).recorded_by_day
    assert recorded_here == {dt.date(2012, 3, 5): 3}
    assert record_enrollments(edge_db, []) == 0


def test_not_recorded_lists_only_residents_who_must_hold_a_ktp(edge_db) -> None:
    numbers = NumberMaker()
    adult = dt.date(1990, 5, 1)
    turns_17 = dt.date(1995, 3, 10)  # 17 on 2012-03-10
    child_married = dt.date(1996, 1, 1)
    kk = numbers.kk(dt.date(2010, 1, 1))

    def person(birth: dt.date, *, rt: int, married: bool = False, status: str = "not_recorded"):
        return SyntheticResident(
            numbers.nik(birth, Sex.MALE),
            kk,
            "X",
            Sex.MALE,
            birth,
            "Tasuk",
            rt,
            1,
            married,
            status,
        )

    people = [
        person(adult, rt=1),
        person(turns_17, rt=1),
        person(child_married, rt=2, married=True),
        person(adult, rt=2, status="recorded"),  # recorded before, per the export
    ]
    insert_residents(edge_db, people)

    def niks(day: dt.date, rt: int | None = None) -> set[str]:
        return {r.nik for r in not_recorded(edge_db, "Tasuk", rt, on=day)}

    assert niks(dt.date(2012, 3, 9)) == {people[0].nik, people[2].nik}
    assert niks(dt.date(2012, 3, 10)) == {people[0].nik, people[1].nik, people[2].nik}
    assert niks(dt.date(2012, 3, 10), rt=2) == {people[2].nik}


def test_a_whole_office_roster_imports_once_and_reimports_unchanged(edge_db, tmp_path) -> None:
    office = synthetic_roster(gunung_tabur_counts(), adult_on=TODAY)
    path = write_roster_csv(tmp_path / "office.csv", roster_csv_rows(office), delimiter=";")

    first = import_roster(edge_db, path, today=TODAY)
    again = import_roster(edge_db, path, today=TODAY)

    assert (first.inserted, first.problems) == (14784, ())
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 14784)
    assert len(roster_digest(edge_db, "Gunung Tabur").entries) == 3940

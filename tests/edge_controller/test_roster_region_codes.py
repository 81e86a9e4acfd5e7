"""Roster import: a NIK or KK whose province, regency or district does not exist is a bad
row, named by line with the reason in Indonesian for the dashboard; a resident whose NIK
comes from another district (someone who moved here) is a good row."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from edge_db_fixtures import (
    VillageCount,
    edge_db_fixture,  # provides the edge_db fixture
    roster_csv_rows,
    synthetic_roster,
    write_roster_csv,
)

from edge_controller.roster.store import import_roster, load_residents

TODAY = dt.date(2012, 3, 1)


def test_a_region_code_that_does_not_exist_is_a_bad_row(
    edge_db: sqlite3.Connection, tmp_path: Path
) -> None:
    residents = synthetic_roster([VillageCount("Tasuk", 2, 6)], adult_on=TODAY, seed=3)
    rows = roster_csv_rows(residents[:5])
    rows[1][0] = "990306" + rows[1][0][6:]  # line 3: no province 99
    rows[2][0] = "640006" + rows[2][0][6:]  # line 4: no regency 00 in Kalimantan Timur
    rows[3][1] = "640300" + rows[3][1][6:]  # line 5: KK of district 00
    rows[4][0] = "640305" + rows[4][0][6:]  # line 6: Tanjung Redeb, moved here: fine
    path = write_roster_csv(tmp_path / "roster.csv", rows)

    report = import_roster(edge_db, path, today=TODAY)

    assert not report.imported
    assert load_residents(edge_db) == []
    by_line = {problem.line: problem for problem in report.problems}
    assert sorted(by_line) == [3, 4, 5]
    assert (by_line[3].code, by_line[4].code, by_line[5].code) == (
        "nik.province",
        "nik.regency",
        "kk.district",
    )
    assert by_line[3].localized("id") == "Digit ke-1–2 (99) bukan kode provinsi yang dikenal"
    assert str(by_line[4]) == (
        "line 4 (NIK): The 3rd–4th digits (00) are not a known regency in this province"
    )
    assert by_line[5].localized("id").startswith("Digit ke-5–6 (00) bukan kode kecamatan")

    skipped = import_roster(edge_db, path, today=TODAY, skip_bad_rows=True)
    assert skipped.imported
    assert {r.nik for r in load_residents(edge_db)} == {rows[0][0], rows[4][0]}

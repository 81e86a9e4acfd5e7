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

from edge_controller.config.edge import load_edge_config
from edge_controller.roster.importer import ImportOutcome, import_file
from edge_controller.roster.store import import_roster, load_residents
from ektp.regions import RegionTable

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


def _edge_regions(tmp_path: Path, region_toml: str) -> RegionTable:
    """The table ``rekam-edge`` builds from edge.toml's ``[region]``."""
    path = tmp_path / "edge.toml"
    mqtt = (
        '[mqtt]\nhost = "localhost"\nidentity = "edge"\nca_cert_path = "ca.pem"\n'
        'cert_path = "edge.pem"\nkey_path = "edge.key"\n'
    )
    path.write_text(mqtt + "\n[region]\n" + region_toml, encoding="utf-8")
    config = load_edge_config(path)
    return RegionTable.from_config(config.region)


def test_the_office_chooses_how_much_of_the_official_table_checks_the_roster(
    edge_db: sqlite3.Connection, tmp_path: Path
) -> None:
    residents = synthetic_roster([VillageCount("Tasuk", 2, 4)], adult_on=TODAY, seed=5)
    rows = roster_csv_rows(residents[:3])
    rows[1][0] = "640101" + rows[1][0][6:]  # line 3: Batu Sopang, Kabupaten Paser: real
    rows[2][0] = "640199" + rows[2][0][6:]  # line 4: Paser has no district 99
    data = write_roster_csv(tmp_path / "roster.csv", rows).read_bytes()
    at = dt.datetime(2012, 3, 1, 9, tzinfo=dt.UTC)

    def run(regions: RegionTable) -> ImportOutcome:
        return import_file(
            edge_db,
            data,
            language="id",
            imported_by="test",
            file_name="r.csv",
            at=at,
            regions=regions,
        )

    province = 'office_district_code = "640306"\nchecked = "province"\n'
    strict = run(_edge_regions(tmp_path, province))
    assert not strict.ok
    assert strict.problems == [
        "Baris 4, NIK: Digit ke-5–6 (99) bukan kode kecamatan yang dikenal di kabupaten/kota ini"
    ]
    assert load_residents(edge_db) == []

    own_regency = run(_edge_regions(tmp_path, 'checked = "regency"\n'))
    assert own_regency.ok
    assert len(load_residents(edge_db)) == 3

"""The office imports its roster file: ``rekam-edge roster import`` and the dashboard's upload.

What a supervisor sees: the counts after a good file; every bad row with its line
number (in Indonesian first) and nothing written after a bad one; the good rows only
when skipping was asked; each import in the audit log.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_fixtures import Office, csrf_from

from demo.roster import (
    VillageCount,
    roster_csv_rows,
    synthetic_roster,
    write_roster_csv,
)
from edge_controller.audit_log import audit_entries, verify_audit_chain
from edge_controller.cli import DEFAULT_CONFIG_TOML, main
from edge_controller.ingest.db import connect

VILLAGES = (VillageCount("Birang", rt_count=3, wajib_ktp=30),)


def _rows() -> list[list[str]]:
    return roster_csv_rows(synthetic_roster(VILLAGES, adult_on=dt.date(2026, 1, 1), seed=7))


def _config(tmp_path: Path) -> Path:
    database = tmp_path / "edge.sqlite3"
    text = DEFAULT_CONFIG_TOML.replace("/var/lib/rekam/edge.sqlite3", str(database))
    path = tmp_path / "edge.toml"
    path.write_text(text)
    return path


def _residents(db: Path) -> int:
    conn = connect(db)
    try:
        return int(conn.execute("SELECT count(*) FROM residents").fetchone()[0])
    finally:
        conn.close()


def test_cli_imports_a_good_file_and_says_how_many(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    roster = write_roster_csv(tmp_path / "roster.csv", _rows(), delimiter=";", bom=True)
    assert main(["roster", "import", "--config", str(config), str(roster)]) == 0
    out = capsys.readouterr().out
    assert "30 baru" in out, out
    assert _residents(tmp_path / "edge.sqlite3") == 30
    # the same file again changes nothing
    assert main(["roster", "import", "--config", str(config), str(roster), "--lang", "en"]) == 0
    assert "0 new, 0 changed, 30 unchanged" in capsys.readouterr().out


def test_cli_bad_rows_import_nothing_and_are_listed_by_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    rows = _rows()
    rows[3][3] = "X"  # sex: line 5 (the header is line 1)
    rows[10][0] = rows[10][0][:-1]  # a NIK one digit short: line 12
    roster = write_roster_csv(tmp_path / "roster.csv", rows)
    assert main(["roster", "import", "--config", str(config), str(roster)]) == 1
    err = capsys.readouterr().err
    assert "Tidak ada yang diimpor" in err, err
    assert "Baris 5" in err
    assert "Baris 12" in err
    assert _residents(tmp_path / "edge.sqlite3") == 0

    argv = ["roster", "import", "--config", str(config), str(roster), "--skip-bad-rows"]
    assert main([*argv, "--lang", "en"]) == 0
    captured = capsys.readouterr()
    assert "28 new" in captured.out
    assert "2 bad rows were skipped" in captured.out
    assert "Line 5, Sex" in captured.err
    assert _residents(tmp_path / "edge.sqlite3") == 28


def test_cli_refuses_a_file_that_is_not_a_roster(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    latin1 = tmp_path / "roster.csv"
    latin1.write_bytes("NIK,Nama\n1,Sébastien\n".encode("latin-1"))
    assert main(["roster", "import", "--config", str(config), str(latin1), "--lang", "en"]) == 1
    assert "not UTF-8" in capsys.readouterr().err
    missing = tmp_path / "columns.csv"
    missing.write_text("NIK;Nama\n6403060101900001;Siti\n")
    assert main(["roster", "import", "--config", str(config), str(missing), "--lang", "en"]) == 1
    assert "has no column for" in capsys.readouterr().err
    assert _residents(tmp_path / "edge.sqlite3") == 0


def _upload(client: TestClient, data: bytes, *, skip: bool = False) -> object:
    token = csrf_from(client.get("/roster").text)
    form = {"csrf_token": token}
    if skip:
        form["skip_bad_rows"] = "true"
    return client.post(
        "/roster/import", data=form, files={"roster_file": ("roster.csv", data, "text/csv")}
    )


def _db_rows(db: Path, sql: str) -> list[sqlite3.Row]:
    conn = connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_supervisor_uploads_the_roster_and_sees_every_bad_row(
    supervisor: TestClient, web_office: Office, tmp_path: Path
) -> None:
    db = web_office.database_path
    before = _db_rows(db, "SELECT count(*) FROM residents")[0][0]
    rows = _rows()
    rows[0][4] = "31-02-1990"  # not a date: line 2
    bad = write_roster_csv(tmp_path / "bad.csv", rows).read_bytes()
    response = _upload(supervisor, bad)
    assert response.status_code == 422
    assert "Tidak ada yang diimpor" in response.text
    assert "Baris 2" in response.text
    assert _db_rows(db, "SELECT count(*) FROM residents")[0][0] == before

    response = _upload(supervisor, bad, skip=True)
    assert response.status_code == 200
    assert "29 baru" in response.text
    page = supervisor.get("/roster").text
    assert 'data-kelurahan="Birang"' in page
    assert "roster.csv" in page  # the last imports: the uploaded file's name, who, when
    entries = [e for e in _audit(db) if e.event == "roster.imported"]
    assert [(e.fields["by"], e.fields["inserted"], e.fields["skipped"]) for e in entries] == [
        ("camat", 29, 1)
    ]


def _audit(db: Path) -> list:
    conn = connect(db)
    try:
        assert verify_audit_chain(conn) is None
        return list(audit_entries(conn))
    finally:
        conn.close()


def test_operator_sees_the_roster_but_cannot_import(
    operator: TestClient, web_office: Office, tmp_path: Path
) -> None:
    page = operator.get("/roster")
    assert page.status_code == 200
    assert 'id="roster-import"' not in page.text
    data = write_roster_csv(tmp_path / "r.csv", _rows()).read_bytes()
    response = operator.post(
        "/roster/import",
        data={"csrf_token": csrf_from(page.text)},
        files={"roster_file": ("roster.csv", data, "text/csv")},
    )
    assert response.status_code == 403
    assert not _db_rows(
        web_office.database_path, "SELECT 1 FROM residents WHERE kelurahan='Birang'"
    )


def test_an_upload_without_the_csrf_token_is_refused(
    supervisor: TestClient, tmp_path: Path
) -> None:
    data = write_roster_csv(tmp_path / "r.csv", _rows()).read_bytes()
    response = supervisor.post(
        "/roster/import", files={"roster_file": ("roster.csv", data, "text/csv")}
    )
    assert response.status_code in (400, 403)

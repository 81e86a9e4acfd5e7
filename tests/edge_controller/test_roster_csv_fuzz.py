"""Fuzzing the roster import with the files offices really produce, and worse: random
rows, other encodings, a BOM, the wrong delimiter, duplicate NIKs, missing columns,
huge cells. Whatever the file, the import is all or nothing: either every row is in the
database as written, or nothing changed and every refusal names a line (or the file is
refused as a whole with a plain reason). It never crashes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from edge_db_fixtures import VillageCount, roster_csv_rows, synthetic_roster
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge_controller.ingest.db import connect
from edge_controller.roster.csv_rows import RosterFileError
from edge_controller.roster.store import RosterImportReport, import_roster

TODAY = dt.date(2012, 3, 1)
HEADER = ["NIK", "KK", "Nama", "Jenis kelamin", "Tanggal lahir", "Desa", "RT", "RW", "Status"]
POOL = roster_csv_rows(
    synthetic_roster(
        [VillageCount("Tasuk", 3, 30), VillageCount("Birang", 2, 30)], adult_on=TODAY, seed=11
    )
)
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=True,
)
HUGE_CELL = 200_000  # over the csv module's field limit (131,072)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    conn = connect(tmp_path_factory.mktemp("roster-fuzz") / "edge.sqlite3")
    try:
        yield conn
    finally:
        conn.close()


def residents_table(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in conn.execute("SELECT * FROM residents ORDER BY nik")]


def to_csv(rows: list[list[str]], delimiter: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerows(rows)
    return out.getvalue()


cell_noise = st.text(alphabet=st.characters(codec="utf-8"), min_size=0, max_size=30)


@st.composite
def roster_files(draw: Any) -> dict[str, Any]:
    """A roster file and what was done to it."""
    rows = [
        list(row)
        for row in draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=12, unique_by=tuple))
    ]
    header = list(HEADER)
    defects: set[str] = set()
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
    if encoding in ("cp1252", "utf-16"):
        rows[0][2] = "Ma’rufah Señorita"  # text that only UTF-8 spells this way
        defects.add("encoding")
    if draw(st.booleans()):
        for _ in range(draw(st.integers(1, 3))):
            row, column = draw(st.integers(0, len(rows) - 1)), draw(st.integers(0, len(header) - 1))
            rows[row][column] = draw(cell_noise)
            defects.add("noise")
    if draw(st.booleans()) and len(rows) > 1:
        rows.append(list(rows[draw(st.integers(0, len(rows) - 1))]))
        defects.add("duplicate")
    if draw(st.integers(0, 5)) == 0:
        column = draw(st.integers(0, 7))  # a required column
        del header[column]
        for row in rows:
            del row[column]
        defects.add("missing_column")
    if draw(st.integers(0, 8)) == 0:
        rows[draw(st.integers(0, len(rows) - 1))][2] = "A" * HUGE_CELL
        defects.add("huge")
    if draw(st.integers(0, 4)) == 0:
        rows.insert(
            draw(st.integers(0, len(rows))),
            [draw(cell_noise) for _ in range(draw(st.integers(1, 12)))],
        )
        defects.add("noise")
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    if delimiter == "|":
        defects.add("delimiter")
    text = to_csv([header, *rows], delimiter)
    data = text.encode(encoding, errors="replace")
    return {"data": data, "rows": rows, "defects": defects, "lines": text.count("\n") + 1}


def attempt_import(
    db: sqlite3.Connection, data: bytes
) -> tuple[RosterImportReport | None, str | None]:
    """The import's report, or the file-level refusal's text."""
    try:
        return import_roster(db, data, today=TODAY), None
    except RosterFileError as err:
        return None, err.english()


@FUZZ
@given(file=roster_files())
def test_a_roster_file_is_imported_whole_or_not_at_all(
    db: sqlite3.Connection, file: dict[str, Any]
) -> None:
    before = residents_table(db)
    report, refusal = attempt_import(db, file["data"])
    defects = file["defects"]
    if refusal is not None:
        assert refusal, "a refusal says why"
        assert residents_table(db) == before
        if defects & {"encoding", "delimiter", "missing_column"}:
            return
        assert "huge" in defects, f"refused without a file-level defect: {refusal}"
        assert "Line " in refusal
        return
    assert report is not None
    assert not defects & {"encoding", "delimiter", "missing_column", "huge"}, (
        f"{defects} should have refused the file"
    )
    if report.imported:
        assert report.problems == ()
        assert "duplicate" not in defects
        stored = {row[0]: row for row in residents_table(db)}
        for row in (r for r in file["rows"] if any(cell.strip() for cell in r)):
            assert row[0] in stored, f"row of {row[0]} is not in the database"
            assert stored[row[0]][2] == row[2].strip()
    else:
        assert report.problems, "a refused import names its problems"
        assert all(2 <= p.line <= file["lines"] for p in report.problems)
        assert all(p.english() for p in report.problems)
        assert residents_table(db) == before
        if "duplicate" in defects:
            assert any(p.code.endswith("duplicate") for p in report.problems), report.problems


def test_a_cell_over_the_csv_limit_is_refused_naming_its_line(db: sqlite3.Connection) -> None:
    rows = [list(row) for row in POOL[:3]]
    rows[1][2] = "A" * HUGE_CELL
    before = residents_table(db)
    with pytest.raises(RosterFileError) as refused:
        import_roster(db, to_csv([HEADER, *rows], ",").encode(), today=TODAY)
    assert "Line 3 " in refused.value.english()
    assert "Baris 3 " in refused.value.localized("id")
    assert residents_table(db) == before

"""Regency scale: the dashboard's coverage at a million residents, and importing them.

``python -m bench.coverage [--quick]`` prints a table; ``run(quick)`` returns the rows.

Set-up: the edge database (real migrations and triggers, WAL, ``synchronous=FULL``).

1. ``coverage_query_1m``: 1,000,000 residents in 100 kelurahan (births spread over 60
   years, so about a quarter are children; 5% recorded before per the roster export)
   and 400,000 recordings here over the last 350 days; the time of the coverage page's
   query — every kelurahan's line, the office total, the projection and the RT lines
   of the kelurahan shown (:func:`edge_controller.planning.coverage.coverage_report`),
   each on a new connection as the dashboard opens one per request, median of 7 (quick:
   3). Goal: under 100 ms. Baseline, the same run: the same report
   counted from every resident read (:func:`coverage_for_residents` over
   :func:`load_residents`, how the dashboard counted before the kept counts).
2. ``roster_import_1m``: the same number of residents as the office's CSV export
   (about 90 MB), imported into an empty database through
   :func:`edge_controller.roster.importer.import_file` — every row checked, upserted,
   the coverage counts kept — as ``rekam-edge roster import`` does. Baseline: a plain
   ``executemany`` of the same rows into a table of the same shape without checks,
   index or triggers, with one commit (the least any import could cost). Quick mode
   imports the same million: it is the row's point.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import sqlite3
import statistics
import tempfile
import time
from contextlib import closing
from pathlib import Path
from typing import Any

from bench.report import goal, print_table_main
from demo.roster import (
    VillageCount,
    insert_residents,
    roster_csv_rows,
    synthetic_roster,
    write_roster_csv,
)
from edge_controller.config.coverage import CoverageConfig
from edge_controller.ingest.db import connect, transaction
from edge_controller.planning.calendar import WorkingCalendar
from edge_controller.planning.coverage import coverage_for_residents, coverage_report
from edge_controller.roster.importer import import_file
from edge_controller.roster.store import load_residents

RESIDENTS = 1_000_000
RECORDINGS = 400_000
KELURAHAN = 100
AS_OF = dt.date(2026, 11, 23)
CALENDAR = WorkingCalendar(["saturday", "sunday"], [])
TARGET = CoverageConfig(target_share=0.6, target_date=dt.date(2027, 6, 30))
GOAL_MS = 100


def villages() -> list[VillageCount]:
    return [
        VillageCount(f"Kelurahan {number:03d}", 40, RESIDENTS // KELURAHAN)
        for number in range(1, KELURAHAN + 1)
    ]


def regency_database(path: Path) -> sqlite3.Connection:
    """1M residents (a quarter children), 5% recorded per the export, 400k recorded here."""
    rng = random.Random(20)
    # Born up to AS_OF: residents whose 18th birthday is AS_OF or before are adults.
    people = synthetic_roster(villages(), adult_on=AS_OF.replace(year=AS_OF.year + 18))
    people = [
        dataclasses.replace(person, card_status="recorded") if rng.random() < 0.05 else person
        for person in people
    ]
    conn = connect(path)
    insert_residents(conn, people)
    adults = [p for p in people if p.birth_date.replace(month=1, day=1) < dt.date(2008, 1, 1)]
    chosen = rng.sample(adults, RECORDINGS)
    rows = []
    for index, person in enumerate(chosen):
        moment = dt.datetime.combine(AS_OF - dt.timedelta(days=rng.randrange(350)), dt.time(9))
        rows.append((person.nik, f"p-{index}", "booth-01", person.kelurahan, moment.isoformat()))
    with transaction(conn):
        conn.executemany(
            "INSERT INTO recordings (nik, packet_id, booth_id, kelurahan, recorded_at)"
            " VALUES (?, ?, ?, ?, ?)",
            rows,
        )
    return conn


def coverage_rows(root: Path, repeats: int) -> dict[str, Any]:
    database = root / "regency.sqlite3"
    conn = regency_database(database)
    try:
        shown = ["Kelurahan 042"]

        def query() -> Any:
            # on a connection of its own, as the dashboard asks (web.context.run_db):
            # SQLite's page cache starts empty for each request, the file's pages do not
            with closing(connect(database, check_same_thread=False)) as request:
                return coverage_report(
                    request, as_of=AS_OF, config=TARGET, calendar=CALENDAR, rts_of=shown
                )

        query()  # warm the file's pages, as on a dashboard that is in use
        times = []
        for _ in range(repeats):
            began = time.perf_counter()
            report = query()
            times.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        counted = coverage_for_residents(
            load_residents(conn), as_of=AS_OF, config=TARGET, calendar=CALENDAR
        )
        baseline = (time.perf_counter() - began) * 1000
        if (counted.total, counted.kelurahan, counted.projection.status) != (
            report.total,
            report.kelurahan,
            report.projection.status,
        ):
            raise RuntimeError("the kept counts and the counted residents disagree")
    finally:
        conn.close()
    median = statistics.median(times)
    return {
        "name": "coverage_query_1m",
        "value": round(median, 1),
        "unit": "ms",
        "baseline": "every resident read and counted",
        "baseline_value": round(baseline, 1),
        "ratio": round(median / baseline, 4),
        "goal": goal("value", "<", GOAL_MS),
    }


def import_rows(root: Path) -> dict[str, Any]:
    people = synthetic_roster(villages(), adult_on=AS_OF)
    csv_path = write_roster_csv(root / "roster.csv", roster_csv_rows(people))
    data = csv_path.read_bytes()
    conn = connect(root / "import.sqlite3")
    try:
        began = time.perf_counter()
        outcome = import_file(
            conn,
            data,
            language="en",
            imported_by="bench",
            file_name=csv_path.name,
            at=dt.datetime.combine(AS_OF, dt.time(9)),
            progress=lambda done, total, what: None,
        )
        seconds = time.perf_counter() - began
    finally:
        conn.close()
    if not outcome.ok or outcome.report is None or outcome.report.inserted != len(people):
        raise RuntimeError(f"the import failed: {outcome.summary} {outcome.problems[:3]}")
    plain = sqlite3.connect(root / "plain.sqlite3", isolation_level=None)
    try:
        plain.execute("PRAGMA journal_mode=WAL")
        plain.execute("PRAGMA synchronous=FULL")
        plain.execute(
            "CREATE TABLE residents (nik TEXT PRIMARY KEY, kk, name, sex, birth_date,"
            " kelurahan, rt, rw, married, card_status) WITHOUT ROWID"
        )
        values = [person.stored_values() for person in people]
        began = time.perf_counter()
        plain.execute("BEGIN")
        plain.executemany("INSERT INTO residents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
        plain.execute("COMMIT")
        baseline = time.perf_counter() - began
    finally:
        plain.close()
    return {
        "name": "roster_import_1m",
        "value": round(seconds, 1),
        "unit": "s",
        "baseline": f"plain executemany of the same {len(people):,} rows, one commit",
        "baseline_value": round(baseline, 2),
        "ratio": round(seconds / baseline, 1),
    }


def run(quick: bool) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="bench-coverage-") as tmp:
        rows = [coverage_rows(Path(tmp), 3 if quick else 7)]
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        rows.append(import_rows(Path(tmp)))
    return rows


def main(argv: list[str] | None = None) -> None:
    description = __doc__.splitlines()[0]
    print_table_main(run, argv, description=description, quick_help="3 queries instead of 7")


if __name__ == "__main__":
    main()

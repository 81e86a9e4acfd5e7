"""The resident roster: who lives where, who is recorded, and what a booth needs to check in.

The roster comes from the office's spreadsheet export (see :mod:`edge_controller.roster.csv_rows`
for the columns and how rows are checked). An import is all-or-nothing: one bad row
and nothing is written, unless the caller asks to skip bad rows. Importing the same
file twice changes nothing (upsert by NIK); residents missing from a file stay.

Booths get a digest per kelurahan (:func:`roster_digest`, published on
``office/roster/<kelurahan>`` by :mod:`edge_controller.roster.publisher`). On the wire
there is no NIK and no KK: entries sit under each resident's roster look-up key, keyed
with the office roster secret and memory-hard (:mod:`ektp.roster_keys`,
:mod:`edge_controller.roster.secret`), so a NIK's small entropy (known region prefix, a
plausible birth date, a small serial) cannot be enumerated without the secret, and
costs one scrypt per candidate with it. The digest carries the minimum a check-in
needs (masked name, keyed KK check, recording day, card status); see
``docs/THREAT_MODEL.md``.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from edge_controller.audit_log import append_audit
from edge_controller.ingest.db import transaction
from edge_controller.roster.csv_rows import RowProblem, check_rows
from edge_controller.roster.resident_facts import ResidentFacts
from ektp.eligibility import is_wajib_ktp
from ektp.nik import Sex
from ektp.regions import RegionTable
from ektp.resident import CardStatus, format_rt, mask_name

DIGEST_VERSION = 1
_CHUNK = 500
_RECORDINGS_PER_INSERT = 500
"""Rows per recordings INSERT (5 variables each; SQLite allows 32,766)."""
_INSERT_RECORDINGS = (
    "INSERT INTO recordings (nik, packet_id, booth_id, kelurahan, recorded_at)"
    " VALUES {} ON CONFLICT (nik) DO NOTHING"  # {}: "?" marks only
)
PROGRESS_ROWS = 50_000
ImportProgress = Callable[[str, int, int], None]
"""Told ``(step, done, total)`` as an import goes (a large roster takes a while)."""


@dataclass(frozen=True)
class Resident(ResidentFacts):
    """A resident as the roster knows them, with their recording (if any)."""

    married: bool
    card_status: CardStatus
    recorded_on: dt.date | None

    @property
    def is_recorded(self) -> bool:
        """Recorded here, or recorded before according to the roster export."""
        return self.recorded_on is not None or self.card_status is not CardStatus.NOT_RECORDED

    def is_recorded_by(self, day: dt.date) -> bool:
        """Recorded here on or before ``day``, or before according to the roster export."""
        if self.recorded_on is not None:
            return self.recorded_on <= day
        return self.card_status is not CardStatus.NOT_RECORDED

    def is_wajib_ktp(self, on: dt.date) -> bool:
        return self.birth_date <= on and is_wajib_ktp(self.birth_date, self.married, on)

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def effective_card_status(self) -> CardStatus:
        if self.card_status is CardStatus.NOT_RECORDED and self.recorded_on is not None:
            return CardStatus.RECORDED
        return self.card_status


@dataclass(frozen=True)
class ImportAudit:
    """Who imported which file when, for the edge's audit log."""

    by: str
    file_name: str
    at: dt.datetime


@dataclass(frozen=True)
class RosterImportReport:
    """What an import did. ``problems`` lists every bad row with its line number."""

    rows_read: int
    inserted: int
    updated: int
    unchanged: int
    problems: tuple[RowProblem, ...]
    imported: bool
    """False when nothing was written because of bad rows (and skipping was not asked)."""

    @property
    def bad_lines(self) -> tuple[int, ...]:
        return tuple(sorted({problem.line for problem in self.problems}))

    @property
    def skipped(self) -> int:
        return len(self.bad_lines) if self.imported else self.rows_read

    def summary(self) -> str:
        if not self.imported:
            return f"nothing imported: {len(self.bad_lines)} bad row(s) of {self.rows_read}"
        return (
            f"{self.inserted} new, {self.updated} updated, {self.unchanged} unchanged, "
            f"{len(self.bad_lines)} bad row(s) skipped"
        )


_COLUMNS = "nik, kk, name, sex, birth_date, kelurahan, rt, rw, married, card_status"
INSERT_RESIDENT = """
INSERT INTO residents (nik, kk, name, sex, birth_date, kelurahan, rt, rw, married, card_status)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
"""Insert one resident; the parameters are
:meth:`edge_controller.roster.csv_rows.ResidentRow.stored_values`."""
_UPSERT = (
    INSERT_RESIDENT
    + """ON CONFLICT (nik) DO UPDATE SET
    kk = excluded.kk, name = excluded.name, sex = excluded.sex,
    birth_date = excluded.birth_date, kelurahan = excluded.kelurahan, rt = excluded.rt,
    rw = excluded.rw, married = excluded.married, card_status = excluded.card_status
"""
)


def import_roster(
    conn: sqlite3.Connection,
    source: Path | bytes,
    *,
    known_kelurahan: Collection[str] | None = None,
    skip_bad_rows: bool = False,
    today: dt.date | None = None,
    audit: ImportAudit | None = None,
    regions: RegionTable | None = None,
    progress: ImportProgress | None = None,
) -> RosterImportReport:
    """Import a roster CSV (a file path or the uploaded bytes) in one transaction.

    With ``known_kelurahan``, a row naming another village is bad (names match without
    regard to case; the configured spelling is stored). Raises
    :class:`edge_controller.roster.csv_rows.RosterFileError` when the file itself is unusable
    (not UTF-8, no header, a required column missing). With ``audit``, an entry
    ``roster.imported`` (who, which file, the counts) commits with the rows. ``regions``
    is the office's region table (a NIK or KK of a code it refuses is a bad row).
    ``progress(step, done, total)`` hears ``"checking"`` (total 0: not known yet) and
    ``"written"`` per :data:`PROGRESS_ROWS` rows, ``"checked"`` in between.
    """
    data = source.read_bytes() if isinstance(source, Path) else source
    rows, problems, rows_read = check_rows(
        data,
        known_kelurahan=known_kelurahan,
        today=today or dt.date.today(),
        regions=regions or RegionTable.bundled(),
        progress=None if progress is None else lambda done: progress("checking", done, 0),
    )
    if problems and not skip_bad_rows:
        return RosterImportReport(rows_read, 0, 0, 0, tuple(problems), imported=False)
    if progress is not None:
        progress("checked", rows_read, rows_read)
    values = [row.stored_values() for row in rows]
    with transaction(conn):
        existing = _existing_values(conn, [row.nik for row in rows])
        changed = [v for v in values if existing.get(v[0]) != v]
        inserted = sum(1 for v in changed if v[0] not in existing)
        for start in range(0, len(changed), PROGRESS_ROWS):
            conn.executemany(_UPSERT, changed[start : start + PROGRESS_ROWS])
            if progress is not None:
                progress("written", min(start + PROGRESS_ROWS, len(changed)), len(changed))
        report = RosterImportReport(
            rows_read,
            inserted=inserted,
            updated=len(changed) - inserted,
            unchanged=len(values) - len(changed),
            problems=tuple(problems),
            imported=True,
        )
        if audit is not None:
            append_audit(
                conn,
                "roster.imported",
                audit.at,
                by=audit.by,
                file=audit.file_name[:200],
                rows=rows_read,
                inserted=report.inserted,
                updated=report.updated,
                skipped=len(report.bad_lines),
            )
    return report


def _existing_values(conn: sqlite3.Connection, niks: list[str]) -> dict[str, tuple[Any, ...]]:
    found: dict[str, tuple[Any, ...]] = {}
    for start in range(0, len(niks), _CHUNK):
        chunk = niks[start : start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        query = f"SELECT {_COLUMNS} FROM residents WHERE nik IN ({marks})"  # noqa: S608
        for row in conn.execute(query, chunk):
            found[row[0]] = tuple(row)
    return found


def load_residents(
    conn: sqlite3.Connection,
    kelurahan: str | None = None,
    *,
    rt: int | None = None,
    rw: int | None = None,
) -> list[Resident]:
    """Residents with their recording date, ordered by kelurahan, RW, RT, KK, name."""
    clauses, params = [], []
    for column, value in (("kelurahan", kelurahan), ("rt", rt), ("rw", rw)):
        if value is not None:
            clauses.append(f"r.{column} = ?")
            params.append(value)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    query = f"""
        SELECT r.*, substr(rec.recorded_at, 1, 10) AS recorded_on
        FROM residents r LEFT JOIN recordings rec ON rec.nik = r.nik
        {where} ORDER BY r.kelurahan, r.rw, r.rt, r.kk, r.name, r.nik
    """  # noqa: S608 — only fixed column names are interpolated
    return [_resident(row) for row in conn.execute(query, params)]


def _resident(row: sqlite3.Row) -> Resident:
    recorded_on = row["recorded_on"]
    return Resident(
        nik=row["nik"],
        kk=row["kk"],
        name=row["name"],
        sex=Sex(row["sex"]),
        birth_date=dt.date.fromisoformat(row["birth_date"]),
        kelurahan=row["kelurahan"],
        rt=row["rt"],
        rw=row["rw"],
        married=bool(row["married"]),
        card_status=CardStatus(row["card_status"]),
        recorded_on=dt.date.fromisoformat(recorded_on) if recorded_on else None,
    )


def kelurahan_names(conn: sqlite3.Connection) -> list[str]:
    return [row[0] for row in conn.execute("SELECT DISTINCT kelurahan FROM residents ORDER BY 1")]


def not_recorded(
    conn: sqlite3.Connection,
    kelurahan: str | None = None,
    rt: int | None = None,
    *,
    rw: int | None = None,
    on: dt.date | None = None,
) -> list[Resident]:
    """Residents who must hold a KTP on ``on`` (default today) and were not recorded by then."""
    day = on or dt.date.today()
    return [
        resident
        for resident in load_residents(conn, kelurahan, rt=rt, rw=rw)
        if not resident.is_recorded_by(day) and resident.is_wajib_ktp(day)
    ]


# --- the booth's look-up -------------------------------------------------------------
@dataclass(frozen=True)
class DigestEntry:
    """What a booth needs to confirm a check-in: NIK, KK, masked name, recording state."""

    nik: str
    kk: str
    masked_name: str
    rt: str
    rw: str
    recorded_on: dt.date | None
    card_status: CardStatus

    def as_dict(self) -> dict[str, Any]:
        return {
            "nik": self.nik,
            "kk": self.kk,
            "masked_name": self.masked_name,
            "rt": self.rt,
            "rw": self.rw,
            "recorded_on": self.recorded_on.isoformat() if self.recorded_on else None,
            "card_status": self.card_status.value,
        }


@dataclass(frozen=True)
class RosterDigest:
    """One kelurahan's look-up table, published retained on ``office/roster/<kelurahan>``."""

    kelurahan: str
    entries: tuple[DigestEntry, ...]

    def find(self, nik: str) -> DigestEntry | None:
        """The entry for the 16 digits the resident typed, or None."""
        return self._by_nik().get(nik)

    def _by_nik(self) -> dict[str, DigestEntry]:
        return {entry.nik: entry for entry in self.entries}

    def as_message(self) -> dict[str, Any]:
        """The JSON-ready message (versioned with ``"v"``)."""
        return {
            "v": DIGEST_VERSION,
            "kelurahan": self.kelurahan,
            "residents": [entry.as_dict() for entry in self.entries],
        }


def roster_digest(conn: sqlite3.Connection, kelurahan: str) -> RosterDigest:
    """Every resident of ``kelurahan`` (any age: a booth also serves renewals)."""
    entries = tuple(
        DigestEntry(
            nik=resident.nik,
            kk=resident.kk,
            masked_name=resident.masked_name,
            rt=format_rt(resident.rt),
            rw=format_rt(resident.rw),
            recorded_on=resident.recorded_on,
            card_status=resident.effective_card_status,
        )
        for resident in sorted(load_residents(conn, kelurahan), key=lambda r: r.nik)
    )
    return RosterDigest(kelurahan, entries)


# --- recordings ----------------------------------------------------------------------
class Recording(NamedTuple):
    """One resident recorded: the packet that did it, where, and when (office local time:
    its calendar date is the recording day for coverage and pace)."""

    nik: str
    packet_id: str
    booth_id: str
    kelurahan: str
    recorded_at: dt.datetime


def record_enrollment(  # noqa: PLR0917 — the ingest's call, as agreed
    conn: sqlite3.Connection,
    nik: str,
    packet_id: str,
    booth_id: str,
    kelurahan: str,
    recorded_at: dt.datetime,
) -> bool:
    """Note that ``nik`` was recorded; True if new, False if it was already noted.

    Idempotent: a re-sent packet, or a second recording of the same resident, keeps
    the first row. Runs inside the caller's transaction when one is open (the ingest
    commits the packet and this row together).
    """
    recording = Recording(nik, packet_id, booth_id, kelurahan, recorded_at)
    return record_enrollments(conn, [recording]) == 1


def record_enrollments(conn: sqlite3.Connection, recordings: Sequence[Recording]) -> int:
    """:func:`record_enrollment` for many, in order, with one statement per
    :data:`_RECORDINGS_PER_INSERT`; returns how many residents were newly recorded.

    One statement for a batch, not one per resident: each insert fires the coverage
    triggers and may abort on a constraint, so SQLite keeps a statement journal for it —
    a copy of every page it touches (16 KB each), which past 64 KB goes to a temporary
    file unless the connection keeps it in memory. One per packet was ~60 KB of writes
    per packet in an ingest burst, about as much as the packet itself (issue 20).
    """
    added = 0
    for start in range(0, len(recordings), _RECORDINGS_PER_INSERT):
        chunk = recordings[start : start + _RECORDINGS_PER_INSERT]
        values = [
            value
            for r in chunk
            for value in (
                r.nik,
                r.packet_id,
                r.booth_id,
                r.kelurahan,
                r.recorded_at.isoformat(timespec="seconds"),
            )
        ]
        marks = ", ".join(["(?, ?, ?, ?, ?)"] * len(chunk))
        cursor = conn.execute(_INSERT_RECORDINGS.format(marks), values)
        added += cursor.rowcount
    return added

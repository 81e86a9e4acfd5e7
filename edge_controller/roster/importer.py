"""Importing the office's roster file, as the dashboard and ``rekam-edge roster import`` do it.

Both show the same words: a one-line outcome and every bad row with its line number
and column, in the user's language. The import itself is
:func:`edge_controller.roster.store.import_roster` (all or nothing unless bad rows are to be
skipped); the edge's roster publisher sees the change and sends the booths new digests.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Collection
from dataclasses import dataclass

from edge_controller.roster.csv_rows import RosterFileError
from edge_controller.roster.store import (
    ImportAudit,
    ImportProgress,
    RosterImportReport,
    import_roster,
)
from ektp.i18n import N_, translate
from ektp.regions import RegionTable

DOMAIN = "edge_controller"
MAX_FILE_BYTES = 256 * 1024 * 1024
"""A regency's roster of 1,000,000 residents is about 90 MB; far larger is not a roster."""
IMPORT_CACHE_KIB = 64 * 1024
"""SQLite's page cache while importing: a million rows go into the residents table and
its indexes in an order of their own; with the default 2 MB most inserts miss it."""

MSG_IMPORTED = N_(
    "Roster imported: {inserted} new, {updated} changed, {unchanged} unchanged ({rows} rows read)"
)
MSG_SKIPPED = N_("{count} bad rows were skipped; correct them and import the file again")
MSG_NOTHING = N_("Nothing was imported: {count} of {rows} rows are bad. Correct them and try again")
MSG_TOO_LARGE = N_("The file is too large ({size} MB; the limit is {limit} MB)")
MSG_NO_FILE = N_("Choose the roster file (CSV) first")
MSG_LINE = N_("Line {line}, {column}: {problem}")
MSG_CHECKING = N_("{done} of about {total} rows checked")
MSG_CHECKED = N_("{rows} rows checked; writing…")
MSG_WRITTEN = N_("{done} of {total} rows written ({percent}%)")
PROGRESS_MESSAGES = {"checking": MSG_CHECKING, "checked": MSG_CHECKED, "written": MSG_WRITTEN}


@dataclass(frozen=True)
class ImportOutcome:
    """What the user is told: the outcome lines and the bad rows, in one language."""

    ok: bool
    """False when nothing was written (bad rows, or a file that is not a roster)."""
    summary: list[str]
    problems: list[str]
    report: RosterImportReport | None = None


def _t(message: str, language: str, **params: object) -> str:
    return translate(message, language, domain=DOMAIN).format(**params)


def describe(report: RosterImportReport, language: str) -> ImportOutcome:
    """The report in words: the outcome first, then one line per problem."""
    bad = len(report.bad_lines)
    if report.imported:
        summary = [
            _t(
                MSG_IMPORTED,
                language,
                inserted=report.inserted,
                updated=report.updated,
                unchanged=report.unchanged,
                rows=report.rows_read,
            )
        ]
        if bad:
            summary.append(_t(MSG_SKIPPED, language, count=bad))
    else:
        summary = [_t(MSG_NOTHING, language, count=bad, rows=report.rows_read)]
    problems = [
        _t(
            MSG_LINE,
            language,
            line=problem.line,
            column=problem.column,
            problem=problem.localized(language),
        )
        for problem in sorted(report.problems, key=lambda p: p.line)
    ]
    return ImportOutcome(report.imported, summary, problems, report)


def refused(message: str, language: str, **params: object) -> ImportOutcome:
    """An outcome for a file refused before any row was read."""
    return ImportOutcome(False, [_t(message, language, **params)], [])


def import_file(
    conn: sqlite3.Connection,
    data: bytes,
    *,
    language: str,
    imported_by: str,
    file_name: str,
    at: dt.datetime,
    skip_bad_rows: bool = False,
    known_kelurahan: Collection[str] | None = None,
    regions: RegionTable | None = None,
    progress: ImportProgress | None = None,
) -> ImportOutcome:
    """Check and import ``data``; the outcome is ready to show. Never half-imports.

    ``progress(step, done, total)``: ``"checking"`` first with the file's line count
    as the total, then as :func:`~edge_controller.roster.store.import_roster` tells it
    (its ``"checking"`` steps come without a total: the line count stands).
    """
    if len(data) > MAX_FILE_BYTES:
        return refused(
            MSG_TOO_LARGE,
            language,
            size=round(len(data) / 1e6, 1),
            limit=MAX_FILE_BYTES // 1_000_000,
        )
    if not data:
        return refused(MSG_NO_FILE, language)
    if progress is not None:
        lines = max(0, data.count(b"\n") - 1)
        progress("checking", 0, lines)
        progress = _with_total(progress, lines)
    cache = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute(f"PRAGMA cache_size = {-IMPORT_CACHE_KIB}")
    try:
        report = import_roster(
            conn,
            data,
            skip_bad_rows=skip_bad_rows,
            known_kelurahan=known_kelurahan,
            today=at.date(),
            audit=ImportAudit(by=imported_by, file_name=file_name, at=at),
            regions=regions,
            progress=progress,
        )
    except RosterFileError as err:
        return ImportOutcome(False, [err.localized(language)], [])
    finally:
        conn.execute(f"PRAGMA cache_size = {int(cache)}")
    return describe(report, language)


def _with_total(progress: ImportProgress, lines: int) -> ImportProgress:
    def tell(step: str, done: int, total: int) -> None:
        progress(step, done, total or lines)

    return tell


def progress_line(step: str, done: int, total: int, language: str) -> str:
    """One progress step in words (``rekam-edge roster import`` prints them)."""
    percent = done * 100 // total if total else 100
    return _t(
        PROGRESS_MESSAGES[step],
        language,
        rows=f"{total:,}",
        done=f"{done:,}",
        total=f"{total:,}",
        percent=percent,
    )

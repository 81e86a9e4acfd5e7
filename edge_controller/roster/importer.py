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
from edge_controller.roster.store import ImportAudit, RosterImportReport, import_roster
from ektp.i18n import N_, translate
from ektp.regions import RegionTable

DOMAIN = "edge_controller"
MAX_FILE_BYTES = 32 * 1024 * 1024
"""A roster of 100,000 residents is about 10 MB; anything far larger is not a roster."""

MSG_IMPORTED = N_(
    "Roster imported: {inserted} new, {updated} changed, {unchanged} unchanged ({rows} rows read)"
)
MSG_SKIPPED = N_("{count} bad rows were skipped; correct them and import the file again")
MSG_NOTHING = N_("Nothing was imported: {count} of {rows} rows are bad. Correct them and try again")
MSG_TOO_LARGE = N_("The file is too large ({size} MB; the limit is {limit} MB)")
MSG_NO_FILE = N_("Choose the roster file (CSV) first")
MSG_LINE = N_("Line {line}, {column}: {problem}")


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
) -> ImportOutcome:
    """Check and import ``data``; the outcome is ready to show. Never half-imports."""
    if len(data) > MAX_FILE_BYTES:
        return refused(
            MSG_TOO_LARGE,
            language,
            size=round(len(data) / 1e6, 1),
            limit=MAX_FILE_BYTES // 1_000_000,
        )
    if not data:
        return refused(MSG_NO_FILE, language)
    try:
        report = import_roster(
            conn,
            data,
            skip_bad_rows=skip_bad_rows,
            known_kelurahan=known_kelurahan,
            today=at.date(),
            audit=ImportAudit(by=imported_by, file_name=file_name, at=at),
            regions=regions,
        )
    except RosterFileError as err:
        return ImportOutcome(False, [err.localized(language)], [])
    return describe(report, language)

"""The roster page: residents per village, the last imports, and the upload (supervisors).

``GET /roster`` is for every logged-in user; ``POST /roster/import`` (a multipart
form with the CSV, ``skip_bad_rows`` and the session's CSRF token) for supervisors.
The outcome is shown on the same page: the counts, or every bad row with its line
number and column, in the user's language; a file with a bad row changes nothing
unless the supervisor asked to skip bad rows. Each import is in the edge's audit log.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from edge_controller.audit_log import audit_entries
from edge_controller.roster.importer import MAX_FILE_BYTES, ImportOutcome, import_file
from edge_controller.web.auth import User, check_csrf
from edge_controller.web.context import (
    CurrentUser,
    Supervisor,
    get_deps,
    language,
    render_page,
    run_db,
)
from ektp.regions import RegionTable

pages_router = APIRouter(include_in_schema=False)
RECENT_IMPORTS = 5


@dataclass(frozen=True)
class VillageRoster:
    kelurahan: str
    residents: int
    recorded: int


@dataclass(frozen=True)
class PastImport:
    at: dt.datetime
    by: str
    file: str
    rows: int
    inserted: int
    updated: int
    skipped: int


def roster_overview(conn: sqlite3.Connection) -> tuple[list[VillageRoster], list[PastImport]]:
    villages = [
        VillageRoster(row[0], row[1], row[2])
        for row in conn.execute(
            "SELECT r.kelurahan, count(*), count(c.nik) FROM residents r"
            " LEFT JOIN recordings c ON c.nik = r.nik GROUP BY r.kelurahan ORDER BY r.kelurahan"
        )
    ]
    imports = [
        PastImport(
            dt.datetime.fromisoformat(entry.at),
            str(entry.fields.get("by", "")),
            str(entry.fields.get("file", "")),
            int(entry.fields.get("rows", 0)),
            int(entry.fields.get("inserted", 0)),
            int(entry.fields.get("updated", 0)),
            int(entry.fields.get("skipped", 0)),
        )
        for entry in audit_entries(conn, "roster.imported")
    ]
    return villages, imports[-RECENT_IMPORTS:][::-1]


async def _page(
    request: Request, user: User, outcome: ImportOutcome | None = None, status: int = 200
) -> Response:
    villages, imports = await run_db(request, roster_overview)
    return render_page(
        request,
        "roster.html.j2",
        user=user,
        status_code=status,
        villages=villages,
        total=sum(v.residents for v in villages),
        imports=imports,
        outcome=outcome,
        max_megabytes=MAX_FILE_BYTES // 1_000_000,
    )


@pages_router.get("/roster", response_class=HTMLResponse)
async def roster_page(request: Request, user: CurrentUser) -> Response:
    return await _page(request, user)


@pages_router.post("/roster/import", response_class=HTMLResponse)
async def roster_import(
    request: Request,
    user: Supervisor,
    *,
    roster_file: UploadFile,
    skip_bad_rows: Annotated[bool, Form()] = False,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_csrf(request, csrf_token)
    data = await roster_file.read(MAX_FILE_BYTES + 1)
    deps = get_deps(request)
    lang = language(request)
    at = deps.now().astimezone(deps.timezone)
    outcome = await run_db(
        request,
        lambda conn: import_file(
            conn,
            data,
            language=lang,
            imported_by=user.username,
            file_name=roster_file.filename or "roster.csv",
            at=at,
            skip_bad_rows=skip_bad_rows,
            regions=RegionTable.from_config(deps.region),
        ),
    )
    return await _page(request, user, outcome, status=200 if outcome.ok else 422)

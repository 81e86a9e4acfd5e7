"""Server-rendered pages: booths, power, queue, the waiting-room TV, coverage,
schedule, the not-yet-recorded list and (supervisors) users. The outage log and power
report are in :mod:`.power_pages`, forwarding to central in :mod:`.upstream_pages`, login,
logout and passwords in :mod:`.account_pages`.

Every page needs a login except ``/login``, ``/display`` (the TV shows ticket numbers
only) and ``/healthz``. Every POST form carries the session's CSRF token.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from edge_controller.planning.coverage import PROJECTION_LABELS
from edge_controller.planning.schedule_print import render_invitations_html, render_schedule_html
from edge_controller.web import data
from edge_controller.web.account_pages import end_all_sessions, safe_next, see_other
from edge_controller.web.auth import (
    UserError,
    add_user,
    check_csrf,
    list_users,
    set_disabled,
)
from edge_controller.web.context import (
    CurrentUser,
    Supervisor,
    get_deps,
    language,
    render_dashboard_page,
    render_page,
    run_db,
)
from edge_controller.web.data import NotRecordedPage
from edge_controller.web.office_alerts import KIND_LABELS as OFFICE_ALERT_LABELS
from edge_controller.web.office_alerts import open_office_alerts
from ektp.i18n import LANGUAGES

router = APIRouter(include_in_schema=False)
Day = Annotated[dt.date | None, Query(ge=data.EARLIEST_DATE, le=data.LATEST_DATE)]
Kelurahan = Annotated[str | None, Query(min_length=1, max_length=100)]
Number = Annotated[int | None, Query(ge=0, le=999)]
Kits = Annotated[int | None, Query(ge=1, le=100)]
Csrf = Annotated[str, Form(max_length=200)]


def not_recorded_filter(default_limit: int) -> Callable[..., Awaitable[NotRecordedPage]]:
    """The not-recorded list's query (page and API alike): who, as of when, which slice."""

    async def read_page(
        request: Request,
        *,
        kelurahan: Kelurahan = None,
        rt: Number = None,
        rw: Number = None,
        as_of: Day = None,
        limit: Annotated[int, Query(ge=1, le=2000)] = default_limit,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ) -> NotRecordedPage:
        return await data.not_recorded_page(
            request, kelurahan=kelurahan, rt=rt, rw=rw, as_of=as_of, limit=limit, offset=offset
        )

    return read_page


# --- public ----------------------------------------------------------------------


@router.get("/healthz")
async def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.post("/language")
async def switch_language(
    request: Request,
    lang: Annotated[str, Form(max_length=5)] = "",
    csrf_token: Csrf = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    check_csrf(request, csrf_token)
    if lang in LANGUAGES:
        request.session["lang"] = lang
    return see_other(safe_next(next))


@router.get("/display", response_class=HTMLResponse)
async def waiting_room_display(
    request: Request, lang: Annotated[str | None, Query(max_length=5)] = None
) -> Response:
    """The TV in the waiting room: called numbers and their booths, the next in line."""
    if lang in LANGUAGES:
        request.session["lang"] = lang
    queue = await data.queue_snapshot(request)
    return render_page(
        request,
        "display.html.j2",
        user=None,
        refresh_seconds=get_deps(request).web.display_refresh_seconds,
        called=sorted(queue.called.items()),
        next_numbers=[entry.ticket.number for entry in queue.waiting[:8]],
        waiting_count=len(queue.waiting),
    )


# --- dashboard -------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
async def overview(request: Request, user: CurrentUser) -> Response:
    booths = await data.booth_rows(request)
    queue = await data.queue_snapshot(request)
    power = await data.power_view(request)
    upstream, packets = await data.upstream_view(request)
    report = await data.coverage(request)
    return render_dashboard_page(
        request,
        "overview.html.j2",
        user=user,
        booths=booths,
        queue=queue,
        power=power,
        upstream=upstream,
        packets=packets,
        report=report,
        projection_label=PROJECTION_LABELS[report.projection.status],
        office_alerts=await open_office_alerts(request),
        office_alert_labels=OFFICE_ALERT_LABELS,
    )


@router.get("/booths", response_class=HTMLResponse)
async def booths_page(request: Request, user: CurrentUser) -> Response:
    return render_dashboard_page(
        request,
        "booths.html.j2",
        user=user,
        booths=await data.booth_rows(request),
    )


@router.get("/power", response_class=HTMLResponse)
async def power_page(request: Request, user: CurrentUser) -> Response:
    return render_page(request, "power.html.j2", user=user, power=await data.power_view(request))


@router.get("/queue", response_class=HTMLResponse)
async def queue_page(request: Request, user: CurrentUser) -> Response:
    return render_dashboard_page(
        request,
        "queue.html.j2",
        user=user,
        queue=await data.queue_snapshot(request),
    )


@router.get("/coverage", response_class=HTMLResponse)
async def coverage_page(
    request: Request, user: CurrentUser, kelurahan: Kelurahan = None, as_of: Day = None
) -> Response:
    report = await data.coverage(request, as_of, rts_of=kelurahan)
    names = {line.kelurahan for line in report.kelurahan}
    return render_page(
        request,
        "coverage.html.j2",
        user=user,
        report=report,
        projection_label=PROJECTION_LABELS[report.projection.status],
        kelurahan=kelurahan if kelurahan in names else None,
        rts=report.rts_of(kelurahan) if kelurahan is not None and kelurahan in names else [],
    )


@router.get("/schedule", response_class=HTMLResponse)
async def schedule_page(
    request: Request, user: CurrentUser, start: Day = None, kits: Kits = None
) -> Response:
    plan = await data.schedule_plan(request, start, kits)
    return render_page(request, "schedule.html.j2", user=user, plan=plan)


@router.get("/schedule/print", response_class=HTMLResponse)
async def schedule_print(
    request: Request, user: CurrentUser, start: Day = None, kits: Kits = None
) -> Response:
    plan = await data.schedule_plan(request, start, kits)
    office = get_deps(request).office_name
    return HTMLResponse(render_schedule_html(plan, language=language(request), office=office))


@router.get("/schedule/invitations", response_class=HTMLResponse)
async def schedule_invitations(
    request: Request,
    *,
    user: CurrentUser,
    start: Day = None,
    kits: Kits = None,
    kelurahan: Kelurahan = None,
    date: Day = None,
) -> Response:
    plan = await data.schedule_plan(request, start, kits)
    return HTMLResponse(
        render_invitations_html(
            plan,
            language=language(request),
            office=get_deps(request).office_name,
            kelurahan=kelurahan,
            date=date,
        )
    )


@router.get("/not-recorded", response_class=HTMLResponse)
async def not_recorded_page(
    request: Request,
    user: CurrentUser,
    page: Annotated[NotRecordedPage, Depends(not_recorded_filter(default_limit=500))],
) -> Response:
    return render_page(request, "not_recorded.html.j2", user=user, page=page)


# --- supervisors only ------------------------------------------------------------


@router.get("/users", response_class=HTMLResponse)
async def users_page(request: Request, user: Supervisor) -> Response:
    users = await run_db(request, list_users)
    return render_page(request, "users.html.j2", user=user, users=users, error=None, added=None)


@router.post("/users", response_class=HTMLResponse)
async def add_user_form(
    request: Request,
    *,
    user: Supervisor,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    role: Annotated[str, Form(max_length=20)] = "operator",
    display_name: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Csrf = "",
) -> Response:
    check_csrf(request, csrf_token)
    name = username.strip().lower()
    error = None
    try:
        await run_db(
            request,
            lambda conn: add_user(
                conn,
                name,
                password,
                role,
                display_name=display_name.strip(),
                office_name=get_deps(request).office_name,
            ),
        )
    except UserError as err:
        error = err
    users = await run_db(request, list_users)
    return render_page(
        request,
        "users.html.j2",
        user=user,
        users=users,
        error=error,
        added=None if error else name,
        status_code=400 if error else 200,
    )


@router.post("/users/state")
async def change_user_state(
    request: Request,
    user: Supervisor,
    username: Annotated[str, Form(max_length=200)] = "",
    disabled: Annotated[bool, Form()] = True,
    csrf_token: Csrf = "",
) -> Response:
    check_csrf(request, csrf_token)
    if username != user.username:  # a supervisor cannot lock themselves out
        with contextlib.suppress(UserError):
            await run_db(request, lambda conn: set_disabled(conn, username, disabled))
            if disabled:
                await end_all_sessions(request, username)
    return see_other("/users")

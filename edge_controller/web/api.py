"""The JSON API under ``/api/v1`` (login required; the spec is at ``/openapi.json``).

Every input is a typed, bounded query parameter: anything else is answered 422.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from edge_controller.booths.monitor import Alert, BoothView
from edge_controller.queue import QueueEntry
from edge_controller.web import data
from edge_controller.web.api_models import (
    AlertOut,
    BoothOut,
    CoverageLineOut,
    CoverageOut,
    DeviceOut,
    ErrorOut,
    NotRecordedOut,
    PowerOut,
    QueueOut,
    ScheduleDayOut,
    ScheduleOut,
    TicketOut,
    UserOut,
)
from edge_controller.web.auth import User
from edge_controller.web.context import current_user
from edge_controller.web.data import NotRecordedPage
from edge_controller.web.office_alerts import open_office_alerts
from edge_controller.web.pages import Day, Kits, not_recorded_filter

router = APIRouter(
    prefix="/api/v1",
    tags=["edge"],
    responses={401: {"model": ErrorOut, "description": "Not logged in."}},
)
CurrentUser = Annotated[User, Depends(current_user)]


def _booth(view: BoothView, alerts: list[Alert]) -> BoothOut:
    health = view.health
    return BoothOut(
        booth_id=view.booth_id,
        state=view.state,
        software_version=view.software_version,
        last_seen=view.last_seen,
        outbox_depth=view.outbox_depth,
        disk_free_bytes=health.disk_free_bytes if health else None,
        cpu_temperature_c=health.cpu_temperature_c if health else None,
        devices=[
            DeviceOut(name=name, state=d.state, error_count=d.error_count, detail=d.detail)
            for name, d in sorted((health.devices if health else {}).items())
        ],
        alerts=[AlertOut.model_validate(alert) for alert in alerts],
        denied_publishes=view.denied_publishes,
        denied_subscribes=view.denied_subscribes,
    )


def _ticket(entry: QueueEntry) -> TicketOut:
    return TicketOut(
        number=entry.ticket.number,
        service=entry.ticket.service.value,
        kelurahan=entry.ticket.kelurahan,
        priority=entry.priority,
        from_booth=entry.from_booth,
        checked_in_at=entry.ticket.checked_in_at,
        position=entry.position,
        estimated_wait_minutes=entry.estimated_wait_minutes,
        called_by=entry.called_by,
    )


@router.get("/me", summary="The logged-in user")
async def me(user: CurrentUser) -> UserOut:
    return UserOut(username=user.username, role=user.role, display_name=user.display_name)


@router.get("/booths", summary="Booths, their health and open alerts")
async def booths(request: Request, user: CurrentUser) -> list[BoothOut]:
    return [_booth(row.view, row.alerts) for row in await data.booth_rows(request)]


@router.get("/alerts", summary="Open alerts, oldest first (office alerts have no booth)")
async def alerts(request: Request, user: CurrentUser) -> list[AlertOut]:
    rows = await data.booth_rows(request)
    office = await open_office_alerts(request)
    found = sorted([*(a for row in rows for a in row.alerts), *office], key=lambda a: a.alert_id)
    return [AlertOut.model_validate(alert) for alert in found]


@router.get("/queue", summary="Today's queue: waiting and called per booth")
async def queue(request: Request, user: CurrentUser) -> QueueOut:
    snapshot = await data.queue_snapshot(request)
    return QueueOut(
        at=snapshot.at,
        waiting=[_ticket(entry) for entry in snapshot.waiting],
        called={booth: _ticket(entry) for booth, entry in snapshot.called.items()},
        service_minutes=snapshot.service_minutes,
        active_booths=snapshot.active_booths,
    )


@router.get("/power", summary="The office's power: state, battery, runtime (unknown without UPS)")
async def power(request: Request, user: CurrentUser) -> PowerOut:
    return PowerOut(**dataclasses.asdict(await data.power_view(request)))


@router.get("/coverage", summary="Coverage per kelurahan against the target")
async def coverage(request: Request, user: CurrentUser, as_of: Day = None) -> CoverageOut:
    return CoverageOut.model_validate(await data.coverage(request, as_of))


@router.get("/coverage/rts", summary="Coverage per RT of one kelurahan")
async def coverage_rts(
    request: Request,
    user: CurrentUser,
    kelurahan: Annotated[str, Query(min_length=1, max_length=100)],
    as_of: Day = None,
) -> list[CoverageLineOut]:
    report = await data.coverage(request, as_of, rts_of=kelurahan)
    return [CoverageLineOut.model_validate(line) for line in report.rts_of(kelurahan)]


@router.get("/schedule", summary="The recording schedule from a start date")
async def schedule(
    request: Request, user: CurrentUser, start: Day = None, kits: Kits = None
) -> ScheduleOut:
    plan = await data.schedule_plan(request, start, kits)
    return ScheduleOut(
        start=plan.start,
        kits=plan.config.kits,
        capacity=plan.capacity,
        capacity_measured=plan.measured,
        days=[ScheduleDayOut.model_validate(day) for day in plan.days],
    )


@router.get("/not-recorded", summary="Residents who must hold a KTP and are not recorded")
async def not_recorded(
    user: CurrentUser,
    page: Annotated[NotRecordedPage, Depends(not_recorded_filter(default_limit=200))],
) -> NotRecordedOut:
    return NotRecordedOut.model_validate(page)

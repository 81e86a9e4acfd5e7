"""Waktu layanan: where the office's time went on one day — page, print, CSV and JSON.

``/service-times?date=`` shows the waiting distribution, records sealed per hour, the
stage durations (count, median, p90) for the office, each booth and kelurahan, the
operators' throughput and each fingerprint sensor's retry rate against its own seven
days. ``/service-times/print`` is the same for paper, ``/service-times.csv`` for a
spreadsheet, ``/api/v1/service-times?date=`` for programs. Login required.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import Field

from edge_controller.service_times.daily import ServiceDay, service_day, service_day_csv
from edge_controller.service_times.report import (
    CALL_TO_CAPTURE,
    CAPTURE_TO_SEALED,
    VISIT,
    WAITING,
    GroupTimes,
)
from edge_controller.web import data
from edge_controller.web.api_models import ApiOut, api_v1_router
from edge_controller.web.auth import User
from edge_controller.web.context import CurrentUser, get_deps, render_page, run_db
from edge_controller.web.service_times_chart import bar_chart, waiting_histogram
from ektp.i18n import N_

pages_router = APIRouter(include_in_schema=False)
api_router = api_v1_router("service times")
Date = Annotated[
    dt.date | None,
    Query(ge=data.EARLIEST_DATE, le=data.LATEST_DATE, description="Office day; today if none."),
]
STAGE_LABELS = {
    WAITING: N_("Waiting (check-in → called)"),
    CALL_TO_CAPTURE: N_("Called → capture starts"),
    CAPTURE_TO_SEALED: N_("Capture → sealed"),
    VISIT: N_("Whole visit (check-in → sealed)"),
}


async def _service_day(request: Request, date: dt.date | None) -> ServiceDay:
    deps = get_deps(request)
    day = date or deps.today()
    return await run_db(request, lambda conn: service_day(conn, day, deps.timezone))


async def _render(request: Request, template: str, user: User, date: dt.date | None) -> Response:
    view = await _service_day(request, date)
    report = view.report
    return render_page(
        request,
        template,
        user=user,
        view=view,
        report=report,
        stage_labels=STAGE_LABELS,
        waiting_chart=waiting_histogram(report.waiting_seconds),
        hours_chart=bar_chart(
            [(f"{hour:02d}", count) for hour, count in report.sealed_per_hour.items()]
        ),
        operators_chart=bar_chart([(op.operator_id, op.recorded) for op in report.operators]),
    )


@pages_router.get("/service-times", response_class=HTMLResponse)
async def service_times_page(request: Request, user: CurrentUser, date: Date = None) -> Response:
    return await _render(request, "service_times.html.j2", user, date)


@pages_router.get("/service-times/print", response_class=HTMLResponse)
async def service_times_print(request: Request, user: CurrentUser, date: Date = None) -> Response:
    """The daily report alone on a page, for paper (no menu, no forms)."""
    return await _render(request, "service_times_print.html.j2", user, date)


@pages_router.get("/service-times.csv")
async def service_times_csv(request: Request, user: CurrentUser, date: Date = None) -> Response:
    view = await _service_day(request, date)
    name = f"waktu-layanan-{view.report.day.isoformat()}.csv"
    return Response(
        service_day_csv(view),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- JSON API ----------------------------------------------------------------------


class StageOut(ApiOut):
    name: str = Field(description="waiting, call_to_capture, capture_to_sealed or visit.")
    count: int = Field(description="Visits in which both ends of this stage were seen.")
    median_s: float | None
    p90_s: float | None = Field(description="90th percentile (nearest rank), seconds.")


class OperatorOut(ApiOut):
    operator_id: str
    recorded: int = Field(description="Records sealed by this operator on the day.")
    median_capture_s: float | None = Field(description="Median capture start → sealed.")
    per_hour: float | None = Field(description="Residents per hour, first call to last seal.")


class GroupOut(ApiOut):
    group: str
    called: int
    abandoned: int
    abandon_rate: float | None
    stages: list[StageOut]


class FingerOut(ApiOut):
    finger: str
    count: int = Field(description="Times this finger was done on the sensor.")
    retry_rate: float = Field(description="Retries per finger.")
    exception_rate: float = Field(description="Share marked as exceptions.")


class SensorOut(ApiOut):
    sensor: str
    booth_id: str
    fingers: int
    retry_rate: float | None = Field(description="Retries per finger on the day.")
    exception_rate: float | None = Field(description="Share of fingers marked as exceptions.")
    baseline_retry_rate: float | None = Field(description="Retries per finger, 7 days before.")
    alert: bool = Field(description="Today's retry rate is at least twice the baseline.")
    per_finger: list[FingerOut]


class ServiceTimesOut(ApiOut):
    date: dt.date
    stages: list[StageOut]
    operators: list[OperatorOut]
    called: int
    abandoned: int
    abandon_rate: float | None
    handed_over: int = Field(description="Printed cards handed over.")
    booths: list[GroupOut]
    kelurahan: list[GroupOut]
    sensors: list[SensorOut]


def _stages(group: GroupTimes) -> list[StageOut]:
    return [StageOut.model_validate(stage, from_attributes=True) for stage in group.stages]


def service_times_out(view: ServiceDay) -> ServiceTimesOut:
    report = view.report
    groups = {
        scope: [GroupOut.model_validate(g, from_attributes=True) for g in groups]
        for scope, groups in (("booths", report.booths), ("kelurahan", report.kelurahan))
    }
    return ServiceTimesOut(
        date=report.day,
        stages=_stages(report.office),
        operators=[OperatorOut.model_validate(op, from_attributes=True) for op in report.operators],
        called=report.office.called,
        abandoned=report.office.abandoned,
        abandon_rate=report.office.abandon_rate,
        handed_over=report.handed_over,
        booths=groups["booths"],
        kelurahan=groups["kelurahan"],
        sensors=[
            SensorOut(
                sensor=s.sensor,
                booth_id=s.booth_id,
                fingers=s.fingers,
                retry_rate=s.retry_rate,
                exception_rate=s.exception_rate,
                baseline_retry_rate=s.baseline_rate,
                alert=s.doubled,
                per_finger=[
                    FingerOut.model_validate(f, from_attributes=True)
                    for f in view.fingers_of(s.sensor)
                ],
            )
            for s in view.sensors
        ],
    )


@api_router.get("/service-times", summary="Stage durations, operators and sensors on one day")
async def service_times_api(
    request: Request, user: CurrentUser, date: Date = None
) -> ServiceTimesOut:
    return service_times_out(await _service_day(request, date))

"""The outage log and the power report per day and ISO week: pages, a printable form,
and the same data in the JSON API (``/api/v1/power/outages``, ``/api/v1/power/report``).

Linked from the overview's power card and the power page. Login required.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated

from babel.numbers import format_decimal
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import Field

from edge_controller.power.outages import PowerReport
from edge_controller.web.api_models import ApiOut, api_v1_router
from edge_controller.web.auth import User
from edge_controller.web.context import CurrentUser, language, render_page
from edge_controller.web.pages import Day
from edge_controller.web.power_data import (
    SOURCE_LABELS,
    OutageLogPage,
    OutageRow,
    Period,
    PowerReportPage,
    outage_log_page,
    power_report_page,
)

pages_router = APIRouter(include_in_schema=False)
api_router = api_v1_router("power")
PeriodQuery = Annotated[Period, Query(description="day, or week (the ISO week holding day).")]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


def minutes_text(lang: str) -> Callable[[float], str]:
    """A template helper: minutes written the office's way (``12,5`` in Indonesian)."""
    return lambda minutes: format_decimal(minutes, format="#,##0.#", locale=lang)


# --- pages -------------------------------------------------------------------------


@pages_router.get("/power/outages", response_class=HTMLResponse)
async def outages_page(
    request: Request, user: CurrentUser, limit: Limit = 50, offset: Offset = 0
) -> Response:
    page = await outage_log_page(request, limit=limit, offset=offset)
    return render_page(
        request,
        "power_outages.html.j2",
        user=user,
        page=page,
        source_labels=SOURCE_LABELS,
        minutes=minutes_text(language(request)),
    )


async def _render_report(
    request: Request, template: str, user: User, day: dt.date | None, period: Period
) -> Response:
    page = await power_report_page(request, day=day, period=period)
    return render_page(
        request, template, user=user, page=page, minutes=minutes_text(language(request))
    )


@pages_router.get("/power/report", response_class=HTMLResponse)
async def report_page(
    request: Request, user: CurrentUser, day: Day = None, period: PeriodQuery = "day"
) -> Response:
    return await _render_report(request, "power_report.html.j2", user, day, period)


@pages_router.get("/power/report/print", response_class=HTMLResponse)
async def report_print(
    request: Request, user: CurrentUser, day: Day = None, period: PeriodQuery = "day"
) -> Response:
    """The report alone on a page, for paper (no menu, no forms)."""
    return await _render_report(request, "power_report_print.html.j2", user, day, period)


# --- JSON API ----------------------------------------------------------------------


class OutageEventOut(ApiOut):
    event_id: int
    source: str = Field(
        description="mains_lost, generator_on, battery_low, ups_unreachable (intervals); "
        "restored, shutdown (instants)."
    )
    started_at: dt.datetime
    ended_at: dt.datetime | None = Field(description="None while it lasts.")
    duration_minutes: float | None = Field(
        description="Length so far (until now while it lasts); None for an instant."
    )
    ongoing: bool
    detail: str


class OutageLogOut(ApiOut):
    total: int = Field(description="Events in the whole log.")
    offset: int
    limit: int
    events: list[OutageEventOut] = Field(description="Newest first.")


class PowerSumsOut(ApiOut):
    starts_at: dt.datetime = Field(description="Office-local midnight the period starts.")
    ends_at: dt.datetime = Field(description="Office-local midnight after the period.")
    minutes_without_mains: float
    minutes_on_generator: float
    minutes_on_battery: float = Field(description="Without mains and not on the generator.")
    minutes_ups_unreachable: float
    outages: int = Field(description="Mains cuts that began in the period.")
    refused_captures: int = Field(description="Recordings the booths refused for power.")


class PowerDayOut(PowerSumsOut):
    date: dt.date


class PowerReportOut(PowerSumsOut):
    period: Period
    first_day: dt.date
    last_day: dt.date
    iso_year: int
    iso_week: int
    days: list[PowerDayOut] = Field(description="One line per day (one for a day's report).")


def _sums(report: PowerReport) -> dict[str, object]:
    return {
        "starts_at": report.start,
        "ends_at": report.end,
        "minutes_without_mains": report.minutes_without_mains,
        "minutes_on_generator": report.minutes_on_generator,
        "minutes_on_battery": report.minutes_on_battery,
        "minutes_ups_unreachable": report.minutes_ups_unreachable,
        "outages": report.outages,
        "refused_captures": report.refused_captures,
    }


def _event(row: OutageRow) -> OutageEventOut:
    length = {"duration_minutes": row.duration_minutes, "ongoing": row.ongoing}
    return OutageEventOut.model_validate({**vars(row.event), **length})


def report_out(page: PowerReportPage) -> PowerReportOut:
    year, week = page.iso_week
    return PowerReportOut.model_validate(
        {
            **_sums(page.report),
            "period": page.period,
            "first_day": page.first_day,
            "last_day": page.last_day,
            "iso_year": year,
            "iso_week": week,
            "days": [{**_sums(line.report), "date": line.day} for line in page.days],
        }
    )


def outage_log_out(page: OutageLogPage) -> OutageLogOut:
    return OutageLogOut(
        total=page.total,
        offset=page.offset,
        limit=page.limit,
        events=[_event(row) for row in page.rows],
    )


@api_router.get("/power/outages", summary="The outage log, newest first, one page")
async def outages(
    request: Request, user: CurrentUser, limit: Limit = 50, offset: Offset = 0
) -> OutageLogOut:
    return outage_log_out(await outage_log_page(request, limit=limit, offset=offset))


@api_router.get(
    "/power/report", summary="Minutes without mains, on generator, on battery; refusals"
)
async def report(
    request: Request, user: CurrentUser, day: Day = None, period: PeriodQuery = "day"
) -> PowerReportOut:
    return report_out(await power_report_page(request, day=day, period=period))

"""Mobile recording ("Perekaman keliling"): what booths recorded away from the office.

Tickets a booth numbered itself on mobile duty reach the edge as events when it comes
back (:mod:`edge_controller.mobile.stats` merges each once); this page and
``/api/v1/mobile`` show them per day and kelurahan. They never enter the live queue.
"""

from __future__ import annotations

import dataclasses

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from edge_controller.mobile.stats import MobileDay, mobile_statistics
from edge_controller.web.api_models import ApiOut, api_v1_router
from edge_controller.web.context import CurrentUser, render_page, run_db

pages_router = APIRouter(include_in_schema=False)
api_router = api_v1_router("mobile")


async def _days(request: Request) -> list[MobileDay]:
    return await run_db(request, mobile_statistics)


@pages_router.get("/mobile", response_class=HTMLResponse)
async def mobile_page(request: Request, user: CurrentUser) -> Response:
    return render_page(request, "mobile.html.j2", user=user, days=await _days(request))


class MobileDayOut(ApiOut):
    day: str
    kelurahan: str
    checked_in: int
    served: int
    mean_service_minutes: float | None


class MobileOut(ApiOut):
    days: list[MobileDayOut]


@api_router.get("/mobile", response_model=MobileOut, summary="Mobile recording per day")
async def mobile_api(request: Request, user: CurrentUser) -> MobileOut:
    days = await _days(request)
    return MobileOut(days=[MobileDayOut(**dataclasses.asdict(day)) for day in days])

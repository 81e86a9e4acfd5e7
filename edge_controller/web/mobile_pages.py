"""Mobile recording ("Perekaman keliling"): what booths recorded away from the office.

Tickets a booth numbered itself on mobile duty reach the edge as events when it comes
back (:mod:`edge_controller.mobile.stats` merges each once); this page and
``/api/v1/mobile`` show them per day and kelurahan. They never enter the live queue.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict

from edge_controller.mobile.stats import MobileDay, mobile_statistics
from edge_controller.web.api_models import ErrorOut
from edge_controller.web.auth import User
from edge_controller.web.context import current_user, get_renderer, run_db

pages_router = APIRouter(include_in_schema=False)
api_router = APIRouter(
    prefix="/api/v1",
    tags=["mobile"],
    responses={401: {"model": ErrorOut, "description": "Not logged in."}},
)
CurrentUser = Annotated[User, Depends(current_user)]


async def _days(request: Request) -> list[MobileDay]:
    return await run_db(request, mobile_statistics)


@pages_router.get("/mobile", response_class=HTMLResponse)
async def mobile_page(request: Request, user: CurrentUser) -> Response:
    return get_renderer(request).page(
        request, "mobile.html.j2", user=user, days=await _days(request)
    )


class MobileDayOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    day: str
    kelurahan: str
    checked_in: int
    served: int
    mean_service_minutes: float | None


class MobileOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: list[MobileDayOut]


@api_router.get("/mobile", response_model=MobileOut, summary="Mobile recording per day")
async def mobile_api(request: Request, user: CurrentUser) -> MobileOut:
    return MobileOut(
        days=[
            MobileDayOut(
                day=d.day,
                kelurahan=d.kelurahan,
                checked_in=d.checked_in,
                served=d.served,
                mean_service_minutes=d.mean_service_minutes,
            )
            for d in await _days(request)
        ]
    )

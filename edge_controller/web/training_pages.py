"""Operators' practice results ("Latihan operator"): a page and ``/api/v1/training``.

Per operator: practice sessions, residents completed, average time per resident,
retries, the latest score and the fingerprint-quality trend over the sessions. The
data is :func:`edge_controller.training.operator_practice`; practice never appears in
the recordings, coverage, queue or upstream. Login required.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import Field

from edge_controller.training import OperatorPractice, operator_practice
from edge_controller.web.api_models import ApiOut, api_v1_router
from edge_controller.web.context import CurrentUser, render_page, run_db

pages_router = APIRouter(include_in_schema=False)
api_router = api_v1_router("training")
OperatorQuery = Annotated[
    str | None, Query(min_length=1, max_length=64, description="One operator's card id.")
]


async def _practice(request: Request, operator: str | None) -> list[OperatorPractice]:
    return await run_db(request, lambda conn: operator_practice(conn, operator))


@pages_router.get("/training", response_class=HTMLResponse)
async def training_page(
    request: Request, user: CurrentUser, operator: OperatorQuery = None
) -> Response:
    operators = await _practice(request, operator)
    return render_page(request, "training.html.j2", user=user, operators=operators, chosen=operator)


class PracticeSessionOut(ApiOut):
    result_id: str
    booth_id: str
    finished_at: dt.datetime
    residents_completed: int
    average_seconds: float | None = Field(description="Per completed practice resident.")
    retries: int = Field(description="Tries beyond the first, over every step.")
    finger_quality: float | None = Field(description="Mean fingerprint image quality, 0–100.")
    photo_quality: float | None = Field(description="Mean accepted-photo score, 0–100.")
    score: int = Field(description="Overall result, 0–100.")


class OperatorPracticeOut(ApiOut):
    operator_id: str
    sessions: int
    residents_completed: int
    average_seconds_per_resident: float | None
    retries: int
    latest_score: int | None
    quality_trend: list[float | None] = Field(
        description="Finger quality per session, oldest first."
    )
    history: list[PracticeSessionOut] = Field(description="The sessions, oldest first.")


class TrainingOut(ApiOut):
    operators: list[OperatorPracticeOut]


@api_router.get("/training", response_model=TrainingOut)
async def training_api(
    request: Request, user: CurrentUser, operator: OperatorQuery = None
) -> TrainingOut:
    """Practice results per operator (training mode on the booths)."""
    del user
    return TrainingOut(
        operators=[
            OperatorPracticeOut(
                operator_id=p.operator_id,
                sessions=p.session_count,
                residents_completed=p.residents_completed,
                average_seconds_per_resident=p.average_seconds_per_resident,
                retries=p.retries,
                latest_score=p.latest_score,
                quality_trend=p.quality_trend,
                history=[PracticeSessionOut(**vars(s)) for s in p.sessions],
            )
            for p in await _practice(request, operator)
        ]
    )

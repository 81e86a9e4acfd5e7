"""Supervisor review pages and API (#10): held records, one record with its photo
thumbnail, approve / reject with a comment, and the end-of-day view.

Every route is for supervisors only (an operator gets 403); every POST carries the
session's CSRF token (a form field, or the ``X-CSRF-Token`` header for the JSON API).
The thumbnail is decrypted with the edge's review key for each request and never
cached (``Cache-Control: no-store``); the biometrics stay sealed for central.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Form, Header, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from edge_controller.config.review import review_key_path
from edge_controller.review.holds import (
    MAX_COMMENT,
    ReviewError,
    ReviewItem,
    decide,
    decided_between,
    held_items,
    manifest_of,
    review_item,
    thumbnail_of,
)
from edge_controller.web.api_models import ErrorOut
from edge_controller.web.auth import User, check_csrf
from edge_controller.web.context import Supervisor, get_deps, language, render_page, run_db
from ektp.i18n import translate
from ektp.packet_models import PacketManifest
from ektp.pki.review_key import load_or_create_review_key
from ektp.record import exception_reason_name, finger_name, flag_name
from ektp.services import service_name

router = APIRouter()
NO_STORE = {"Cache-Control": "no-store, private", "Pragma": "no-cache"}
STATUS_FOR = {"review.not_found": 404, "review.already_decided": 409}
Decision = Literal["approved", "rejected"]


def _flag_words(flags: tuple[str, ...], lang: str) -> list[str]:
    words = []
    for flag in flags:
        try:
            words.append(flag_name(flag, lang))  # type: ignore[arg-type]
        except ValueError:
            words.append(flag)
    return words


def _item_json(item: ReviewItem, lang: str) -> dict[str, Any]:
    return {
        "packet_id": item.packet_id,
        "booth_id": item.booth_id,
        "state": item.state,
        "flags": list(item.flags),
        "flag_names": _flag_words(item.flags, lang),
        "held_at": item.held_at.isoformat(),
        "kelurahan": item.kelurahan,
        "nik_masked": item.masked_nik,
        "decided_by": item.decided_by,
        "decided_at": item.decided_at.isoformat() if item.decided_at else None,
        "comment": item.comment,
    }


def _details(manifest: PacketManifest, lang: str) -> dict[str, Any]:
    record = manifest.record
    photo = record.quality.photo
    return {
        "record": record,
        "service": service_name(record.service, lang),
        "finger_exceptions": [
            (finger_name(c.finger, lang), exception_reason_name(c.exception.reason, lang))
            for c in record.quality.fingers
            if c.exception is not None
        ],
        "photo_failed": list(photo.failed_checks) if photo else [],
        "photo_override": photo.override_reason if photo else None,
        "sealed_at": manifest.sealed_at,
    }


def _error_status(err: ReviewError) -> int:
    return STATUS_FOR.get(err.code, 400)


def _error_text(request: Request, err: ReviewError) -> str:
    return translate(err.message, language(request), domain="edge_controller")


async def _decide(
    request: Request, user: User, packet_id: str, decision: Decision, comment: str
) -> ReviewItem:
    """Record ``user``'s decision on a held record; raises :class:`ReviewError`."""
    now = get_deps(request).now()
    return await run_db(
        request,
        lambda conn: decide(
            conn, packet_id, decision, user=user.username, comment=comment, now=now
        ),
    )


def _render_list(request: Request, template: str, user: User, **context: Any) -> Response:
    """A page listing review items: each with its flags in words, the waiting limit."""
    lang = language(request)
    return render_page(
        request,
        template,
        user=user,
        flag_words=lambda item: _flag_words(item.flags, lang),
        warn_above=get_deps(request).review.warn_above,
        **context,
    )


@router.get("/reviews", response_class=HTMLResponse, include_in_schema=False)
async def reviews_page(request: Request, user: Supervisor) -> Response:
    items = await run_db(request, held_items)
    return _render_list(request, "reviews.html.j2", user, items=items)


@router.get("/reviews/day", response_class=HTMLResponse, include_in_schema=False)
async def reviews_day_page(
    request: Request,
    user: Supervisor,
    day: Annotated[dt.date | None, Query()] = None,
) -> Response:
    deps = get_deps(request)
    chosen = day or deps.today()
    start = dt.datetime.combine(chosen, dt.time(), deps.timezone)
    end = start + dt.timedelta(days=1)

    def read(conn: sqlite3.Connection) -> tuple[list[ReviewItem], list[ReviewItem]]:
        return held_items(conn), decided_between(conn, start, end)

    waiting, decided = await run_db(request, read)
    return _render_list(
        request,
        "reviews_day.html.j2",
        user,
        day=chosen,
        waiting=waiting,
        decided=decided,
        approved=sum(item.state == "approved" for item in decided),
        rejected=sum(item.state == "rejected" for item in decided),
    )


async def _detail_page(
    request: Request, user: User, packet_id: str, *, error: str | None = None, status: int = 200
) -> Response:
    def read(conn: sqlite3.Connection) -> tuple[ReviewItem | None, PacketManifest | None]:
        try:
            return review_item(conn, packet_id), manifest_of(conn, packet_id)
        except ReviewError:
            return None, None

    item, manifest = await run_db(request, read)
    if item is None or manifest is None:
        raise HTTPException(status_code=404, detail="no such review")
    lang = language(request)
    response = render_page(
        request,
        "review.html.j2",
        user=user,
        status_code=status,
        item=item,
        flag_names=_flag_words(item.flags, lang),
        error=error,
        max_comment=MAX_COMMENT,
        **_details(manifest, lang),
    )
    response.headers.update(NO_STORE)
    return response


@router.get("/reviews/{packet_id}", response_class=HTMLResponse, include_in_schema=False)
async def review_page(request: Request, user: Supervisor, packet_id: str) -> Response:
    return await _detail_page(request, user, packet_id)


@router.get("/reviews/{packet_id}/thumbnail.jpg", include_in_schema=False)
async def review_thumbnail(request: Request, user: Supervisor, packet_id: str) -> Response:
    deps = get_deps(request)
    key = load_or_create_review_key(review_key_path(deps.review, deps.database_path))

    def read(conn: sqlite3.Connection) -> bytes | None:
        try:
            return thumbnail_of(conn, packet_id, key)
        except ReviewError:
            return None

    image = await run_db(request, read)
    if image is None:
        raise HTTPException(status_code=404, detail="no thumbnail")
    return Response(image, media_type="image/jpeg", headers=NO_STORE)


@router.post("/reviews/{packet_id}/decision", include_in_schema=False)
async def review_decision_form(
    request: Request,
    user: Supervisor,
    packet_id: str,
    *,
    decision: Annotated[Decision, Form()],
    comment: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_csrf(request, csrf_token)
    try:
        await _decide(request, user, packet_id, decision, comment)
    except ReviewError as err:
        return await _detail_page(
            request, user, packet_id, error=_error_text(request, err), status=_error_status(err)
        )
    return RedirectResponse("/reviews", status_code=303)


# --- JSON API ---------------------------------------------------------------------------


API_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Not logged in."},
    403: {"model": ErrorOut, "description": "Supervisors only."},
}


@router.get(
    "/api/v1/reviews",
    summary="Records held for a supervisor's review (supervisors)",
    responses=API_RESPONSES,
)
async def api_reviews(request: Request, user: Supervisor) -> JSONResponse:
    items = await run_db(request, held_items)
    lang = language(request)
    deps = get_deps(request)
    return JSONResponse(
        {
            "waiting": len(items),
            "warn_above": deps.review.warn_above,
            "items": [_item_json(item, lang) for item in items],
        },
        headers=NO_STORE,
    )


@router.post(
    "/api/v1/reviews/{packet_id}/decision",
    summary="Approve or reject a held record (supervisors; X-CSRF-Token header)",
    responses=API_RESPONSES,
)
async def api_review_decision(
    request: Request,
    user: Supervisor,
    packet_id: str,
    *,
    decision: Annotated[Decision, Body()],
    comment: Annotated[str, Body(max_length=2000)] = "",
    x_csrf_token: Annotated[str, Header(max_length=200)] = "",
) -> JSONResponse:
    check_csrf(request, x_csrf_token)
    try:
        item = await _decide(request, user, packet_id, decision, comment)
    except ReviewError as err:
        return JSONResponse(
            {
                "code": err.code,
                "detail": _error_text(request, err),
            },
            status_code=_error_status(err),
        )
    return JSONResponse(_item_json(item, language(request)))

"""The supervisor's button on ``/upstream``: send again the records central refused for good.

The same as ``rekam-edge upstream retry-held``: the hold is lifted in one transaction
with a hash-chained audit entry naming who pressed it (``web:<username>``), and the
forwarder picks the records up at its next round. Supervisors only, with the form's
CSRF token.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from edge_controller.upstream.held import retry_held
from edge_controller.web.auth import check_csrf
from edge_controller.web.context import Supervisor, get_deps, run_db

router = APIRouter(include_in_schema=False)


@router.post("/upstream/retry-held")
async def retry_held_form(
    request: Request,
    user: Supervisor,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_csrf(request, csrf_token)
    now = get_deps(request).now()
    actor = f"web:{user.username}"
    released = await run_db(request, lambda conn: retry_held(conn, now, actor=actor))
    return RedirectResponse(f"/upstream?released={len(released)}", status_code=303)

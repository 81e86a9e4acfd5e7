"""Logging in and out, changing one's own password, and a supervisor ending sessions.

A login try is counted before its password is hashed (:class:`.throttle.LoginThrottle`)
and hashed only through the :class:`.throttle.HashGate`; a right password starts a
server-side session (:mod:`.sessions`). Logging out ends that session; changing the
password ends the user's other sessions; disabling a user or "end sessions" on the
users page ends all of them.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from edge_controller.web.auth import (
    User,
    UserError,
    authenticate,
    check_csrf,
    log_in,
    log_out,
    session_token,
    session_username,
    set_password,
)
from edge_controller.web.context import CurrentUser, Supervisor, get_deps, render_page, run_db
from edge_controller.web.sessions import SessionStore
from edge_controller.web.throttle import GateBusy, HashGate, LoginThrottle

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
Csrf = Annotated[str, Form(max_length=200)]
Password = Annotated[str, Form(max_length=1000)]
BUSY_RETRY_SECONDS = "2"


def safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no ``//host``) may follow a login."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def see_other(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)


def session_store(request: Request) -> SessionStore:
    store: SessionStore = request.app.state.sessions
    return store


def client_address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


async def check_password(request: Request, username: str, password: str) -> User | str | None:
    """The user if the password is right; None if wrong; ``"locked"`` or ``"busy"``.

    The try is counted before the hash; the hash waits for a slot of the gate.
    """
    throttle: LoginThrottle = request.app.state.throttle
    gate: HashGate = request.app.state.hash_gate
    attempt = throttle.reserve(username, client_address(request))
    if attempt is None:
        return "locked"
    try:
        async with gate.slot():
            user = await run_db(request, lambda conn: authenticate(conn, username, password))
    except GateBusy:
        throttle.release(attempt)
        return "busy"
    throttle.settle(attempt, ok=user is not None)
    return user


@router.get("/login", response_class=HTMLResponse)
async def login_form(
    request: Request, next: Annotated[str, Query(max_length=500)] = "/"
) -> Response:
    if session_username(request) is not None:
        return see_other(safe_next(next))
    return render_page(request, "login.html.j2", user=None, next_path=safe_next(next), error=None)


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Password = "",
    csrf_token: Csrf = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    check_csrf(request, csrf_token)
    name = username.strip().lower()
    outcome = await check_password(request, name, password)
    if not isinstance(outcome, User):
        error = outcome or "wrong"
        response = render_page(
            request,
            "login.html.j2",
            user=None,
            status_code=503 if error == "busy" else 401,
            next_path=safe_next(next),
            error=error,
        )
        if error == "busy":
            response.headers["Retry-After"] = BUSY_RETRY_SECONDS
        return response
    old = session_token(request)
    store = session_store(request)
    if old is not None:
        await run_in_threadpool(store.end, old)
    token = await run_in_threadpool(
        store.start, outcome.username, client_address(request), get_deps(request).now()
    )
    log_in(request, outcome, token)
    log.info("dashboard login: %s from %s", outcome.username, client_address(request))
    return see_other(safe_next(next))


@router.post("/logout")
async def logout(request: Request, csrf_token: Csrf = "") -> Response:
    check_csrf(request, csrf_token)
    token = session_token(request)
    if token is not None:
        await run_in_threadpool(session_store(request).end, token)
    log_out(request)
    return see_other("/login")


@router.get("/account/password", response_class=HTMLResponse)
async def password_form(request: Request, user: CurrentUser) -> Response:
    return render_page(request, "password.html.j2", user=user, error=None, changed=False)


@router.post("/account/password", response_class=HTMLResponse)
async def change_password(
    request: Request,
    *,
    user: CurrentUser,
    current_password: Password = "",
    new_password: Password = "",
    repeat_password: Password = "",
    csrf_token: Csrf = "",
) -> Response:
    """Change one's own password (the current one first); other sessions end."""
    check_csrf(request, csrf_token)
    error: UserError | str | None = None
    outcome = await check_password(request, user.username, current_password)
    if not isinstance(outcome, User):
        error = outcome or "wrong"
    elif new_password != repeat_password:
        error = "mismatch"
    else:
        office = get_deps(request).office_name
        try:
            await run_db(
                request,
                lambda conn: set_password(conn, user.username, new_password, office_name=office),
            )
        except UserError as err:
            error = err
    if error is not None:
        status = 503 if error == "busy" else 400
        return render_page(
            request, "password.html.j2", user=user, error=error, changed=False, status_code=status
        )
    ended = await run_in_threadpool(
        session_store(request).end_user, user.username, keep=session_token(request)
    )
    log.info("dashboard password changed: %s (%d other sessions ended)", user.username, ended)
    return render_page(request, "password.html.j2", user=user, error=None, changed=True)


@router.post("/users/sessions")
async def end_user_sessions(
    request: Request,
    user: Supervisor,
    username: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Csrf = "",
) -> Response:
    """A supervisor logs a user out everywhere (a lost or shared PC)."""
    check_csrf(request, csrf_token)
    ended = await end_all_sessions(request, username)
    log.info("dashboard sessions of %s ended by %s: %d", username, user.username, ended)
    return see_other("/users")


async def end_all_sessions(request: Request, username: str) -> int:
    """End every session of ``username`` (called when a supervisor disables the user)."""
    return await run_in_threadpool(session_store(request).end_user, username)

"""Per-request helpers shared by the pages, the API and /metrics.

The app keeps its :class:`~edge_controller.web.deps.WebDeps` and its renderer on
``app.state``; nothing is global. Database reads run in Starlette's thread pool on a
connection opened for the request.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import jinja2
from babel.dates import format_datetime
from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from edge_controller.planning.schedule_print import template_environment
from edge_controller.web.auth import (
    CSRF_FIELD,
    NotAuthenticated,
    User,
    csrf_token,
    get_user,
    log_out,
    session_username,
)
from edge_controller.web.deps import WebDeps
from ektp.i18n import DEFAULT_LANGUAGE, LANGUAGES

T = TypeVar("T")


def get_deps(request: Request) -> WebDeps:
    deps: WebDeps = request.app.state.deps
    return deps


async def run_db(request: Request, function: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``function(conn)`` in the thread pool on a connection of its own."""
    deps = get_deps(request)

    def run() -> T:
        conn = deps.open_database()
        try:
            return function(conn)
        finally:
            conn.close()

    return await run_in_threadpool(run)


async def current_user(request: Request) -> User:
    """The logged-in user (a FastAPI dependency); raises :class:`NotAuthenticated`."""
    username = session_username(request)
    if username is None:
        raise NotAuthenticated
    user = await run_db(request, lambda conn: get_user(conn, username))
    if user is None or user.disabled:
        log_out(request)
        raise NotAuthenticated
    return user


CurrentUser = Annotated[User, Depends(current_user)]
"""A route parameter: the logged-in user (any role)."""


async def current_supervisor(user: CurrentUser) -> User:
    """Supervisor-only pages: user management (and, later, approvals)."""
    if not user.is_supervisor:
        raise HTTPException(status_code=403, detail="supervisors only")
    return user


Supervisor = Annotated[User, Depends(current_supervisor)]
"""A route parameter: the logged-in user, who must be a supervisor (else 403)."""


def language(request: Request) -> str:
    chosen = request.session.get("lang")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


class Renderer:
    """Jinja2 environments (one per language) over ``edge_controller/templates``."""

    def __init__(self, deps: WebDeps) -> None:
        self.deps = deps
        self._environments: dict[str, jinja2.Environment] = {}

    def environment(self, lang: str) -> jinja2.Environment:
        if lang not in self._environments:
            environment = template_environment(lang)
            timezone = self.deps.timezone
            environment.filters["local_time"] = lambda moment: (
                "—"
                if moment is None
                else format_datetime(moment.astimezone(timezone), "d MMM yyyy HH:mm", locale=lang)
            )
            environment.filters["percent"] = lambda share: f"{share * 100:.1f}%"
            environment.filters["megabytes"] = lambda count: (
                "—" if count is None else f"{count / 1_000_000:,.0f} MB"
            )
            self._environments[lang] = environment
        return self._environments[lang]

    def page(
        self,
        request: Request,
        template: str,
        *,
        user: User | None,
        status_code: int = 200,
        refresh_seconds: int = 0,
        **context: Any,
    ) -> HTMLResponse:
        lang = language(request)
        body = (
            self.environment(lang)
            .get_template(f"web/{template}")
            .render(
                request_path=request.url.path,
                request_query=str(request.url.query),
                language=lang,
                languages=LANGUAGES,
                user=user,
                csrf_field=CSRF_FIELD,
                csrf=csrf_token(request),
                office=self.deps.office_name,
                software_version=self.deps.software_version,
                refresh_seconds=refresh_seconds,
                now=self.deps.now(),
                **context,
            )
        )
        return HTMLResponse(body, status_code=status_code)


def get_renderer(request: Request) -> Renderer:
    renderer: Renderer = request.app.state.renderer
    return renderer


def render_page(
    request: Request, template: str, *, user: User | None, **context: Any
) -> HTMLResponse:
    """``web/<template>`` rendered for ``user`` (see :meth:`Renderer.page` for ``context``)."""
    return get_renderer(request).page(request, template, user=user, **context)


def render_dashboard_page(
    request: Request, template: str, *, user: User, **context: Any
) -> HTMLResponse:
    """A page that reloads itself every ``[web] dashboard_refresh_seconds``."""
    refresh_seconds = get_deps(request).web.dashboard_refresh_seconds
    return render_page(request, template, user=user, refresh_seconds=refresh_seconds, **context)


def office_date(deps: WebDeps, moment: dt.datetime) -> dt.date:
    return moment.astimezone(deps.timezone).date()

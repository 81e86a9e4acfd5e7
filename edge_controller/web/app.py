"""``create_app(deps)``: the dashboard, the JSON API and /metrics as one FastAPI app.

The edge service builds the :class:`WebDeps` and mounts the app with
:func:`edge_controller.web.serve.start_dashboard`; tests call :func:`create_app` with a
:class:`WebDeps` of their own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from edge_controller.web import (
    account_pages,
    api,
    metrics,
    mobile_pages,
    pages,
    power_pages,
    roster_pages,
    service_times_pages,
    training_pages,
    upstream_pages,
)
from edge_controller.web.auth import (
    SESSION_USER_SCOPE_KEY,
    NotAuthenticated,
    log_out,
    session_token,
    session_username,
)
from edge_controller.web.context import Renderer, current_user, get_renderer
from edge_controller.web.deps import WebDeps, load_or_create_secret
from edge_controller.web.review_pages import router as review_router
from edge_controller.web.sessions import SESSIONS_FILE, SessionStore
from edge_controller.web.throttle import HashGate, LoginThrottle
from edge_controller.web.upstream_actions import router as upstream_actions_router

SESSION_COOKIE = "rekam_session"
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'"
    ),
}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


async def _not_authenticated(request: Request, _exc: Exception) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": "not logged in"}, status_code=401)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={_quote(target)}", status_code=303)


def _quote(path: str) -> str:
    from urllib.parse import quote  # noqa: PLC0415 - only on this path

    return quote(path, safe="/")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if _wants_json(request) or exc.status_code < 400 or exc.status_code == 405:
        return await http_exception_handler(request, exc)
    return get_renderer(request).page(
        request,
        "error.html.j2",
        user=None,
        status_code=exc.status_code,
        status=exc.status_code,
        logged_in=session_username(request) is not None,
    )


def create_app(deps: WebDeps) -> FastAPI:
    """The whole web layer for these deps (no globals: two apps never share state)."""
    app = FastAPI(
        title="Rekam edge controller",
        version=deps.software_version,
        description="The office dashboard's JSON API. Log in at /login first: every "
        "endpoint needs the session cookie.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.deps = deps
    app.state.renderer = Renderer(deps)
    web = deps.web
    app.state.throttle = LoginThrottle(
        web.max_failed_logins, web.lockout_seconds, web.max_failed_logins_per_address
    )
    app.state.hash_gate = HashGate(
        web.max_concurrent_password_checks, web.max_waiting_password_checks
    )
    sessions = SessionStore(
        web.sessions_path or deps.database_path.parent / SESSIONS_FILE,
        web.session_max_age_seconds,
    )
    app.state.sessions = sessions
    secret = deps.session_secret or load_or_create_secret(deps.web.session_secret_path)

    app.include_router(account_pages.router)
    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(metrics.router)
    app.include_router(review_router)
    app.include_router(upstream_actions_router)
    app.include_router(roster_pages.pages_router)
    for module in (power_pages, upstream_pages, training_pages, mobile_pages, service_times_pages):
        app.include_router(module.pages_router)
        app.include_router(module.api_router)

    @app.get("/openapi.json", include_in_schema=False, dependencies=[Depends(current_user)])
    async def openapi_spec() -> JSONResponse:
        return JSONResponse(app.openapi())

    app.add_exception_handler(NotAuthenticated, _not_authenticated)
    app.add_exception_handler(StarletteHTTPException, _http_error)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.url.path not in ("/metrics", "/healthz"):
            response.headers.setdefault("Cache-Control", "no-store")
        if web.tls:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    @app.middleware("http")
    async def server_side_session(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        """The cookie's token counts only while its row in the session store lives."""
        token = session_token(request)
        if token is not None:
            username = await run_in_threadpool(sessions.username, token, deps.now())
            if username is None:
                log_out(request)
            else:
                request.scope[SESSION_USER_SCOPE_KEY] = username
        return await call_next(request)

    app.add_middleware(  # outermost: the middlewares above see the decoded cookie
        SessionMiddleware,
        secret_key=secret,
        session_cookie=SESSION_COOKIE,
        max_age=web.session_max_age_seconds,
        same_site="lax",
        https_only=web.https_only_cookies or web.tls,
    )
    return app

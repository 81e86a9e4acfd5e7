"""Run the dashboard inside the edge service's asyncio loop (uvicorn, no threads).

The service builds the dashboard's :class:`~edge_controller.web.deps.WebDeps` (see
:mod:`edge_controller.ingest.dashboard`), mounts the web layer with one call and
stops it with another::

    dashboard = await start_dashboard(deps)
    ...
    await dashboard.stop()

The web package never imports the service.

The socket is bound here (so a busy port is an ``OSError`` at start, and port 0 gives a
free one, see :attr:`Dashboard.port`); uvicorn's own signal handling is off, the
service keeps its SIGTERM/SIGINT handlers.

With ``[web] tls_cert_path`` and ``tls_key_path`` (a server certificate from the office
CA, issued by ``rekam-provision office init`` as the broker's is) the dashboard speaks
HTTPS only, and ``http_redirect_port`` answers plain HTTP with a redirect to it
(:mod:`.redirect`).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp

from edge_controller.config.web import WebConfig
from edge_controller.errors import EdgeError
from edge_controller.web.app import create_app
from edge_controller.web.deps import WebDeps
from edge_controller.web.redirect import redirect_app
from edge_controller.web.sessions import SessionStore

STARTUP_TIMEOUT = 30.0


class DashboardStartError(EdgeError, RuntimeError):
    """The dashboard server stopped while starting."""

    code = "dashboard.start"


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the service owns the signals


def _server_config(app: ASGIApp, web: WebConfig, *, tls: bool) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        lifespan="off",
        proxy_headers=False,
        server_header=False,
        ssl_certfile=str(web.tls_cert_path) if tls and web.tls_cert_path else None,
        ssl_keyfile=str(web.tls_key_path) if tls and web.tls_key_path else None,
    )


class _Listener:
    """One uvicorn server on a socket bound here, run as a task of the current loop."""

    def __init__(self, name: str, config: uvicorn.Config, host: str, port: int) -> None:
        self.name = name
        self.socket = socket.create_server((host, port), reuse_port=False)
        self.port: int = self.socket.getsockname()[1]
        self.server = _EmbeddedServer(config)
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(self._serve(), name=self.name)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STARTUP_TIMEOUT
        while not self.server.started:
            if self.task.done():
                self.task.result()  # raises what stopped it
                raise DashboardStartError("the dashboard stopped while starting")
            if loop.time() > deadline:
                raise TimeoutError("the dashboard did not start")
            await asyncio.sleep(0.02)

    async def _serve(self) -> None:
        try:
            await self.server.serve(sockets=[self.socket])
        except SystemExit as err:  # uvicorn exits on a failed start; keep the loop alive
            raise DashboardStartError(
                "the dashboard could not start ({reason})", reason=str(err)
            ) from err

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        self.socket.close()


class Dashboard:
    """A running dashboard server (and its HTTP redirect, if any); :meth:`stop` ends it."""

    def __init__(self, app: FastAPI, config: WebConfig) -> None:
        self.app = app
        self.config = config
        self._main = _Listener(
            "dashboard", _server_config(app, config, tls=config.tls), config.host, config.port
        )
        self.port: int = self._main.port
        self._redirect: _Listener | None = None
        if config.http_redirect_port is not None:
            self._redirect = _Listener(
                "dashboard-redirect",
                _server_config(redirect_app(self.port), config, tls=False),
                config.host,
                config.http_redirect_port,
            )

    @property
    def _host(self) -> str:
        return self.config.host if self.config.host not in ("0.0.0.0", "::") else "127.0.0.1"

    @property
    def url(self) -> str:
        scheme = "https" if self.config.tls else "http"
        return f"{scheme}://{self._host}:{self.port}"

    @property
    def redirect_url(self) -> str | None:
        """The plain-HTTP address that redirects to :attr:`url` (None: no such listener)."""
        if self._redirect is None:
            return None
        return f"http://{self._host}:{self._redirect.port}"

    async def start(self) -> None:
        await self._main.start()
        if self._redirect is not None:
            await self._redirect.start()

    async def stop(self) -> None:
        if self._redirect is not None:
            await self._redirect.stop()
        await self._main.stop()
        sessions = getattr(self.app.state, "sessions", None)
        if isinstance(sessions, SessionStore):
            sessions.close()


async def start_dashboard(deps: WebDeps) -> Dashboard:
    """Serve the dashboard for ``deps`` on ``deps.web`` (call it inside the running loop)."""
    dashboard = Dashboard(create_app(deps), deps.web)
    await dashboard.start()
    return dashboard

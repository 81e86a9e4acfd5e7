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
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

from edge_controller.config.web import WebConfig
from edge_controller.errors import EdgeError
from edge_controller.web.app import create_app
from edge_controller.web.deps import WebDeps

STARTUP_TIMEOUT = 30.0


class DashboardStartError(EdgeError, RuntimeError):
    """The dashboard server stopped while starting."""

    code = "dashboard.start"


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the service owns the signals


class Dashboard:
    """A running dashboard server; :meth:`stop` ends it."""

    def __init__(self, app: FastAPI, config: WebConfig) -> None:
        self.app = app
        self.config = config
        self._socket = socket.create_server((config.host, config.port), reuse_port=False)
        self.port: int = self._socket.getsockname()[1]
        self._server = _EmbeddedServer(
            uvicorn.Config(
                app,
                log_config=None,
                access_log=False,
                lifespan="off",
                proxy_headers=False,
                server_header=False,
            )
        )
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        host = self.config.host if self.config.host not in ("0.0.0.0", "::") else "127.0.0.1"
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        self._task = asyncio.create_task(self._serve(), name="dashboard")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STARTUP_TIMEOUT
        while not self._server.started:
            if self._task.done():
                self._task.result()  # raises what stopped it
                raise DashboardStartError("the dashboard stopped while starting")
            if loop.time() > deadline:
                raise TimeoutError("the dashboard did not start")
            await asyncio.sleep(0.02)

    async def _serve(self) -> None:
        try:
            await self._server.serve(sockets=[self._socket])
        except SystemExit as err:  # uvicorn exits on a failed start; keep the loop alive
            raise DashboardStartError(
                "the dashboard could not start ({reason})", reason=str(err)
            ) from err

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._socket.close()


async def start_dashboard(deps: WebDeps) -> Dashboard:
    """Serve the dashboard for ``deps`` on ``deps.web`` (call it inside the running loop)."""
    dashboard = Dashboard(create_app(deps), deps.web)
    await dashboard.start()
    return dashboard

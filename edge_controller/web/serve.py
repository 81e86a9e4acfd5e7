"""Run the dashboard inside the edge service's asyncio loop (uvicorn, no threads).

The service mounts the web layer with one call and stops it with another::

    dashboard = await start_dashboard_for_service(self, web_config)
    ...
    await dashboard.stop()

The socket is bound here (so a busy port is an ``OSError`` at start, and port 0 gives a
free one, see :attr:`Dashboard.port`); uvicorn's own signal handling is off, the
service keeps its SIGTERM/SIGINT handlers.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import uvicorn
from fastapi import FastAPI

from edge_controller.config.web import WebConfig
from edge_controller.planning.calendar import CalendarConfig
from edge_controller.planning.coverage import CoverageConfig
from edge_controller.planning.schedule import ScheduleConfig
from edge_controller.upstream.status import UpstreamCollector
from edge_controller.web.app import create_app
from edge_controller.web.deps import (
    PowerView,
    Source,
    UpstreamView,
    WebDeps,
    unknown_power,
    unknown_upstream,
)
from edge_controller.web.upstream_data import upstream_view_of

if TYPE_CHECKING:
    from edge_controller.ingest.service import EdgeService

STARTUP_TIMEOUT = 30.0


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
                raise RuntimeError("the dashboard stopped while starting")
            if loop.time() > deadline:
                raise TimeoutError("the dashboard did not start")
            await asyncio.sleep(0.02)

    async def _serve(self) -> None:
        try:
            await self._server.serve(sockets=[self._socket])
        except SystemExit as err:  # uvicorn exits on a failed start; keep the loop alive
            raise RuntimeError(f"the dashboard could not start ({err})") from err

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._socket.close()


async def start_dashboard(app: FastAPI, config: WebConfig) -> Dashboard:
    dashboard = Dashboard(app, config)
    await dashboard.start()
    return dashboard


def deps_for_service(
    service: EdgeService,
    web: WebConfig,
    *,
    power: Source[PowerView] = unknown_power,
    upstream: Source[UpstreamView] = unknown_upstream,
    coverage: CoverageConfig | None = None,
    schedule: ScheduleConfig | None = None,
    calendar: CalendarConfig | None = None,
) -> WebDeps:
    """The deps of a dashboard running in ``service``'s loop.

    Coverage, schedule and calendar settings come from the arguments, else from the
    edge config's ``[coverage]``, ``[schedule]`` and ``[calendar]`` sections.
    """
    config: Any = service.config

    def booths() -> Any:  # called on the service's loop: no lock needed
        return service.monitor.snapshot(service.clock())

    def live_power() -> PowerView:
        watcher = getattr(service, "power", None)
        message = watcher.last_message if watcher is not None else None
        if message is None:
            return PowerView()
        return PowerView(
            state=message.state,
            battery_charge_percent=message.battery_charge_pct,
            runtime_seconds=message.runtime_left_s,
        )

    def live_upstream() -> UpstreamView:
        return upstream_view_of(getattr(service, "forwarder", None))

    return WebDeps(
        database_path=config.database.path,
        booths=booths,
        power=live_power if power is unknown_power else power,
        upstream=live_upstream if upstream is unknown_upstream else upstream,
        rejections=service.rejections.as_dict,
        message_rejections=service.message_rejections.as_dict,
        office_name=config.office_name,
        timezone=config.timezone,
        software_version=config.software_version,
        queue_config=config.queue,
        coverage=coverage or config.coverage,
        schedule=schedule or config.schedule,
        calendar=calendar or config.calendar,
        web=web,
        collectors=(UpstreamCollector(lambda: getattr(service.forwarder, "last_status", None)),),
        review=config.review,
    )


async def start_dashboard_for_service(
    service: EdgeService, web: WebConfig, **deps_overrides: Any
) -> Dashboard:
    """The one call the service makes (from inside its running loop)."""
    return await start_dashboard(create_app(deps_for_service(service, web, **deps_overrides)), web)

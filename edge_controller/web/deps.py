"""What the dashboard needs from the rest of the edge controller, as one small dataclass.

The edge service fills it in (:mod:`edge_controller.ingest.dashboard`) and hands it to
:func:`edge_controller.web.serve.start_dashboard`; tests build their own.

The pages read the edge database themselves (their own read connections; SQLite WAL lets
them read while the service writes) and ask the running service for what lives only in
its memory through callables. A callable may be a plain function or a coroutine
function: plain ones are called on the event loop (they must return at once, e.g. the
booth monitor's snapshot when the dashboard runs in the service's loop); coroutine
functions are awaited.
"""

from __future__ import annotations

import datetime as dt
import inspect
import secrets
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from prometheus_client.registry import Collector

from edge_controller.booths.monitor import BoothView
from edge_controller.config.calendar import CalendarConfig
from edge_controller.config.coverage import CoverageConfig
from edge_controller.config.queue import QueueConfig
from edge_controller.config.review import ReviewConfig
from edge_controller.config.schedule import ScheduleConfig
from edge_controller.config.upstream import UpstreamConfig
from edge_controller.config.web import WebConfig
from edge_controller.ingest.db import connect
from edge_controller.planning.calendar import WorkingCalendar
from edge_controller.queue import OfficeQueue, QueueSnapshot
from edge_controller.upstream.status import UpstreamStatus
from ektp.regions import RegionConfig

T = TypeVar("T")
Source = Callable[[], T | Awaitable[T]]
"""A plain function or a coroutine function giving a ``T``."""


@dataclass(frozen=True)
class PowerView:
    """The office's power as the dashboard shows it (``unknown`` when no UPS is watched)."""

    state: str = "unknown"
    """MAINS, ON_BATTERY, GENERATOR, LOW_BATTERY, SHUTDOWN or unknown."""
    battery_charge_percent: float | None = None
    runtime_seconds: int | None = None
    detail: str = ""


@dataclass(frozen=True)
class UpstreamView:
    """Forwarding to central as the dashboard shows it (``unknown`` when no forwarder runs)."""

    state: str = "unknown"
    """connected, disconnected or unknown."""
    pending_packets: int | None = None
    """Packets not yet forwarded; None: the dashboard counts them in the database."""
    last_forwarded_at: dt.datetime | None = None
    detail: str = ""
    status: UpstreamStatus | None = None
    """The running forwarder's latest status (what /metrics reports); None: none runs."""
    config: UpstreamConfig | None = None
    """The forwarder's settings (bandwidth cap, office hours, alert age)."""


def unknown_power() -> PowerView:
    """The power when no UPS is watched (no ``[power]`` section): unknown."""
    return PowerView()


def unknown_upstream() -> UpstreamView:
    """Forwarding when no forwarder runs (no ``[upstream]`` section): the backlog is
    counted from the database."""
    return UpstreamView()


def no_booths() -> list[BoothView]:
    return []


def no_rejections() -> dict[str, dict[str, int]]:
    return {}


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class WebDeps:
    """Everything :func:`edge_controller.web.create_app` needs."""

    database_path: Path
    """The edge database; the dashboard opens its own read connections."""
    booths: Source[list[BoothView]] = no_booths
    """The booth registry's snapshot (``BoothMonitor.snapshot(now)``)."""
    queue: Source[QueueSnapshot] | None = None
    """The queue snapshot; None: read from the database (:class:`OfficeQueue`)."""
    power: Source[PowerView] = unknown_power
    upstream: Source[UpstreamView] = unknown_upstream
    rejections: Source[dict[str, dict[str, int]]] = no_rejections
    """Refused packets per booth and code since start (the ingest's counter)."""
    message_rejections: Source[dict[str, dict[str, int]]] = no_rejections
    """Refused status/health/events messages per booth and code since start."""
    office_name: str = "Kecamatan"
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Makassar"))
    software_version: str = "0.1.0"
    queue_config: QueueConfig = field(default_factory=QueueConfig)
    coverage: CoverageConfig = field(default_factory=CoverageConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    calendar: CalendarConfig = field(default_factory=CalendarConfig)
    web: WebConfig = field(default_factory=WebConfig)
    session_secret: str | None = None
    """Signs the session cookies; None: read (or create) ``web.session_secret_path``."""
    clock: Callable[[], dt.datetime] = utc_now
    collectors: tuple[Collector, ...] = ()
    """More Prometheus collectors for /metrics (e.g. the forwarder's gauges)."""
    review: ReviewConfig = field(default_factory=ReviewConfig)
    region: RegionConfig = field(default_factory=RegionConfig)
    """The office's region table settings (roster import checks NIKs and KKs with it)."""
    """Supervisor review: the review key's place and the office's waiting limit."""

    def now(self) -> dt.datetime:
        return self.clock()

    def today(self) -> dt.date:
        """The office-local date."""
        return self.clock().astimezone(self.timezone).date()

    def working_calendar(self) -> WorkingCalendar:
        return WorkingCalendar(self.calendar.weekly_days_off, self.calendar.holidays)

    def open_database(self) -> sqlite3.Connection:
        """A fresh connection for one request (closed by the caller)."""
        return connect(self.database_path, check_same_thread=False)

    def read_queue(self, conn: sqlite3.Connection) -> QueueSnapshot:
        """The queue as stored (used when no ``queue`` callable is given)."""
        return OfficeQueue(conn, self.queue_config, self.timezone).snapshot(self.now())


async def resolve(source: Source[T]) -> T:
    """Call a plain or coroutine function and return its value."""
    value = source()
    if inspect.isawaitable(value):
        return await value
    return value


def load_or_create_secret(path: Path) -> str:
    """The session-signing key in ``path``, created (0600) on first use."""
    if path.exists():
        secret = path.read_text(encoding="ascii").strip()
        if len(secret) >= 32:
            return secret
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.touch(mode=0o600)
    temporary.chmod(0o600)
    temporary.write_text(secret + "\n", encoding="ascii")
    temporary.replace(path)
    return secret

"""Response models of the JSON API (they make the OpenAPI spec)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field


class ApiOut(BaseModel):
    """Base of every response model: a field the model does not name is an error.

    A model is also read from an object of the same field names (``model_validate(obj)``:
    a dataclass of the edge, its enums as their values)."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)


class DeviceOut(ApiOut):
    name: str
    state: str = Field(description="ok, degraded, unavailable or unknown.")
    error_count: int
    detail: str


class AlertOut(ApiOut):
    alert_id: int
    booth_id: str | None = Field(description="None: an office alert (power, upstream).")
    kind: str = Field(description="device_failed, device_errors, silent, outbox_growing, ...")
    subject: str
    detail: str
    raised_at: dt.datetime


class BoothOut(ApiOut):
    booth_id: str
    state: str = Field(description="online, silent, offline, unknown or unregistered.")
    software_version: str | None
    last_seen: dt.datetime | None
    outbox_depth: int | None
    disk_free_bytes: int | None
    cpu_temperature_c: float | None
    devices: list[DeviceOut]
    alerts: list[AlertOut]
    denied_publishes: int = Field(
        default=0, description="Publishes the broker refused its certificate since start."
    )
    denied_subscribes: int = Field(
        default=0, description="Subscriptions beyond the topics it may read, since start."
    )


class TicketOut(ApiOut):
    number: str
    service: str
    kelurahan: str
    priority: bool
    from_booth: str
    checked_in_at: dt.datetime
    position: int | None = Field(description="Place in the waiting line (1 = next).")
    estimated_wait_minutes: float | None
    called_by: str | None


class QueueOut(ApiOut):
    at: dt.datetime
    waiting: list[TicketOut]
    called: dict[str, TicketOut] = Field(description="Booth id → the ticket called to it.")
    service_minutes: dict[str, float]
    active_booths: int


class PowerOut(ApiOut):
    state: str = Field(description="MAINS, ON_BATTERY, GENERATOR, LOW_BATTERY, SHUTDOWN, unknown.")
    battery_charge_percent: float | None
    runtime_seconds: int | None
    detail: str


class CoverageLineOut(ApiOut):
    kelurahan: str | None
    rw: int | None
    rt: int | None
    required: int
    recorded: int
    target: int
    share: float
    missing_to_target: int


class ProjectionOut(ApiOut):
    status: str = Field(description="reached, on_track or not_at_this_pace.")
    pace_per_working_day: float
    remaining: int
    projected_date: dt.date | None
    reached_on: dt.date | None
    needed_per_working_day: float | None
    with_one_more_booth: dt.date | None = Field(
        default=None,
        description="When the target is reached with one more booth at the measured "
        "residents per booth-day (None: reached, or too few days measured).",
    )


class CoverageOut(ApiOut):
    as_of: dt.date
    target_share: float
    target_date: dt.date | None
    total: CoverageLineOut
    kelurahan: list[CoverageLineOut]
    projection: ProjectionOut


class ScheduleDayOut(ApiOut):
    date: dt.date
    kelurahan: str
    day_number: int
    days_for_kelurahan: int
    invited_residents: int
    planned_residents: int
    capacity: int
    over_capacity: bool = Field(
        default=False, description="More residents expected than the booths were measured to do."
    )


class ScheduleOut(ApiOut):
    start: dt.date
    kits: int
    capacity: int
    capacity_measured: bool = Field(
        default=False, description="capacity is measured (service times), not configured."
    )
    days: list[ScheduleDayOut]


class ResidentOut(ApiOut):
    nik: str
    kk: str
    name: str
    sex: str
    birth_date: dt.date
    kelurahan: str
    rw: int
    rt: int


class NotRecordedOut(ApiOut):
    as_of: dt.date
    total: int
    offset: int
    residents: list[ResidentOut]


class UserOut(ApiOut):
    username: str
    role: str
    display_name: str


class ErrorOut(ApiOut):
    detail: str


def api_v1_router(tag: str) -> APIRouter:
    """A router under ``/api/v1`` whose routes need a login (401 documented)."""
    return APIRouter(
        prefix="/api/v1",
        tags=[tag],
        responses={401: {"model": ErrorOut, "description": "Not logged in."}},
    )

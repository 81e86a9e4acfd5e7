"""Forwarding to central: the ``/upstream`` page and ``/api/v1/upstream``.

Backlog (items, bytes), link rate, last success, oldest unsent age, receipts stored,
the retry state and the bandwidth cap in force now; the stale-backlog alert on top.
Login required.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated

from babel.dates import get_day_names
from babel.numbers import format_decimal
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import Field

from edge_controller.web.api_models import ApiOut, api_v1_router
from edge_controller.web.context import CurrentUser, language, render_page
from edge_controller.web.upstream_data import UpstreamPage, upstream_page
from ektp.i18n import N_

pages_router = APIRouter(include_in_schema=False)
api_router = api_v1_router("upstream")
STATE_LABELS = {
    "starting": N_("starting"),
    "idle": N_("idle: everything is sent"),
    "sending": N_("sending"),
    "backing_off": N_("waiting to retry (link or central unreachable)"),
    "stopped": N_("stopped"),
    "not_configured": N_("not configured: records are kept here"),
}


class Formats:
    """Numbers for the page, written the way the chosen language writes them."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def number(self, value: float) -> str:
        return format_decimal(value, format="#,##0.#", locale=self.lang)

    def size(self, count: int) -> str:
        for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
            if count >= scale:
                return f"{self.number(count / scale)} {unit}"
        return f"{count} B"

    def kbit(self, bytes_per_second: float | None) -> str | None:
        return None if bytes_per_second is None else self.number(bytes_per_second * 8 / 1000)

    def days(self, weekdays: list[int]) -> str:
        names = get_day_names("abbreviated", locale=self.lang)
        return ", ".join(str(names[day]) for day in sorted(weekdays))

    def clock(self, moment: dt.time) -> str:
        return f"{moment:%H:%M}"


def age_parts(seconds: float | None) -> tuple[str, float] | None:
    """("hours", 3.2) or ("minutes", 12.0) for the template's wording."""
    if seconds is None:
        return None
    if seconds >= 3600:
        return "hours", round(seconds / 3600, 1)
    return "minutes", round(seconds / 60)


@pages_router.get("/upstream", response_class=HTMLResponse)
async def upstream_html(
    request: Request, user: CurrentUser, released: Annotated[int | None, Query(ge=0)] = None
) -> Response:
    page = await upstream_page(request)
    return render_page(
        request,
        "upstream.html.j2",
        user=user,
        page=page,
        released=released,
        state_labels=STATE_LABELS,
        fmt=Formats(language(request)),
        age=age_parts(page.oldest_unsent_age_seconds),
    )


class BandwidthCapOut(ApiOut):
    bytes_per_second: float | None = Field(description="The cap in force now; None: no cap.")
    in_office_hours: bool
    link_capacity_kbit: float | None
    office_hours_share: float = Field(description="Share of the link used in office hours.")
    off_hours_share: float
    office_start: dt.time
    office_end: dt.time
    office_weekdays: list[int] = Field(description="0 = Monday … 6 = Sunday.")


class UpstreamOut(ApiOut):
    state: str = Field(
        description="starting, idle, sending, backing_off, stopped, or not_configured / "
        "unknown when no forwarder runs."
    )
    configured: bool = Field(description="A forwarder runs (the edge has an [upstream] section).")
    pending_packets: int = Field(description="Items not yet at central (enrollments + telemetry).")
    backlog_bytes: int
    backlog_enrollments: int
    backlog_telemetry: int
    held_count: int = Field(description="Items central refused for good: a person must look.")
    oldest_unsent_at: dt.datetime | None
    oldest_unsent_age_seconds: float | None
    alert: bool = Field(description="The oldest unsent item is older than alert_after_hours.")
    alert_after_hours: float | None
    link_rate_bytes_per_second: float | None = Field(
        description="Bytes per second central confirmed over the last minute."
    )
    last_forwarded_at: dt.datetime | None = Field(description="When the last receipt was stored.")
    receipts_stored: int
    next_attempt_at: dt.datetime | None = Field(description="While backing off: the next try.")
    bandwidth_cap: BandwidthCapOut | None
    packets_by_state: dict[str, int] = Field(description="Enrollment packets stored here.")
    bytes_sent_since_start: int | None
    detail: str = Field(description="The last error, for a technician.")


def upstream_out(page: UpstreamPage) -> UpstreamOut:
    cap = page.cap
    return UpstreamOut(
        state=page.state,
        configured=page.configured,
        pending_packets=page.backlog_count,
        backlog_bytes=page.backlog_bytes,
        backlog_enrollments=page.backlog_enrollments,
        backlog_telemetry=page.backlog_telemetry,
        held_count=page.held_count,
        oldest_unsent_at=page.oldest_unsent_at,
        oldest_unsent_age_seconds=page.oldest_unsent_age_seconds,
        alert=page.alert,
        alert_after_hours=page.alert_after_hours,
        link_rate_bytes_per_second=page.link_rate_bytes_per_second,
        last_forwarded_at=page.last_success_at,
        receipts_stored=page.receipts_stored,
        next_attempt_at=page.next_attempt_at,
        bandwidth_cap=None if cap is None else BandwidthCapOut(**dataclasses.asdict(cap)),
        packets_by_state=page.packets_by_state,
        bytes_sent_since_start=page.bytes_sent_since_start,
        detail=page.last_error,
    )


@api_router.get("/upstream", summary="Forwarding to central: backlog, link, retries, cap")
async def upstream_api(request: Request, user: CurrentUser) -> UpstreamOut:
    return upstream_out(await upstream_page(request))

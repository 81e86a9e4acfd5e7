"""What the upstream page, its card and ``/api/v1/upstream`` show about forwarding.

While a forwarder runs, the numbers are its latest status — the very snapshot the
``rekam_upstream_*`` gauges of ``/metrics`` report, so page and metrics agree. Without
one (no ``[upstream]`` section) the backlog is read from the database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import Request

from edge_controller.booths.monitor import office_alerts
from edge_controller.config.upstream import UpstreamConfig
from edge_controller.upstream import store
from edge_controller.upstream.alerts import STALE_BACKLOG
from edge_controller.upstream.pacing import in_office_hours
from edge_controller.upstream.status import BacklogFigures
from edge_controller.web.context import get_deps, run_db
from edge_controller.web.data import count_packets_by_state
from edge_controller.web.deps import UpstreamView, resolve

if TYPE_CHECKING:
    from edge_controller.upstream.forwarder import Forwarder


def upstream_view_of(forwarder: Forwarder | None) -> UpstreamView:
    """The dashboard's view of a running forwarder (the placeholder when none runs)."""
    status = forwarder.last_status if forwarder is not None else None
    if forwarder is None or status is None:
        return UpstreamView()
    return UpstreamView(
        state=str(status.state),
        pending_packets=status.backlog_count,
        last_forwarded_at=status.last_success_at,
        detail=status.last_error or "",
        status=status,
        config=forwarder.config,
    )


@dataclass(frozen=True)
class BandwidthCap:
    """The cap in force now and the schedule it follows."""

    bytes_per_second: float | None  # None: no cap (no link capacity configured)
    in_office_hours: bool
    link_capacity_kbit: float | None
    office_hours_share: float
    off_hours_share: float
    office_start: dt.time
    office_end: dt.time
    office_weekdays: list[int]


@dataclass(frozen=True)
class UpstreamPage(BacklogFigures):
    configured: bool  # a forwarder runs
    state: str  # idle, sending, backing_off, starting, stopped; not_configured
    alert: bool
    alert_after_hours: float | None
    link_rate_bytes_per_second: float | None
    last_success_at: dt.datetime | None
    receipts_stored: int
    next_attempt_at: dt.datetime | None
    last_error: str
    cap: BandwidthCap | None
    packets_by_state: dict[str, int]
    bytes_sent_since_start: int | None


def bandwidth_cap(config: UpstreamConfig, now: dt.datetime, timezone: dt.tzinfo) -> BandwidthCap:
    office = in_office_hours(config, now.astimezone(timezone))
    hours = config.office_hours
    rate = None
    if config.link_capacity_kbit is not None:
        share = hours.link_share if office else config.off_hours_link_share
        rate = config.link_capacity_kbit * 1000 / 8 * share
    return BandwidthCap(
        bytes_per_second=rate,
        in_office_hours=office,
        link_capacity_kbit=config.link_capacity_kbit,
        office_hours_share=hours.link_share,
        off_hours_share=config.off_hours_link_share,
        office_start=hours.start,
        office_end=hours.end,
        office_weekdays=list(hours.weekdays),
    )


@dataclass(frozen=True)
class _Stored:
    backlog: store.Backlog
    last_success_at: dt.datetime | None
    receipts: int
    packets: dict[str, int]
    stale_alert_open: bool


def _read_stored(conn: sqlite3.Connection) -> _Stored:
    return _Stored(
        backlog=store.backlog(conn),
        last_success_at=store.last_receipt_at(conn),
        receipts=store.receipts_stored(conn),
        packets=count_packets_by_state(conn),
        stale_alert_open=any(a.kind == STALE_BACKLOG for a in office_alerts(conn)),
    )


async def upstream_page(request: Request) -> UpstreamPage:
    deps = get_deps(request)
    view = await resolve(deps.upstream)
    stored = await run_db(request, _read_stored)
    now = deps.now()
    cap = bandwidth_cap(view.config, now, deps.timezone) if view.config is not None else None
    status = view.status
    if status is not None:
        return UpstreamPage(
            **status.backlog_fields(),
            configured=True,
            state=str(status.state),
            alert=status.alert,
            alert_after_hours=(
                status.alert_after_seconds / 3600 if status.alert_after_seconds else None
            ),
            link_rate_bytes_per_second=status.link_rate_bytes_per_second,
            last_success_at=status.last_success_at,
            receipts_stored=status.receipts_stored,
            next_attempt_at=status.next_attempt_at,
            last_error=status.last_error,
            cap=(
                dataclasses.replace(cap, bytes_per_second=status.rate_cap_bytes_per_second)
                if cap is not None
                else None
            ),
            packets_by_state=stored.packets,
            bytes_sent_since_start=status.bytes_sent_since_start,
        )
    return UpstreamPage(
        **stored.backlog.figures(now).backlog_fields(),
        configured=False,
        state="not_configured",
        alert=stored.stale_alert_open,
        alert_after_hours=None,
        link_rate_bytes_per_second=None,
        last_success_at=stored.last_success_at,
        receipts_stored=stored.receipts,
        next_attempt_at=None,
        last_error=view.detail,
        cap=cap,
        packets_by_state=stored.packets,
        bytes_sent_since_start=None,
    )

"""What the pages, the API and /metrics show, gathered from the deps and the database."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from dataclasses import dataclass

from fastapi import Request

from edge_controller.booths.monitor import Alert, BoothView, open_alerts, registered_booths
from edge_controller.planning.coverage import (
    CoverageReport,
    coverage_report,
    residents_not_recorded,
)
from edge_controller.planning.schedule import SchedulePlan, plan_schedule
from edge_controller.queue import QueueSnapshot
from edge_controller.roster.store import Resident, kelurahan_names
from edge_controller.web.context import get_deps, run_db
from edge_controller.web.deps import PowerView, UpstreamView, resolve

EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)
"""Dates the pages and the API accept (coverage, schedule): outside is a 422."""


@dataclass(frozen=True)
class BoothRow:
    view: BoothView
    alerts: list[Alert]


async def booth_rows(request: Request) -> list[BoothRow]:
    """Every booth heard from or registered, with its open alerts."""
    views = await resolve(get_deps(request).booths)

    def read(conn: sqlite3.Connection) -> tuple[list[str], list[Alert]]:
        return registered_booths(conn), open_alerts(conn)

    registered, alerts = await run_db(request, read)
    by_id = {view.booth_id: view for view in views}
    for booth_id in registered:
        by_id.setdefault(booth_id, BoothView(booth_id, "unknown", None, None, None))
    for alert in alerts:  # a booth known only by its alerts (e.g. an unknown booth)
        if alert.booth_id is not None:  # None: an office alert (web.office_alerts)
            by_id.setdefault(alert.booth_id, BoothView(alert.booth_id, "unknown", None, None, None))
    return [
        BoothRow(by_id[booth_id], [a for a in alerts if a.booth_id == booth_id])
        for booth_id in sorted(by_id)
    ]


async def queue_snapshot(request: Request) -> QueueSnapshot:
    deps = get_deps(request)
    if deps.queue is not None:
        return await resolve(deps.queue)
    return await run_db(request, deps.read_queue)


async def power_view(request: Request) -> PowerView:
    return await resolve(get_deps(request).power)


def count_packets_by_state(conn: sqlite3.Connection) -> dict[str, int]:
    counts = {"committed": 0, "forwarded": 0, "purged": 0}
    for row in conn.execute("SELECT state, COUNT(*) FROM ingested_packets GROUP BY state"):
        counts[row[0]] = int(row[1])
    return counts


async def upstream_view(request: Request) -> tuple[UpstreamView, dict[str, int]]:
    """The upstream state; its backlog from the database unless the uplink says."""
    view = await resolve(get_deps(request).upstream)
    packets = await run_db(request, count_packets_by_state)
    if view.pending_packets is None:
        view = dataclasses.replace(view, pending_packets=packets["committed"])
    return view, packets


async def coverage(
    request: Request, as_of: dt.date | None = None, *, rts_of: str | None = None
) -> CoverageReport:
    """The coverage report, with the RT lines of kelurahan ``rts_of`` only (none without):
    every RT of a regency would read each of its residents."""
    deps = get_deps(request)
    day = as_of or deps.today()
    return await run_db(
        request,
        lambda conn: coverage_report(
            conn,
            as_of=day,
            config=deps.coverage,
            calendar=deps.working_calendar(),
            rts_of=[rts_of] if rts_of else [],
        ),
    )


@dataclass(frozen=True)
class NotRecordedPage:
    as_of: dt.date
    kelurahan: str | None
    rt: int | None
    rw: int | None
    total: int
    offset: int
    limit: int
    residents: list[Resident]
    kelurahan_choices: list[str]


async def not_recorded_page(
    request: Request,
    *,
    kelurahan: str | None,
    rt: int | None,
    rw: int | None,
    as_of: dt.date | None,
    limit: int,
    offset: int,
) -> NotRecordedPage:
    deps = get_deps(request)
    day = as_of or deps.today()

    def read(conn: sqlite3.Connection) -> tuple[list[Resident], list[str]]:
        everyone = residents_not_recorded(conn, as_of=day, kelurahan=kelurahan, rt=rt, rw=rw)
        return everyone, kelurahan_names(conn)

    everyone, names = await run_db(request, read)
    return NotRecordedPage(
        day,
        kelurahan,
        rt,
        rw,
        len(everyone),
        offset,
        limit,
        everyone[offset : offset + limit],
        names,
    )


async def schedule_plan(request: Request, start: dt.date | None, kits: int | None) -> SchedulePlan:
    deps = get_deps(request)
    config = deps.schedule if kits is None else deps.schedule.model_copy(update={"kits": kits})
    day = start or deps.today()
    return await run_db(
        request,
        lambda conn: plan_schedule(
            conn, start=day, config=config, calendar=deps.working_calendar()
        ),
    )

"""What the outage-log and power-report pages (and their JSON twins) show.

Read from the outage log (:mod:`edge_controller.power.outages`) on the request's own
connection. Days and weeks are office-local (the deps' time zone); an event still
open counts until now.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import Literal

from fastapi import Request

from edge_controller.power.outages import (
    OutageEvent,
    OutageLog,
    PowerReport,
    daily_report,
    week_monday,
    weekly_report,
)
from edge_controller.web.context import get_deps, run_db
from ektp.i18n import N_

Period = Literal["day", "week"]
SOURCE_LABELS = {
    "mains_lost": N_("Mains (PLN) lost"),
    "generator_on": N_("Generator running"),
    "battery_low": N_("Battery low"),
    "ups_unreachable": N_("UPS not answering"),
    "restored": N_("Mains (PLN) restored"),
    "shutdown": N_("Shutdown ordered"),
}
"""The outage log's sources as the office reads them (gettext ids)."""
INSTANT_SOURCES = frozenset({"restored", "shutdown"})


@dataclass(frozen=True)
class OutageRow:
    """One event of the log, with its length so far."""

    event: OutageEvent
    duration_minutes: float | None  # None for an instant (restored, shutdown)
    ongoing: bool


@dataclass(frozen=True)
class OutageLogPage:
    total: int
    offset: int
    limit: int
    rows: list[OutageRow]

    @property
    def newer_offset(self) -> int | None:
        return max(0, self.offset - self.limit) if self.offset > 0 else None

    @property
    def older_offset(self) -> int | None:
        after = self.offset + self.limit
        return after if after < self.total else None


@dataclass(frozen=True)
class DayLine:
    day: dt.date
    report: PowerReport


@dataclass(frozen=True)
class PowerReportPage:
    """One day's or one ISO week's sums; a week also has a line per day."""

    period: Period
    first_day: dt.date
    last_day: dt.date
    report: PowerReport
    days: list[DayLine]
    previous_day: dt.date  # the same period one step back (day or week)
    next_day: dt.date

    @property
    def iso_week(self) -> tuple[int, int]:
        year, week, _ = self.first_day.isocalendar()
        return year, week


def _row(event: OutageEvent, now: dt.datetime) -> OutageRow:
    if event.source in INSTANT_SOURCES:
        return OutageRow(event, None, False)
    minutes = round(event.duration(now).total_seconds() / 60, 2)
    return OutageRow(event, minutes, event.ended_at is None)


async def outage_log_page(request: Request, *, limit: int, offset: int) -> OutageLogPage:
    now = get_deps(request).now()

    def read(conn: sqlite3.Connection) -> tuple[int, list[OutageEvent]]:
        log = OutageLog(conn)
        return log.count(), log.newest(limit, offset)

    total, events = await run_db(request, read)
    return OutageLogPage(total, offset, limit, [_row(event, now) for event in events])


async def power_report_page(
    request: Request, *, day: dt.date | None, period: Period
) -> PowerReportPage:
    deps = get_deps(request)
    now, timezone = deps.now(), deps.timezone
    chosen = day or deps.today()
    if period == "week":
        first = week_monday(chosen)
        last = first + dt.timedelta(days=6)
        step = dt.timedelta(days=7)
    else:
        first = last = chosen
        step = dt.timedelta(days=1)

    def read(conn: sqlite3.Connection) -> tuple[PowerReport, list[DayLine]]:
        if period == "day":
            report = daily_report(conn, first, timezone, now=now)
            return report, [DayLine(first, report)]
        days = [first + dt.timedelta(days=n) for n in range(7)]
        lines = [DayLine(d, daily_report(conn, d, timezone, now=now)) for d in days]
        return weekly_report(conn, first, timezone, now=now), lines

    report, lines = await run_db(request, read)
    return PowerReportPage(period, first, last, report, lines, first - step, first + step)

"""The outage log: every power event with start, end and source, and the office's report.

Sources (``power_events.source``):

``mains_lost``       mains was gone (battery or generator) — from leaving MAINS until back;
``generator_on``     the generator fed the office;
``battery_low``      the UPS said low battery (or the runtime fell under the margin);
``ups_unreachable``  upsd did not answer: the power state was unknown;
``restored``         an instant: mains came back after an outage;
``shutdown``         an instant: the edge decided to shut the office down.

:class:`OutageLog` turns the watcher's state changes into rows (one transaction per
change) and stores the booths' "capture refused for power" events. :func:`power_report`
sums a period: minutes without mains, minutes on generator, minutes on battery,
recordings refused. Times are stored in UTC; days and weeks are office-local.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import Literal

from edge_controller.ingest.db import transaction
from ektp.power import PowerState

EventSource = Literal[
    "mains_lost", "generator_on", "battery_low", "ups_unreachable", "restored", "shutdown"
]
INTERVAL_SOURCES: tuple[EventSource, ...] = (
    "mains_lost",
    "generator_on",
    "battery_low",
    "ups_unreachable",
)


@dataclass(frozen=True)
class OutageEvent:
    event_id: int
    source: EventSource
    started_at: dt.datetime
    ended_at: dt.datetime | None
    detail: str

    def duration(self, now: dt.datetime | None = None) -> dt.timedelta:
        """How long it lasted (an open event: until ``now``)."""
        end = self.ended_at or now or self.started_at
        return end - self.started_at


@dataclass(frozen=True)
class PowerReport:
    """Sums for one period ``[start, end)``."""

    start: dt.datetime
    end: dt.datetime
    minutes_without_mains: float
    minutes_on_generator: float
    minutes_on_battery: float
    minutes_ups_unreachable: float
    outages: int
    refused_captures: int


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("power event times must be timezone-aware")
    return moment.astimezone(dt.UTC)


def _iso(moment: dt.datetime) -> str:
    return _utc(moment).isoformat()


def _wanted_intervals(state: PowerState, previous_open: set[str]) -> set[str]:
    """Which interval sources must be open while the office is in ``state``."""
    if state is PowerState.MAINS:
        return set()
    if state is PowerState.UNKNOWN:
        # no news is not mains: an outage that was open stays open
        return (previous_open & {"mains_lost", "generator_on"}) | {"ups_unreachable"}
    wanted = {"mains_lost"}
    if state is PowerState.GENERATOR:
        wanted.add("generator_on")
    if state is PowerState.LOW_BATTERY:
        wanted.add("battery_low")
    if state is PowerState.SHUTDOWN:
        wanted |= previous_open & {"battery_low", "generator_on"}
    return wanted


class OutageLog:
    """Power events in the edge database (the ``power_events`` and ``power_refusals`` tables)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def record_state(self, state: PowerState, at: dt.datetime, detail: str = "") -> None:
        """The office is now in ``state``: open and close the events that implies."""
        with transaction(self.conn):
            open_now = {
                row["source"]: row["event_id"]
                for row in self.conn.execute(
                    "SELECT event_id, source FROM power_events WHERE ended_at IS NULL"
                )
            }
            wanted = _wanted_intervals(state, set(open_now))
            for source, event_id in open_now.items():
                if source not in wanted:
                    self.conn.execute(
                        "UPDATE power_events SET ended_at = ? WHERE event_id = ?",
                        (_iso(at), event_id),
                    )
            for source in sorted(wanted - set(open_now)):
                self._insert(source, at, None, detail)
            if state is PowerState.MAINS and "mains_lost" in open_now:
                self._insert("restored", at, at, detail)
            if state is PowerState.SHUTDOWN:
                self._insert("shutdown", at, at, detail)

    def record_refusal(
        self, booth_id: str, event_id: str, at: dt.datetime, power_state: str = ""
    ) -> bool:
        """Count one capture a booth refused because of power; False for a re-delivery."""
        with transaction(self.conn):
            cursor = self.conn.execute(
                "INSERT OR IGNORE INTO power_refusals (event_id, booth_id, refused_at,"
                " power_state) VALUES (?, ?, ?, ?)",
                (event_id, booth_id, _iso(at), power_state),
            )
            return cursor.rowcount == 1

    def events(
        self, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[OutageEvent]:
        """Events that overlap ``[since, until)``, oldest first (all when not given)."""
        query = "SELECT * FROM power_events WHERE 1 = 1"
        params: list[str] = []
        if until is not None:
            query += " AND started_at < ?"
            params.append(_iso(until))
        if since is not None:
            query += " AND (ended_at IS NULL OR ended_at >= ?)"
            params.append(_iso(since))
        rows = self.conn.execute(query + " ORDER BY started_at, event_id", params)
        return [_event(row) for row in rows]

    def count(self) -> int:
        """How many events the log holds (instants included)."""
        return int(self.conn.execute("SELECT count(*) FROM power_events").fetchone()[0])

    def newest(self, limit: int, offset: int = 0) -> list[OutageEvent]:
        """One page of the log, newest first (the dashboard's outage log)."""
        rows = self.conn.execute(
            "SELECT * FROM power_events ORDER BY started_at DESC, event_id DESC LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return [_event(row) for row in rows]

    def open_events(self) -> list[OutageEvent]:
        rows = self.conn.execute(
            "SELECT * FROM power_events WHERE ended_at IS NULL ORDER BY started_at, event_id"
        )
        return [_event(row) for row in rows]

    def _insert(
        self, source: str, start: dt.datetime, end: dt.datetime | None, detail: str
    ) -> None:
        self.conn.execute(
            "INSERT INTO power_events (source, started_at, ended_at, detail) VALUES (?, ?, ?, ?)",
            (source, _iso(start), None if end is None else _iso(end), detail[:300]),
        )


def _event(row: sqlite3.Row) -> OutageEvent:
    ended = row["ended_at"]
    return OutageEvent(
        event_id=row["event_id"],
        source=row["source"],
        started_at=dt.datetime.fromisoformat(row["started_at"]),
        ended_at=dt.datetime.fromisoformat(ended) if ended else None,
        detail=row["detail"],
    )


def _overlap_minutes(
    events: list[OutageEvent], source: str, start: dt.datetime, end: dt.datetime
) -> float:
    total = dt.timedelta()
    for event in events:
        if event.source != source:
            continue
        first = max(event.started_at, start)
        last = min(event.ended_at or end, end)
        if last > first:
            total += last - first
    return total.total_seconds() / 60


def power_report(
    conn: sqlite3.Connection,
    start: dt.datetime,
    end: dt.datetime,
    *,
    now: dt.datetime | None = None,
) -> PowerReport:
    """Sum ``[start, end)``; events still open count until ``now`` (default: the period's end)."""
    start, end = _utc(start), _utc(end)
    cut = min(end, _utc(now)) if now is not None else end
    events = OutageLog(conn).events(start, end)
    minutes = {source: _overlap_minutes(events, source, start, cut) for source in INTERVAL_SOURCES}
    battery = _battery_minutes(events, start, cut)
    outages = sum(1 for e in events if e.source == "mains_lost" and e.started_at >= start)
    refused = conn.execute(
        "SELECT count(*) FROM power_refusals WHERE refused_at >= ? AND refused_at < ?",
        (_iso(start), _iso(end)),
    ).fetchone()[0]
    return PowerReport(
        start=start,
        end=end,
        minutes_without_mains=round(minutes["mains_lost"], 2),
        minutes_on_generator=round(minutes["generator_on"], 2),
        minutes_on_battery=round(battery, 2),
        minutes_ups_unreachable=round(minutes["ups_unreachable"], 2),
        outages=outages,
        refused_captures=int(refused),
    )


def _battery_minutes(events: list[OutageEvent], start: dt.datetime, end: dt.datetime) -> float:
    """Without mains and not on generator: the time the UPS battery carried the office."""
    return max(
        0.0,
        _overlap_minutes(events, "mains_lost", start, end)
        - _overlap_minutes(events, "generator_on", start, end),
    )


def day_bounds(day: dt.date, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """Office-local midnight to midnight."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=tz)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz)


def daily_report(
    conn: sqlite3.Connection, day: dt.date, tz: dt.tzinfo, *, now: dt.datetime | None = None
) -> PowerReport:
    start, end = day_bounds(day, tz)
    return power_report(conn, start, end, now=now)


def week_monday(any_day: dt.date) -> dt.date:
    """The Monday of the ISO week holding ``any_day``."""
    return any_day - dt.timedelta(days=any_day.weekday())


def weekly_report(
    conn: sqlite3.Connection, any_day: dt.date, tz: dt.tzinfo, *, now: dt.datetime | None = None
) -> PowerReport:
    """The Monday-to-Sunday week holding ``any_day``."""
    monday = week_monday(any_day)
    start, _ = day_bounds(monday, tz)
    _, end = day_bounds(monday + dt.timedelta(days=6), tz)
    return power_report(conn, start, end, now=now)

"""Stage events into ``stage_events``, each id once; and a day of them back out."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ektp.messages import EventMessage
from ektp.service_stages import Stage, stage_of


@dataclass(frozen=True)
class StageRow:
    """One stage of one visit, as stored."""

    booth_id: str
    stage: Stage
    at: dt.datetime
    visit: str
    operator: str
    kelurahan: str
    sensor: str
    finger: str
    retries: int
    outcome: str


def is_stage_event(event: EventMessage) -> bool:
    return event.kind == "audit" and stage_of(event.name) is not None


def _text(event: EventMessage, name: str) -> str:
    value = event.data.get(name)
    return "" if value is None else str(value)


def visit_key(event: EventMessage) -> str:
    """One visit: the ticket number and when it was issued (numbers restart daily)."""
    ticket = _text(event, "ticket")
    return f"{ticket}@{_text(event, 'checked_in')}" if ticket else ""


def record_stage_event(
    conn: sqlite3.Connection,
    event: EventMessage,
    *,
    timezone: ZoneInfo,
    received_at: dt.datetime,
) -> Stage | None:
    """Store one stage event; its stage if it was new, None if a re-delivery or no stage."""
    stage = stage_of(event.name)
    if stage is None:
        return None
    retries = event.data.get("retries")
    outcome = _text(event, "outcome") or _text(event, "reason")
    cursor = conn.execute(
        "INSERT INTO stage_events (event_id, booth_id, stage, at, day, visit, operator,"
        " kelurahan, sensor, finger, retries, outcome, received_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING",
        (
            str(event.event_id),
            event.booth_id,
            str(stage),
            event.at.astimezone(dt.UTC).isoformat(),
            event.at.astimezone(timezone).date().isoformat(),
            visit_key(event),
            _text(event, "operator"),
            _text(event, "kelurahan"),
            _text(event, "sensor"),
            _text(event, "finger"),
            retries if isinstance(retries, int) and retries >= 0 else 0,
            outcome,
            received_at.astimezone(dt.UTC).isoformat(),
        ),
    )
    return stage if cursor.rowcount == 1 else None


def stage_rows(conn: sqlite3.Connection, day: dt.date) -> list[StageRow]:
    """Every stage of this office day, in time order."""
    rows = conn.execute(
        "SELECT booth_id, stage, at, visit, operator, kelurahan, sensor, finger, retries,"
        " outcome FROM stage_events WHERE day = ? ORDER BY at",
        (day.isoformat(),),
    )
    return [
        StageRow(
            booth_id=row[0],
            stage=Stage(row[1]),
            at=dt.datetime.fromisoformat(row[2]),
            visit=row[3],
            operator=row[4],
            kelurahan=row[5],
            sensor=row[6],
            finger=row[7],
            retries=int(row[8]),
            outcome=row[9],
        )
        for row in rows
    ]


def measured_days(conn: sqlite3.Connection, until: dt.date) -> list[dt.date]:
    """Office days before ``until`` on which at least one record was sealed."""
    rows = conn.execute(
        "SELECT DISTINCT day FROM stage_events WHERE stage = ? AND day < ? ORDER BY day",
        (str(Stage.SEALED), until.isoformat()),
    )
    return [dt.date.fromisoformat(row[0]) for row in rows]


def handovers_on(conn: sqlite3.Connection, day: dt.date, timezone: ZoneInfo) -> int:
    """Printed cards handed over on this office day (the booths' ``card_delivered``)."""
    start = dt.datetime.combine(day, dt.time(), timezone)
    rows = conn.execute(
        "SELECT happened_at FROM booth_events WHERE kind = 'card_delivered'"
        " AND happened_at >= ? AND happened_at < ?",
        (
            (start - dt.timedelta(days=1)).isoformat()[:10],
            (start + dt.timedelta(days=2)).isoformat()[:10],
        ),
    )
    return sum(
        1 for (at,) in rows if dt.datetime.fromisoformat(at).astimezone(timezone).date() == day
    )

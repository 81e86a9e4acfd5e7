"""Merging a booth's mobile duty into the office's statistics.

A booth on mobile duty (:mod:`kiosk.mobile.duty`) keeps its own queue and, once back,
sends one ``booths/<id>/events`` message per check-in (``kind="check_in"``,
``name="mobile_check_in"``, ``data``: ``number``, ``day``, ``service``,
``kelurahan``, ``priority``) and per call (``kind="ticket_called"``,
``name="mobile_ticket_called"``, ``data``: ``request_id``, ``number``). They are not
the office queue's business (:class:`~edge_controller.queue.OfficeQueue` ignores
them): :func:`merge_mobile_event` stores them here, once per event id, and
:func:`mobile_statistics` reports served residents per day and kelurahan with the
mean service time (call-to-call gaps of one booth, breaks left out).
"""

from __future__ import annotations

import datetime as dt
import itertools
import sqlite3
from dataclasses import dataclass

from edge_controller.ingest.db import transaction
from ektp.messages import EventMessage

MOBILE_CHECK_IN = "mobile_check_in"
MOBILE_TICKET_CALLED = "mobile_ticket_called"
MAX_SERVICE_MINUTES = 60.0


def is_mobile_event(event: EventMessage) -> bool:
    return (event.kind, event.name) in {
        ("check_in", MOBILE_CHECK_IN),
        ("ticket_called", MOBILE_TICKET_CALLED),
    }


def merge_mobile_event(conn: sqlite3.Connection, event: EventMessage, now: dt.datetime) -> bool:
    """Store one mobile event; False if it was merged before or is incomplete."""
    data = event.data
    at = event.at.astimezone(dt.UTC).isoformat(timespec="seconds")
    with transaction(conn):
        fresh = conn.execute(
            "INSERT INTO mobile_events (event_id, booth_id, merged_at) VALUES (?, ?, ?)"
            " ON CONFLICT (event_id) DO NOTHING",
            (str(event.event_id), event.booth_id, now.isoformat(timespec="seconds")),
        )
        if fresh.rowcount != 1:
            return False
        if event.name == MOBILE_CHECK_IN:
            conn.execute(
                "INSERT INTO mobile_tickets (request_id, booth_id, day, number, service,"
                " kelurahan, priority, checked_in_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (request_id) DO NOTHING",
                (
                    str(event.event_id),
                    event.booth_id,
                    str(data.get("day") or event.at.date().isoformat()),
                    str(data.get("number", "")),
                    str(data.get("service", "")),
                    str(data.get("kelurahan", "-")),
                    int(data.get("priority") is True),
                    at,
                ),
            )
        else:
            conn.execute(
                "UPDATE mobile_tickets SET called_at = ? WHERE request_id = ? AND booth_id = ?",
                (at, str(data.get("request_id", "")), event.booth_id),
            )
    return True


@dataclass(frozen=True)
class MobileDay:
    """One day of one village served by booths on mobile duty."""

    day: str
    kelurahan: str
    checked_in: int
    served: int
    mean_service_minutes: float | None


def mobile_statistics(conn: sqlite3.Connection) -> list[MobileDay]:
    """Per day and kelurahan: tickets, residents called, mean service time."""
    rows = conn.execute(
        "SELECT day, kelurahan, booth_id, called_at FROM mobile_tickets ORDER BY day, kelurahan"
    ).fetchall()
    days: list[MobileDay] = []
    for (day, kelurahan), group in itertools.groupby(rows, key=lambda r: (r[0], r[1])):
        tickets = list(group)
        called = sorted(
            (row[2], dt.datetime.fromisoformat(row[3])) for row in tickets if row[3] is not None
        )
        gaps = [
            (later - earlier).total_seconds() / 60
            for (booth, earlier), (other, later) in itertools.pairwise(called)
            if booth == other
        ]
        gaps = [gap for gap in gaps if 0 < gap <= MAX_SERVICE_MINUTES]
        days.append(
            MobileDay(
                day,
                kelurahan,
                checked_in=len(tickets),
                served=len(called),
                mean_service_minutes=round(sum(gaps) / len(gaps), 1) if gaps else None,
            )
        )
    return days

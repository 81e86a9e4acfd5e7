"""Booth events as received: each event id counted once.

Booths deliver ``booths/<id>/events`` at least once (their outbox keeps an event until
the broker's PUBACK, and sends it again after a crash or a lost PUBACK). Every event
that reaches the edge is logged here by its id first — a re-delivery changes nothing —
so each check-in, ticket call, card delivery and audit event is on record exactly once
(what the office counts card hand-overs from, and what the chaos checker compares with
the booths' own journals). The effects of an event (queue, mobile statistics, outage
log) keep their own de-duplication: this log never gates them, so an edge that dies
between the two still applies the re-delivered event.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from ektp.messages import EventMessage

BOOTH_EVENTS_SQL = """
CREATE TABLE booth_events (
    event_id TEXT PRIMARY KEY,           -- the booth's event id (re-deliveries ignored)
    booth_id TEXT NOT NULL,
    kind TEXT NOT NULL,                  -- check_in, ticket_called, card_delivered, audit
    name TEXT NOT NULL,
    happened_at TEXT NOT NULL,           -- ISO date-time, as the booth stamped it
    received_at TEXT NOT NULL            -- ISO date-time, UTC
) WITHOUT ROWID;
CREATE INDEX booth_events_by_kind ON booth_events (kind, happened_at);
"""


def record_booth_event(
    conn: sqlite3.Connection, event: EventMessage, received_at: dt.datetime
) -> bool:
    """Log one received event; False if its id was logged before (a re-delivery)."""
    cursor = conn.execute(
        "INSERT INTO booth_events (event_id, booth_id, kind, name, happened_at, received_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING",
        (
            str(event.event_id),
            event.booth_id,
            event.kind,
            event.name,
            event.at.isoformat(),
            received_at.astimezone(dt.UTC).isoformat(),
        ),
    )
    return cursor.rowcount == 1


def booth_event_count(conn: sqlite3.Connection, kind: str | None = None) -> int:
    """How many distinct events were received (of one kind, or all)."""
    row = conn.execute(
        "SELECT COUNT(*) FROM booth_events WHERE ?1 IS NULL OR kind = ?1", (kind,)
    ).fetchone()
    return int(row[0])

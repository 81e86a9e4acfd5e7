"""The booth's own queue on mobile duty, and the events that tell the edge about it later.

:class:`MobileTicketDesk` is the flows' :class:`~kiosk.flow.ports.TicketDesk` away
from the office: numbers ``M-001``, ``M-002``, … per local day, priority first,
the queue in ``<data_dir>/mobile/tickets.sqlite`` (:func:`ektp.sqlite_store.open_durable`)
so a restart in the field keeps it. Each check-in and each call is also a
``booths/<id>/events`` message (kinds ``check_in`` / ``ticket_called``, names
:data:`MOBILE_CHECK_IN` / :data:`MOBILE_TICKET_CALLED`, a unique event id each),
which the office queue ignores and the edge's statistics take
(:mod:`edge_controller.mobile.stats`).

Those messages go to the booth's outbox (``send``, a
:class:`~kiosk.outbox.records.Sendable` of kind ``mobile_ticket``) inside the ticket's
transaction, before the number is shown: a full outbox refuses the check-in. The
uplink delivers them once the booth is back, oldest first, keeping each until the
broker says a subscriber took it; the edge ignores an event id it has seen, so a
re-send changes nothing. Events kept by an older version in this file's ``events``
table move to the outbox with :meth:`MobileStore.hand_over_kept_events`.

As at the office, a NIK whose ticket still waits gets that ticket again, not a second
one (and no new event).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path

from ektp.messages import EventMessage
from ektp.sqlite_store import Migration, open_durable
from ektp.sqlite_transaction import write_transaction
from ektp.topics import Topic
from kiosk.flow.errors import FlowError
from kiosk.flow.ports import CheckIn, Ticket
from kiosk.outbox.errors import MSG_OUTBOX_FULL, OutboxFull
from kiosk.outbox.records import Send, Sendable, SendableKind

log = logging.getLogger(__name__)

MOBILE_CHECK_IN = "mobile_check_in"
MOBILE_TICKET_CALLED = "mobile_ticket_called"

MIGRATIONS = (
    Migration(
        "mobile tickets and the events kept for the office",
        """
        CREATE TABLE IF NOT EXISTS tickets (
            request_id TEXT PRIMARY KEY,
            day TEXT NOT NULL,
            seq INTEGER NOT NULL,
            number TEXT NOT NULL,
            checkin TEXT NOT NULL,               -- the CheckIn as JSON (stays on the booth)
            priority INTEGER NOT NULL,
            issued_at TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'called')),
            UNIQUE (day, seq)
        );
        CREATE TABLE IF NOT EXISTS events (      -- older versions only: see hand_over_kept_events
            event_id TEXT PRIMARY KEY,
            body BLOB NOT NULL,                  -- the EventMessage, canonical JSON
            created_at TEXT NOT NULL,
            delivered INTEGER NOT NULL DEFAULT 0
        );
        """,
    ),
)


class MobileStore:
    """The SQLite file behind the desk (thread-safe, one connection)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._conn = open_durable(path, migrations=MIGRATIONS, row_factory=sqlite3.Row)

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> MobileStore:
        return cls(data_dir / "mobile" / "tickets.sqlite")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``), committed when the block ends."""
        with self._lock, write_transaction(self._conn) as conn:
            yield conn

    def hand_over_kept_events(self, send: Send) -> int:
        """Move events an older version kept here to the outbox; how many moved.

        A full outbox stops the move (the booth's uplink has raised the alert); what is
        left moves at the next start.
        """
        with self._lock:
            rows = self._conn.execute(
                "SELECT event_id, body FROM events WHERE delivered = 0 ORDER BY rowid"
            ).fetchall()
        for moved, (event_id, body) in enumerate(rows):
            event = EventMessage.model_validate_json(bytes(body))
            try:
                send(mobile_sendable(event))
            except OutboxFull:
                log.exception("mobile: %d kept events wait for room in the outbox", len(rows))
                return moved  # the rest stay here for the next start
            with self._lock:
                self._conn.execute(
                    "UPDATE events SET delivered = 1 WHERE event_id = ?", (event_id,)
                )
        return len(rows)


def mobile_sendable(event: EventMessage) -> Sendable:
    """A mobile check-in or call as an outbox record (the edge counts each id once)."""
    return Sendable.of(
        SendableKind.MOBILE_TICKET, event.event_id, event.booth_id, Topic.EVENTS, event
    )


def _local_now() -> dt.datetime:
    """The booth's wall clock in its system time zone."""
    return dt.datetime.now(dt.UTC).astimezone()


class MobileTicketDesk:
    """Local, durable tickets with their own prefix; see the module docstring."""

    def __init__(
        self,
        store: MobileStore,
        *,
        booth_id: str,
        send: Send,
        prefix: str = "M",
        clock: Callable[[], dt.datetime] = _local_now,
    ) -> None:
        self._store = store
        self._booth_id = booth_id
        self._send = send
        self._prefix = prefix
        self._clock = clock
        """Aware local time; its calendar date is the ticket day (numbers restart daily)."""

    def issue(self, checkin: CheckIn) -> Ticket:
        now = self._clock()
        request_id = uuid.uuid4()
        day = now.date().isoformat()
        event = EventMessage(
            booth_id=self._booth_id,
            event_id=request_id,
            at=now,
            kind="check_in",
            name=MOBILE_CHECK_IN,
            data={
                "day": day,
                "service": checkin.service,
                "kelurahan": (checkin.kelurahan or "-")[:64],
                "priority": checkin.priority,
                "in_roster": checkin.in_roster,
            },
        )
        store = self._store
        with store.transaction() as conn:
            waiting = conn.execute(
                "SELECT number, checkin, issued_at FROM tickets WHERE state = 'waiting'"
                " AND json_extract(checkin, '$.nik') = ?",
                (checkin.nik,),
            ).fetchone()
            if waiting is not None:
                issued = dt.datetime.fromisoformat(waiting["issued_at"])
                return Ticket(number=waiting["number"], checkin=checkin, issued_at=issued)
            seq = 1 + int(
                conn.execute(
                    "SELECT COALESCE(MAX(seq), 0) FROM tickets WHERE day = ?", (day,)
                ).fetchone()[0]
            )
            number = f"{self._prefix}-{seq:03d}"
            event = event.model_copy(update={"data": {**event.data, "number": number}})
            conn.execute(
                "INSERT INTO tickets (request_id, day, seq, number, checkin, priority, issued_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    str(request_id),
                    day,
                    seq,
                    number,
                    json.dumps(asdict(checkin)),
                    int(checkin.priority),
                    now.isoformat(),
                ),
            )
            self._keep(event)  # durable before the number is shown
        return Ticket(number=number, checkin=checkin, issued_at=now)

    def call_next(self, booth_id: str) -> Ticket | None:
        now = self._clock()
        store = self._store
        with store.transaction() as conn:
            row = conn.execute(
                "SELECT * FROM tickets WHERE state = 'waiting'"
                " ORDER BY priority DESC, day, seq LIMIT 1"
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE tickets SET state = 'called' WHERE request_id = ?", (row["request_id"],)
            )
            self._keep(
                EventMessage(
                    booth_id=self._booth_id,
                    event_id=uuid.uuid4(),
                    at=now,
                    kind="ticket_called",
                    name=MOBILE_TICKET_CALLED,
                    data={"request_id": row["request_id"], "number": row["number"]},
                )
            )
        stored = json.loads(row["checkin"])
        checkin = CheckIn(**{**stored, "documents": tuple(stored["documents"])})
        issued = dt.datetime.fromisoformat(row["issued_at"])
        return Ticket(number=row["number"], checkin=checkin, issued_at=issued)

    def _keep(self, event: EventMessage) -> None:
        """Into the outbox, inside the ticket's transaction; a full outbox refuses."""
        try:
            self._send(mobile_sendable(event))
        except OutboxFull as err:
            raise FlowError(MSG_OUTBOX_FULL, code="outbox_full") from err

    @property
    def waiting(self) -> int:
        with self._store.transaction() as conn:
            row = conn.execute("SELECT COUNT(*) FROM tickets WHERE state = 'waiting'").fetchone()
        return int(row[0])

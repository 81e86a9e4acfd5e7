"""The booth's own queue on mobile duty, and the events that tell the edge about it later.

:class:`MobileTicketDesk` is the flows' :class:`~kiosk.flow.ports.TicketDesk` away
from the office: numbers ``M-001``, ``M-002``, … per local day, priority first,
everything in ``<data_dir>/mobile/tickets.sqlite`` (WAL, ``synchronous=FULL``) so a
restart in the field keeps the queue. Each check-in and each call is also kept as a
``booths/<id>/events`` message (kinds ``check_in`` / ``ticket_called``, names
:data:`MOBILE_CHECK_IN` / :data:`MOBILE_TICKET_CALLED`, a unique event id each),
which the office queue ignores and the edge's statistics take
(:mod:`edge_controller.mobile.stats`).

:class:`MobileEventSender` delivers the kept events once the booth is back: it
publishes each QoS 1 and marks it delivered only when the broker answers that a
subscriber took it (MQTT v5 reason 0; reason 16 "no matching subscribers" means the
edge is not listening yet, so the event stays and goes again later). The edge ignores
an event id it has seen, so a re-send changes nothing.
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
from pathlib import Path

from ektp.messages import EventMessage, MessageError, encode_message
from ektp.mqtt_client import MqttClient, MqttError
from ektp.topics import Topic, booth_topic
from kiosk.flow.ports import CheckIn, Ticket

log = logging.getLogger(__name__)

MOBILE_CHECK_IN = "mobile_check_in"
MOBILE_TICKET_CALLED = "mobile_ticket_called"
NO_MATCHING_SUBSCRIBERS = 16

_SCHEMA = """
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
CREATE TABLE IF NOT EXISTS events (
    event_id TEXT PRIMARY KEY,
    body BLOB NOT NULL,                  -- the EventMessage, canonical JSON
    created_at TEXT NOT NULL,
    delivered INTEGER NOT NULL DEFAULT 0
);
"""


class MobileStore:
    """The SQLite file behind the desk and the sender (thread-safe, one connection)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.executescript(_SCHEMA)

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> MobileStore:
        return cls(data_dir / "mobile" / "tickets.sqlite")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``), committed when the block ends."""
        with self._lock, _transaction(self._conn) as conn:
            yield conn

    def pending_events(self, limit: int = 200) -> list[tuple[str, bytes]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT event_id, body FROM events WHERE delivered = 0 ORDER BY rowid LIMIT ?",
                (limit,),
            ).fetchall()
        return [(row[0], bytes(row[1])) for row in rows]

    def mark_delivered(self, event_id: str) -> None:
        with self._lock:
            self._conn.execute("UPDATE events SET delivered = 1 WHERE event_id = ?", (event_id,))

    def waiting_events(self) -> int:
        with self._lock:
            row = self._conn.execute("SELECT COUNT(*) FROM events WHERE delivered = 0").fetchone()
        return int(row[0])


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
        prefix: str = "M",
        clock: Callable[[], dt.datetime] = _local_now,
    ) -> None:
        self._store = store
        self._booth_id = booth_id
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
                    json.dumps(_checkin_dict(checkin)),
                    int(checkin.priority),
                    now.isoformat(),
                ),
            )
            _keep_event(conn, event)
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
            _keep_event(
                conn,
                EventMessage(
                    booth_id=self._booth_id,
                    event_id=uuid.uuid4(),
                    at=now,
                    kind="ticket_called",
                    name=MOBILE_TICKET_CALLED,
                    data={"request_id": row["request_id"], "number": row["number"]},
                ),
            )
        stored = json.loads(row["checkin"])
        checkin = CheckIn(**{**stored, "documents": tuple(stored["documents"])})
        issued = dt.datetime.fromisoformat(row["issued_at"])
        return Ticket(number=row["number"], checkin=checkin, issued_at=issued)

    @property
    def waiting(self) -> int:
        with self._store.transaction() as conn:
            row = conn.execute("SELECT COUNT(*) FROM tickets WHERE state = 'waiting'").fetchone()
        return int(row[0])


class MobileEventSender:
    """Delivers the kept events through the booth's MQTT client, in a background thread."""

    def __init__(self, store: MobileStore, client: MqttClient, booth_id: str) -> None:
        self._store = store
        self._client = client
        self._topic = booth_topic(booth_id, Topic.EVENTS)
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, interval: float = 2.0) -> None:
        def loop() -> None:
            while not self._stopped.wait(interval):
                if self._client.connected.is_set():
                    self.send_pending()

        self._thread = threading.Thread(target=loop, name="mobile-events", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def send_pending(self) -> int:
        """Send what waits; the number the edge's side took. Stops at the first failure."""
        delivered = 0
        for event_id, body in self._store.pending_events():
            try:
                reason = self._client.publish_and_wait(self._topic, body)
            except (MqttError, MessageError) as err:
                log.info("mobile: events wait for the office (%s)", getattr(err, "code", err))
                return delivered
            if reason == NO_MATCHING_SUBSCRIBERS:
                return delivered  # the edge is not listening yet: keep them
            self._store.mark_delivered(event_id)
            delivered += 1
        return delivered


def _checkin_dict(checkin: CheckIn) -> dict[str, object]:
    return {
        "service": checkin.service,
        "nik": checkin.nik,
        "kk": checkin.kk,
        "name": checkin.name,
        "kelurahan": checkin.kelurahan,
        "in_roster": checkin.in_roster,
        "documents": list(checkin.documents),
        "language": checkin.language,
        "priority": checkin.priority,
    }


def _keep_event(conn: sqlite3.Connection, event: EventMessage) -> None:
    conn.execute(
        "INSERT INTO events (event_id, body, created_at) VALUES (?, ?, ?)",
        (str(event.event_id), encode_message(event), event.at.isoformat()),
    )


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")

"""The office queue: tickets from check-ins, called by operators from any booth.

Booth → edge, on ``booths/<id>/events`` (:class:`~ektp.messages.EventMessage`):

* **check-in** — ``kind="check_in"``, ``name="check_in"``: service, village, priority
  and the NIK and KK sealed for the edge (:mod:`edge_controller.queue_check_in`, which
  also refuses a NIK or KK that breaks the rules, with the reason; a NIK whose ticket
  still waits gets that ticket again). ``event_id`` is the **request id**.
* **call next** — ``kind="ticket_called"``, ``name="call_next"``, empty ``data``:
  the booth's current ticket (if any) is done, and the next waiting ticket is
  called to this booth.
* **call for an operator** — ``kind="audit"``, ``name="call_operator"``: the resident
  pressed the booth's call button. The queue page shows it (:class:`OperatorCall`, read
  from the received-events log) until the same booth next calls a ticket or hands a
  card over — the operator came.

Edge → booths, retained ``office/queue`` (:class:`~ektp.messages.QueueMessage`),
republished after every change: ``waiting`` in serving order, ``called`` (booth →
ticket), today's latest ``refusals``. A ticket names its resident by the roster
look-up key only (:mod:`ektp.roster_keys`); a called ticket also carries the resident's
NIK and KK sealed to the calling booth's key, which no other booth opens
(:mod:`edge_controller.queue_tickets`).

How a booth learns its ticket number (request/response over MQTT): it publishes the
check-in and watches the retained ``office/queue``; its ticket is the one, in
``waiting`` or ``called``, whose ``request_id`` is the check-in's event id
(:func:`~edge_controller.queue_tickets.find_ticket`), or the refusal with that id. The
event id also makes a re-delivered check-in (QoS 1) a no-op. Each waiting ticket carries
its ``priority`` and its ``estimated_wait_minutes`` (below), so the booth can print the
wait on the ticket screen. A booth that calls learns its ticket from ``called[<id>]``.

Numbers are ``<prefix>-001``, ``-002``, … and restart every office-local day;
tickets still waiting from an earlier day expire. Everything is in the edge database,
so a restart keeps the queue. Estimated wait (:meth:`OfficeQueue.estimated_wait_minutes`):
the moving average of call-to-call durations per booth (recent ones, breaks left
out), averaged over booths, × position ÷ booths serving now.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import sqlite3
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from edge_controller.config.queue import QueueConfig
from edge_controller.ingest.db import transaction
from edge_controller.queue_check_in import (
    ALREADY_WAITING,
    Refusal,
    insert_ticket,
    read_check_in,
    record_refusal,
    refusal_of,
    refusals_of,
)
from edge_controller.queue_tickets import called_ticket_of, ticket_of, utc_text
from ektp.errors import ValidationError
from ektp.messages import OPERATOR_CALL_EVENT, EventMessage, QueueMessage, QueueTicket
from ektp.regions import RegionTable
from ektp.roster_keys import MSG_ALREADY_WAITING

log = logging.getLogger(__name__)
CHECK_IN_NAME = "check_in"
CALL_NEXT_NAME = "call_next"
OPERATOR_ACTS = ("ticket_called", "card_delivered")
"""Event kinds by which the operator of a booth answers its call."""


class QueueEventError(ValidationError):
    code = "queue.bad_event"
    domain = "edge_controller"


@dataclass(frozen=True)
class QueueEntry:
    """A ticket as the dashboard shows it."""

    ticket: QueueTicket
    priority: bool
    from_booth: str
    position: int | None  # 1-based place in the waiting line; None once called
    estimated_wait_minutes: float | None
    called_by: str | None


@dataclass(frozen=True)
class OperatorCall:
    """A booth whose resident asks for an operator (the call button), not yet answered."""

    booth_id: str
    asked_at: dt.datetime  # the first press since the operator last acted
    presses: int


@dataclass(frozen=True)
class QueueSnapshot:
    at: dt.datetime
    waiting: tuple[QueueEntry, ...]
    called: dict[str, QueueEntry]
    service_minutes: dict[str, float]  # per booth, moving average
    active_booths: int
    operator_calls: tuple[OperatorCall, ...] = ()


class OfficeQueue:
    """The queue kept in the edge database; call it from one thread (the db thread)."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        config: QueueConfig,
        timezone: ZoneInfo,
        *,
        regions: RegionTable | None = None,
    ) -> None:
        self.conn = conn
        self.config = config
        self.timezone = timezone
        self.regions = regions or RegionTable.bundled()

    # -- changes ------------------------------------------------------------------

    def apply(self, event: EventMessage, now: dt.datetime) -> bool:
        """Apply a queue event; True if the queue changed (publish it again).

        Other events (card deliveries, audit) and re-delivered ones return False. A
        refused check-in is kept with its reason (True: ``office/queue`` lists it).
        """
        if event.kind == "check_in" and event.name == CHECK_IN_NAME:
            try:
                return self.check_in(event, now) is not None
            except QueueEventError as err:
                log.warning("check-in %s refused: %s", event.event_id, err.code)
                return True
        if event.kind == "ticket_called" and event.name == CALL_NEXT_NAME:
            with transaction(self.conn):
                if not self._first_time(event, now):
                    return False
                self._call_next(event.booth_id, now)
            return True
        return False

    def check_in(self, event: EventMessage, now: dt.datetime) -> QueueTicket | None:
        """The ticket of a check-in event; None if this request was seen before.

        A NIK that already waits today gets its ticket back (the event is answered on
        ``office/queue`` with :data:`ALREADY_WAITING` and that number). Raises
        :class:`QueueEventError` (kept as a refusal, with the reason) for a check-in
        that cannot be read or whose NIK or KK breaks the rules.
        """
        if self._seen(event):
            return None
        today = now.astimezone(self.timezone).date()
        try:
            request = read_check_in(self.conn, event, self.regions, today)
        except (ValidationError, ValueError) as err:
            refusal = refusal_of(err)
            if refusal is None:
                raise
            with transaction(self.conn):
                if self._first_time(event, now):
                    record_refusal(self.conn, event, today.isoformat(), refusal, now)
            raise QueueEventError(refusal.message, code=refusal.code, **refusal.params) from err
        with transaction(self.conn):
            if not self._first_time(event, now):
                return None
            day = self._roll_day(now)
            existing = self.conn.execute(
                "SELECT * FROM queue_tickets WHERE state = 'waiting' AND day = ? AND nik = ?",
                (day, request.nik),
            ).fetchone()
            if existing is not None:
                number = existing["number"]
                again = Refusal(ALREADY_WAITING, MSG_ALREADY_WAITING, {"number": number}, number)
                record_refusal(self.conn, event, day, again, now)
                return ticket_of(existing)
            number = insert_ticket(self.conn, self.config.ticket_prefix, event, request, day)
        return QueueTicket(
            number=number,
            service=request.service,
            resident_key=request.resident_key,
            kelurahan=request.kelurahan,
            checked_in_at=event.at,
            request_id=event.event_id,
            priority=request.priority,
        )

    def call_next(self, booth_id: str, now: dt.datetime) -> QueueTicket | None:
        """Finish the booth's current ticket and call the next one to it (None: nobody)."""
        with transaction(self.conn):
            return self._call_next(booth_id, now)

    def _call_next(self, booth_id: str, now: dt.datetime) -> QueueTicket | None:
        self._roll_day(now)
        self.conn.execute(
            "UPDATE queue_tickets SET state = 'done' WHERE state = 'called' AND called_by = ?",
            (booth_id,),
        )
        row = self.conn.execute(
            f"SELECT * FROM queue_tickets WHERE state = 'waiting' ORDER BY {self._order()} LIMIT 1"  # noqa: S608
        ).fetchone()
        if row is None:
            return None
        self.conn.execute(
            "UPDATE queue_tickets SET state = 'called', called_by = ?, called_at = ?"
            " WHERE ticket_id = ?",
            (booth_id, utc_text(now), row["ticket_id"]),
        )
        return ticket_of(row)

    def _seen(self, event: EventMessage) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM queue_events WHERE event_id = ?", (str(event.event_id),)
        ).fetchone()
        return row is not None

    def _first_time(self, event: EventMessage, now: dt.datetime) -> bool:
        cursor = self.conn.execute(
            "INSERT INTO queue_events (event_id, applied_at) VALUES (?, ?)"
            " ON CONFLICT (event_id) DO NOTHING",
            (str(event.event_id), utc_text(now)),
        )
        return cursor.rowcount == 1

    def _roll_day(self, now: dt.datetime) -> str:
        """Today's office-local date; tickets of earlier days leave the queue."""
        day = now.astimezone(self.timezone).date().isoformat()
        self.conn.execute(
            "UPDATE queue_tickets SET state = 'expired' WHERE state = 'waiting' AND day < ?",
            (day,),
        )
        self.conn.execute(
            "UPDATE queue_tickets SET state = 'done' WHERE state = 'called' AND day < ?", (day,)
        )
        return day

    def _order(self) -> str:
        return "priority DESC, ticket_id" if self.config.priority_enabled else "ticket_id"

    # -- reading ------------------------------------------------------------------

    def message(self, now: dt.datetime) -> QueueMessage:
        """The retained ``office/queue`` message for today."""
        day = now.astimezone(self.timezone).date().isoformat()
        service, active = self.service_minutes(now), self.active_booths(now)
        return QueueMessage(
            at=now,
            waiting=tuple(
                ticket_of(row, self._estimate(position, service, active))
                for position, row in enumerate(self._waiting_rows(day), start=1)
            ),
            called={
                row["called_by"]: called_ticket_of(self.conn, row) for row in self._called_rows(day)
            },
            refusals=refusals_of(self.conn, day),
        )

    def snapshot(self, now: dt.datetime) -> QueueSnapshot:
        """The queue with positions, wait estimates and service times (dashboard)."""
        day = now.astimezone(self.timezone).date().isoformat()
        service = self.service_minutes(now)
        active = self.active_booths(now)
        waiting = tuple(
            QueueEntry(
                ticket=ticket_of(row, self._estimate(position, service, active)),
                priority=bool(row["priority"]),
                from_booth=row["from_booth"],
                position=position,
                estimated_wait_minutes=self._estimate(position, service, active),
                called_by=None,
            )
            for position, row in enumerate(self._waiting_rows(day), start=1)
        )
        called = {
            row["called_by"]: QueueEntry(
                ticket_of(row),
                bool(row["priority"]),
                row["from_booth"],
                None,
                None,
                row["called_by"],
            )
            for row in self._called_rows(day)
        }
        return QueueSnapshot(now, waiting, called, service, active, self.operator_calls(now))

    def operator_calls(self, now: dt.datetime) -> tuple[OperatorCall, ...]:
        """Today's calls for an operator that no later act of the same booth answered."""
        day = now.astimezone(self.timezone).date()
        since = dt.datetime.combine(day, dt.time(0), self.timezone)
        rows = self.conn.execute(
            "SELECT booth_id, kind, name, happened_at FROM booth_events"
            " WHERE kind IN ('audit', ?, ?) AND received_at >= ? ORDER BY booth_id",
            (*OPERATOR_ACTS, since.astimezone(dt.UTC).isoformat()),  # as received_at is kept
        ).fetchall()
        calls: dict[str, list[dt.datetime]] = {}
        answered: dict[str, dt.datetime] = {}
        for booth_id, kind, name, happened_at in rows:
            at = dt.datetime.fromisoformat(happened_at)
            if kind in OPERATOR_ACTS:
                answered[booth_id] = max(at, answered.get(booth_id, at))
            elif name == OPERATOR_CALL_EVENT:
                calls.setdefault(booth_id, []).append(at)
        open_calls = []
        for booth_id, times in sorted(calls.items()):
            since_act = [at for at in times if booth_id not in answered or at > answered[booth_id]]
            if since_act:
                open_calls.append(OperatorCall(booth_id, min(since_act), len(since_act)))
        return tuple(open_calls)

    def estimated_wait_minutes(self, position: int, now: dt.datetime) -> float:
        """Minutes until the ticket at ``position`` (1 = next) is likely called."""
        return self._estimate(position, self.service_minutes(now), self.active_booths(now))

    def service_minutes(self, now: dt.datetime) -> dict[str, float]:
        """Per booth: the mean of its recent call-to-call durations (breaks left out)."""
        result: dict[str, float] = {}
        limit = self.config.service_time_samples + 1
        booths = [
            row[0]
            for row in self.conn.execute(
                "SELECT DISTINCT called_by FROM queue_tickets WHERE called_by IS NOT NULL"
            )
        ]
        for booth_id in booths:
            times = [
                dt.datetime.fromisoformat(row[0])
                for row in self.conn.execute(
                    "SELECT called_at FROM queue_tickets WHERE called_by = ? AND called_at <= ?"
                    " ORDER BY called_at DESC LIMIT ?",
                    (booth_id, utc_text(now), limit),
                )
            ]
            gaps = [
                (later - earlier).total_seconds() / 60
                for later, earlier in itertools.pairwise(times)
            ]
            gaps = [gap for gap in gaps if 0 < gap <= self.config.max_service_minutes]
            if gaps:
                result[booth_id] = sum(gaps) / len(gaps)
        return result

    def active_booths(self, now: dt.datetime) -> int:
        """Booths that called a ticket recently (at least 1)."""
        since = now - dt.timedelta(minutes=self.config.active_booth_minutes)
        row = self.conn.execute(
            "SELECT COUNT(DISTINCT called_by) FROM queue_tickets"
            " WHERE called_at IS NOT NULL AND called_at >= ?",
            (utc_text(since),),
        ).fetchone()
        return max(1, int(row[0]))

    def _estimate(self, position: int, service: dict[str, float], active: int) -> float:
        average = (
            sum(service.values()) / len(service) if service else self.config.default_service_minutes
        )
        return round(average * position / active, 1)

    def _waiting_rows(self, day: str) -> list[sqlite3.Row]:
        return list(
            self.conn.execute(
                "SELECT * FROM queue_tickets WHERE state = 'waiting' AND day = ?"  # noqa: S608
                f" ORDER BY {self._order()}",
                (day,),
            )
        )

    def _called_rows(self, day: str) -> list[sqlite3.Row]:
        return list(
            self.conn.execute(
                "SELECT * FROM queue_tickets WHERE state = 'called' AND day = ? ORDER BY called_at",
                (day,),
            )
        )

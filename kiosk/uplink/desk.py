"""The office queue at the edge, as the flows' ``TicketDesk``.

A check-in is an event to the edge, the NIK and KK sealed with the office roster
secret (:func:`kiosk.uplink.events.check_in_event`); the ticket number comes back in the
retained ``office/queue``, matched by the check-in's request id (its event id), with
the edge's estimated wait — or the queue's refusal with the reason, or the ticket the
NIK already holds. Calling the next resident is an event too; the edge answers by
showing that ticket as called to this booth.

``office/queue`` names residents by their roster look-up key only. The ticket called
to this booth also carries the NIK and KK of the resident's own check-in, whichever
booth took it, sealed by the edge to this booth's key and bound to this booth and this
ticket (:mod:`edge_controller.queue_tickets`): the desk opens it with the booth key and
completes the ticket from it and from the roster digest (masked name) — also after a
restart, as nothing of a check-in is kept here. (An earlier version kept this booth's
own check-ins in memory as a fast path; the sealed resident serves every call, and the
edge's copy is the one it checked, so no NIK waits in the booth's memory any more.) A
called ticket without a resident this booth can open (a booth without its key, an edge
of an older version) is completed without the NIK, as before, and logged.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ektp.errors import ValidationError
from ektp.i18n import N_
from ektp.messages import EventMessage, QueueRefusal, QueueTicket
from ektp.roster_keys import RosterSecret
from ektp.roster_seal import RosterSealError, called_ticket_context, open_resident
from kiosk.flow.errors import FlowError
from kiosk.flow.ports import CheckIn, Roster, Ticket
from kiosk.outbox.errors import MSG_OUTBOX_FULL, OutboxFull
from kiosk.uplink.client import BoothUplink
from kiosk.uplink.events import call_next_event, check_in_event
from kiosk.uplink.roster_feed import RosterFeed

log = logging.getLogger(__name__)
MSG_UNREACHABLE = N_("The office queue cannot be reached. Please see an operator.")


class QueueRefused(ValidationError):
    """The office queue did not number the check-in; the message says why (ektp catalog)."""

    code = "queue_refused"


class EdgeTicketDesk:
    def __init__(
        self,
        uplink: BoothUplink,
        *,
        booth_id: str,
        roster: Roster,
        documents_for: Callable[[str], Sequence[str]],
        timeout: float = 8.0,
        secret: Callable[[], RosterSecret | None] | None = None,
        booth_key: Ed25519PrivateKey | None = None,
    ) -> None:
        """``secret`` gives the office roster secret (default: the ``roster``'s, when it is
        the booth's :class:`RosterFeed`); ``booth_key`` (the booth's signing key) opens
        the resident of a ticket called here."""
        self._uplink = uplink
        self._booth_id = booth_id
        self._roster = roster
        self._documents_for = documents_for
        self._timeout = timeout
        if secret is None:
            feed = roster if isinstance(roster, RosterFeed) else None
            secret = (lambda: feed.secret) if feed is not None else (lambda: None)
        self._secret = secret
        self._booth_key = booth_key

    def issue(self, checkin: CheckIn) -> Ticket:
        secret = self._secret()
        if secret is None:  # not registered, or the edge never reached this booth
            raise FlowError(MSG_UNREACHABLE, code="no_roster_key")
        event = check_in_event(
            self._booth_id,
            nik=checkin.nik,
            kk=checkin.kk,
            kelurahan=checkin.kelurahan or "-",
            service=checkin.service,
            priority=checkin.priority,
            secret=secret,
        )
        self._send(event)
        answer = self._wait_for_ticket(event.event_id)
        if answer is None:
            raise FlowError(MSG_UNREACHABLE, code="queue_unreachable")
        if isinstance(answer, QueueRefusal):
            existing = self._ticket_numbered(answer.existing_number)
            if existing is None:
                raise QueueRefused(answer.message, code=answer.code, **answer.params)
            answer = existing
        wait = answer.estimated_wait_minutes
        return Ticket(
            number=answer.number,
            checkin=checkin,
            issued_at=answer.checked_in_at,
            estimated_wait_minutes=max(1, round(wait)) if wait is not None else None,
        )

    def _ticket_numbered(self, number: str | None) -> QueueTicket | None:
        queue = self._uplink.latest_queue
        if number is None or queue is None:
            return None
        return next((t for t in queue.waiting if t.number == number), None)

    def _send(self, event: EventMessage) -> None:
        """Keep the event durably for the edge; a full outbox refuses in plain words."""
        try:
            self._uplink.send_event(event)
        except OutboxFull as err:
            raise FlowError(MSG_OUTBOX_FULL, code="outbox_full") from err

    def _wait_for_ticket(self, request_id: uuid.UUID) -> QueueTicket | QueueRefusal | None:
        """The edge's answer to this check-in (matched by request id), waiting for it."""
        deadline = time.monotonic() + self._timeout
        while True:
            queue = self._uplink.latest_queue
            if queue is not None:
                for ticket in (*queue.waiting, *queue.called.values()):
                    if ticket.request_id == request_id:
                        return ticket
                for refusal in queue.refusals:
                    if refusal.request_id == request_id:
                        return refusal
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.05)

    def call_next(self, booth_id: str) -> Ticket | None:
        before = self._called_here()
        self._send(call_next_event(booth_id))
        sent_at = time.monotonic()
        while time.monotonic() < sent_at + self._timeout:
            now = self._called_here()
            if now is not None and not _same_ticket(now, before):
                return self._complete(now)
            queue = self._uplink.latest_queue
            settled = time.monotonic() - sent_at > 1.0
            if settled and queue is not None and not queue.waiting:
                return None  # nobody waits: the edge had no one to call here
            time.sleep(0.05)
        raise FlowError(MSG_UNREACHABLE, code="queue_unreachable")

    def _called_here(self) -> QueueTicket | None:
        queue = self._uplink.latest_queue
        return queue.called.get(self._booth_id) if queue is not None else None

    def _complete(self, ticket: QueueTicket) -> Ticket:
        nik, kk = self._resident_of(ticket)
        find_key = getattr(self._roster, "find_key", None)
        entry = find_key(ticket.resident_key) if find_key is not None else None
        checkin = CheckIn(
            service=str(ticket.service),
            nik=nik,
            kk=kk,
            name=entry.name if entry else "",
            kelurahan=entry.kelurahan if entry else ticket.kelurahan,
            in_roster=entry is not None,
            documents=tuple(self._documents_for(str(ticket.service))),
            priority=ticket.priority,
        )
        return Ticket(number=ticket.number, checkin=checkin, issued_at=ticket.checked_in_at)

    def _resident_of(self, ticket: QueueTicket) -> tuple[str, str]:
        """The (NIK, KK) the edge sealed to this booth for ``ticket``; empty if none opens."""
        sealed = ticket.resident_sealed
        if sealed is None or self._booth_key is None:
            log.warning("queue: ticket %s came without a resident for this booth", ticket.number)
            return "", ""
        request_id = str(ticket.request_id) if ticket.request_id else ""
        context = called_ticket_context(self._booth_id, ticket.number, request_id)
        try:
            return open_resident(sealed.sealed(), self._booth_key, context)
        except RosterSealError as err:
            log.warning(
                "queue: the resident of ticket %s does not open (%s)", ticket.number, err.code
            )
            return "", ""


def _same_ticket(one: QueueTicket, other: QueueTicket | None) -> bool:
    """The same call (the sealed resident differs at every publication of the queue)."""
    return other is not None and (one.number, one.request_id) == (other.number, other.request_id)

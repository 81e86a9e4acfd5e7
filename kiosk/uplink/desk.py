"""The office queue at the edge, as the flows' ``TicketDesk``.

A check-in is an event to the edge; the ticket number comes back in the retained
``office/queue``, matched by the check-in's request id (its event id), with the
edge's estimated wait. Calling the next resident is an
event too; the edge answers by showing that ticket as called to this booth. The
operator's booth completes the ticket from its own roster and service catalog.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence

from ektp.i18n import N_
from ektp.messages import EventMessage, QueueTicket
from kiosk.flow.errors import FlowError
from kiosk.flow.ports import CheckIn, Roster, Ticket
from kiosk.outbox.errors import MSG_OUTBOX_FULL, OutboxFull
from kiosk.uplink.client import BoothUplink
from kiosk.uplink.events import call_next_event, check_in_event


class EdgeTicketDesk:
    def __init__(
        self,
        uplink: BoothUplink,
        *,
        booth_id: str,
        roster: Roster,
        documents_for: Callable[[str], Sequence[str]],
        timeout: float = 8.0,
    ) -> None:
        self._uplink = uplink
        self._booth_id = booth_id
        self._roster = roster
        self._documents_for = documents_for
        self._timeout = timeout

    def issue(self, checkin: CheckIn) -> Ticket:
        event = check_in_event(
            self._booth_id,
            nik=checkin.nik,
            kk=checkin.kk,
            kelurahan=checkin.kelurahan or "-",
            service=checkin.service,
            priority=checkin.priority,
        )
        self._send(event)
        ticket = self._wait_for_ticket(event.event_id)
        if ticket is None:
            raise FlowError(
                N_("The office queue cannot be reached. Please see an operator."),
                code="queue_unreachable",
            )
        wait = ticket.estimated_wait_minutes
        return Ticket(
            number=ticket.number,
            checkin=checkin,
            issued_at=ticket.checked_in_at,
            estimated_wait_minutes=max(1, round(wait)) if wait is not None else None,
        )

    def _send(self, event: EventMessage) -> None:
        """Keep the event durably for the edge; a full outbox refuses in plain words."""
        try:
            self._uplink.send_event(event)
        except OutboxFull as err:
            raise FlowError(MSG_OUTBOX_FULL, code="outbox_full") from err

    def _wait_for_ticket(self, request_id: uuid.UUID) -> QueueTicket | None:
        """The ticket the edge gave this check-in (matched by request id), waiting for it."""
        deadline = time.monotonic() + self._timeout
        while True:
            queue = self._uplink.latest_queue
            if queue is not None:
                for ticket in (*queue.waiting, *queue.called.values()):
                    if ticket.request_id == request_id:
                        return ticket
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.05)

    def call_next(self, booth_id: str) -> Ticket | None:
        before = self._called_here()
        self._send(call_next_event(booth_id))
        sent_at = time.monotonic()
        while time.monotonic() < sent_at + self._timeout:
            now = self._called_here()
            if now is not None and now != before:
                return self._complete(now)
            queue = self._uplink.latest_queue
            settled = time.monotonic() - sent_at > 1.0
            if settled and queue is not None and not queue.waiting:
                return None  # nobody waits: the edge had no one to call here
            time.sleep(0.05)
        raise FlowError(
            N_("The office queue cannot be reached. Please see an operator."),
            code="queue_unreachable",
        )

    def _called_here(self) -> QueueTicket | None:
        queue = self._uplink.latest_queue
        return queue.called.get(self._booth_id) if queue is not None else None

    def _complete(self, ticket: QueueTicket) -> Ticket:
        entry = self._roster.find(ticket.nik)
        checkin = CheckIn(
            service=str(ticket.service),
            nik=ticket.nik,
            kk=ticket.kk,
            name=entry.name if entry else "",
            kelurahan=entry.kelurahan if entry else ticket.kelurahan,
            in_roster=entry is not None,
            documents=tuple(self._documents_for(str(ticket.service))),
        )
        return Ticket(number=ticket.number, checkin=checkin, issued_at=ticket.checked_in_at)

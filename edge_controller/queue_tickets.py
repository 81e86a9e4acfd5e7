"""The office queue's tickets as ``office/queue`` carries them, and the called one's resident.

A ticket names its resident by the roster look-up key only. A **called** ticket also
carries the NIK and KK of the resident's own check-in (whichever booth took it), sealed
by the edge to the calling booth's registered key (:func:`ektp.roster_seal.seal_resident`,
the box in which the office roster secret reaches each booth) and bound to that booth,
the ticket number and the check-in's request id (:func:`ektp.roster_seal.called_ticket_context`):
the booth that calls opens it — after a restart too — and records the resident; every
other certificate on ``office/queue`` sees ciphertext, which opens on no other ticket.
A booth without a registered key gets no sealed resident. Sealed again at every
publication (a fresh one-time key each time): a rotated booth key is followed at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import uuid

from edge_controller.booths.keys import booth_key_id, parse_booth_public_key
from ektp.messages import QueueMessage, QueueTicket, SealedSecretModel
from ektp.roster_seal import called_ticket_context, seal_resident

log = logging.getLogger(__name__)


def ticket_of(
    row: sqlite3.Row,
    estimated_wait_minutes: float | None = None,
    resident_sealed: SealedSecretModel | None = None,
) -> QueueTicket:
    """A ``queue_tickets`` row as the wire's ticket."""
    return QueueTicket(
        number=row["number"],
        service=row["service"],
        resident_key=row["resident_key"],
        kelurahan=row["kelurahan"],
        checked_in_at=dt.datetime.fromisoformat(row["checked_in_at"]),
        request_id=uuid.UUID(row["request_id"]),
        priority=bool(row["priority"]),
        estimated_wait_minutes=estimated_wait_minutes,
        resident_sealed=resident_sealed,
    )


def called_ticket_of(conn: sqlite3.Connection, row: sqlite3.Row) -> QueueTicket:
    """A called ticket, its resident sealed to the booth it is called to (if registered)."""
    return ticket_of(row, resident_sealed=sealed_resident(conn, row))


def sealed_resident(conn: sqlite3.Connection, row: sqlite3.Row) -> SealedSecretModel | None:
    """The row's NIK and KK sealed to its calling booth's active key; None without one."""
    booth_id = row["called_by"]
    found = conn.execute(
        "SELECT public_key_pem FROM booth_keys WHERE booth_id = ?", (booth_id,)
    ).fetchone()
    if found is None:
        return None
    try:
        key = parse_booth_public_key(found[0])
    except ValueError:
        log.warning("queue: the registered key of %s is unusable; no resident sealed", booth_id)
        return None
    context = called_ticket_context(booth_id, row["number"], row["request_id"])
    box = seal_resident(row["nik"], row["kk"], key, context)
    return SealedSecretModel(
        key_id=booth_key_id(key),
        ephemeral_public=box.ephemeral_public,
        nonce=box.nonce,
        ciphertext=box.ciphertext,
    )


def find_ticket(
    queue: QueueMessage, request_id: uuid.UUID
) -> tuple[QueueTicket, str | None] | None:
    """The ticket a check-in got, and the booth it is called to (None while waiting)."""
    for ticket in queue.waiting:
        if ticket.request_id == request_id:
            return ticket, None
    for booth_id, ticket in queue.called.items():
        if ticket.request_id == request_id:
            return ticket, booth_id
    return None


def utc_text(moment: dt.datetime) -> str:
    """A UTC time as fixed-width ISO text, so that SQL compares it correctly as text."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")

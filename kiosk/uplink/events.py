"""The events a booth sends on ``booths/<id>/events``, and their outbox records.

Each event has a fresh ``event_id``; it is the record id in the outbox and the key the
edge counts once (the uplink delivers at least once). No event carries a NIK or KK in
clear: a check-in seals them for the edge with the office roster secret, a card
hand-over names the resident by the roster look-up key (:mod:`ektp.roster_keys`).
"""

from __future__ import annotations

import datetime as dt
import uuid

from ektp.messages import OPERATOR_CALL_EVENT, EventKind, EventMessage, Scalar
from ektp.roster_keys import RosterSecret, check_in_context
from ektp.topics import Topic
from kiosk.outbox.records import Sendable, SendableKind

OUTBOX_FULL_EVENT = "outbox_full"
"""Audit event: the outbox refused new work for space (the booth alerts, never drops)."""


def _event(
    booth_id: str,
    kind: EventKind,
    name: str,
    at: dt.datetime | None,
    data: dict[str, Scalar] | None = None,
    *,
    event_id: uuid.UUID | None = None,
) -> EventMessage:
    """One event with a fresh id (the edge counts each id once), stamped now unless ``at``."""
    return EventMessage(
        booth_id=booth_id,
        event_id=event_id or uuid.uuid4(),
        at=at or dt.datetime.now(dt.UTC),
        kind=kind,
        name=name,
        data=data or {},
    )


def check_in_event(
    booth_id: str,
    *,
    nik: str,
    kk: str,
    kelurahan: str,
    service: str,
    secret: RosterSecret,
    priority: bool = False,
    at: dt.datetime | None = None,
    event_id: uuid.UUID | None = None,
) -> EventMessage:
    """A check-in for the edge queue; its ``event_id`` (fresh unless given) is the request id.

    The NIK and KK go sealed with the office roster ``secret``, bound to this booth and
    this event id (:mod:`edge_controller.queue_check_in` opens them); never in clear.
    """
    event_id = event_id or uuid.uuid4()
    data: dict[str, Scalar] = {
        "resident": secret.seal_check_in(nik, kk, check_in_context(booth_id, str(event_id))),
        "secret_id": secret.secret_id,
        "kelurahan": kelurahan,
        "service": service,
        "priority": priority,
    }
    return _event(booth_id, "check_in", "check_in", at, data, event_id=event_id)


def event_sendable(event: EventMessage) -> Sendable:
    """An event as an outbox record, keyed by its own id (the edge counts each id once)."""
    return Sendable.of(SendableKind.EVENT, event.event_id, event.booth_id, Topic.EVENTS, event)


def call_next_event(booth_id: str, at: dt.datetime | None = None) -> EventMessage:
    """The operator at this booth calls the next ticket."""
    return _event(booth_id, "ticket_called", "call_next", at)


def call_operator_event(booth_id: str, at: dt.datetime | None = None) -> EventMessage:
    """The resident at this booth pressed the call button: the booth asks for an operator."""
    return _event(booth_id, "audit", OPERATOR_CALL_EVENT, at)


def audit_event(booth_id: str, name: str, at: dt.datetime, /, **data: Scalar) -> EventMessage:
    """An ``audit`` event the booth raises by itself (a refused packet, a full outbox)."""
    return _event(booth_id, "audit", name, at, dict(data))


def card_delivered_event(
    booth_id: str,
    *,
    nik: str,
    operator: str | None,
    tries: int = 1,
    match_score: int = 0,
    matched_card_finger: int = 0,
    at: dt.datetime | None = None,
    secret: RosterSecret | None = None,
) -> EventMessage:
    """A printed card handed over (penyerahan), as :mod:`kiosk.handover` reports it.

    The resident is named by the roster look-up key of ``nik`` when the booth holds the
    office roster ``secret`` (one scrypt), else not at all: never by the NIK.
    """
    data: dict[str, Scalar] = {
        "operator": operator,
        "tries": tries,
        "match_score": match_score,
        "matched_card_finger": matched_card_finger,
    }
    if secret is not None:
        data["resident_key"] = secret.resident_keys(nik).lookup_key
    return _event(booth_id, "card_delivered", "card_delivered", at, data)

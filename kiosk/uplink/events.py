"""The events a booth sends on ``booths/<id>/events``, and their outbox records.

Each event has a fresh ``event_id``; it is the record id in the outbox and the key the
edge counts once (the uplink delivers at least once).
"""

from __future__ import annotations

import datetime as dt
import uuid

from ektp.messages import OPERATOR_CALL_EVENT, EventMessage, encode_message
from ektp.topics import Topic, booth_topic
from kiosk.outbox.records import Sendable, SendableKind

OUTBOX_FULL_EVENT = "outbox_full"
"""Audit event: the outbox refused new work for space (the booth alerts, never drops)."""


def check_in_event(
    booth_id: str,
    *,
    nik: str,
    kk: str,
    kelurahan: str,
    service: str,
    priority: bool = False,
    at: dt.datetime | None = None,
) -> EventMessage:
    """A check-in for the edge queue; its ``event_id`` is the request id."""
    return EventMessage(
        booth_id=booth_id,
        event_id=uuid.uuid4(),
        at=at or dt.datetime.now(dt.UTC),
        kind="check_in",
        name="check_in",
        data={
            "nik": nik,
            "kk": kk,
            "kelurahan": kelurahan,
            "service": service,
            "priority": priority,
        },
    )


def event_sendable(event: EventMessage) -> Sendable:
    """An event as an outbox record, keyed by its own id (the edge counts each id once)."""
    return Sendable(
        kind=SendableKind.EVENT,
        record_id=str(event.event_id),
        topic=booth_topic(event.booth_id, Topic.EVENTS),
        payload=encode_message(event),
    )


def call_next_event(booth_id: str, at: dt.datetime | None = None) -> EventMessage:
    """The operator at this booth calls the next ticket."""
    return EventMessage(
        booth_id=booth_id,
        event_id=uuid.uuid4(),
        at=at or dt.datetime.now(dt.UTC),
        kind="ticket_called",
        name="call_next",
    )


def call_operator_event(booth_id: str, at: dt.datetime | None = None) -> EventMessage:
    """The resident at this booth pressed the call button: the booth asks for an operator."""
    return EventMessage(
        booth_id=booth_id,
        event_id=uuid.uuid4(),
        at=at or dt.datetime.now(dt.UTC),
        kind="audit",
        name=OPERATOR_CALL_EVENT,
    )


def audit_event(booth_id: str, name: str, at: dt.datetime, **data: str | int) -> EventMessage:
    """An ``audit`` event the booth raises by itself (a refused packet, a full outbox)."""
    return EventMessage(
        booth_id=booth_id, event_id=uuid.uuid4(), at=at, kind="audit", name=name, data=data
    )


def card_delivered_event(
    booth_id: str,
    *,
    nik: str,
    operator: str,
    tries: int = 1,
    match_score: int = 0,
    matched_card_finger: int = 0,
    at: dt.datetime | None = None,
) -> EventMessage:
    """A printed card handed over (penyerahan), as :mod:`kiosk.handover` reports it."""
    return EventMessage(
        booth_id=booth_id,
        event_id=uuid.uuid4(),
        at=at or dt.datetime.now(dt.UTC),
        kind="card_delivered",
        name="card_delivered",
        data={
            "nik": nik,
            "operator": operator,
            "tries": tries,
            "match_score": match_score,
            "matched_card_finger": matched_card_finger,
        },
    )

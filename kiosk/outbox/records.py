"""The outbox's records, schema and small helpers (see :mod:`kiosk.outbox.store`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from ektp.i18n import N_
from ektp.messages import encode_message
from ektp.sqlite_store import Migration
from ektp.topics import Topic, booth_topic
from ektp.wire_base import WireMessage
from kiosk.outbox.errors import OutboxError

MAX_META_BYTES = 4096
MAX_PACKET_ID_LENGTH = 128


class PacketState(StrEnum):
    """Where a packet is on its way to central, in the only order it may move."""

    SEALED = "sealed"
    SENT = "sent"
    ACKED = "acked"
    FORWARDED = "forwarded"
    PURGED = "purged"

    @property
    def rank(self) -> int:
        return ORDER.index(self)


ORDER = tuple(PacketState)
UNACKED = (PacketState.SEALED.value, PacketState.SENT.value)


@dataclass(frozen=True)
class OutboxRecord:
    """One packet as stored. ``sealed`` is None once the packet is purged."""

    packet_id: str
    state: PacketState
    sealed: bytes | None = field(repr=False)
    sha256: str
    size: int
    meta: dict[str, Any]
    created_at: float
    sent_at: float | None
    acked_at: float | None
    forwarded_at: float | None
    purged_at: float | None
    attempts: int


class TransitionReport(NamedTuple):
    """What a batch transition did to each id it was given."""

    changed: tuple[str, ...]
    """Ids that moved to the new state now."""
    already: tuple[str, ...]
    """Ids already at or past the new state (a duplicate ack, say): left as they were."""
    unknown: tuple[str, ...]
    """Ids this outbox has never held: left alone, for the caller to log."""


class SendableKind(StrEnum):
    """What a record besides a sealed packet is (packets have their own table and life)."""

    EVENT = "event"
    """A ``booths/<id>/events`` message: check-in, ticket call, card delivery, audit."""
    MOBILE_TICKET = "mobile_ticket"
    """A mobile-duty check-in or call, for the edge's statistics (also on ``events``)."""
    TRAINING_RESULT = "training_result"
    """A practice session's score, on ``booths/<id>/training``."""


@dataclass(frozen=True)
class Sendable:
    """One message to publish QoS 1, kept until the edge acknowledged its id.

    ``record_id`` is stable (the event's or result's own id): storing the same id
    again is a no-op, and the receiver counts each id once (delivery is at least once).
    """

    kind: SendableKind
    record_id: str
    topic: str
    payload: bytes = field(repr=False)

    @classmethod
    def of(
        cls,
        kind: SendableKind,
        record_id: object,
        booth_id: str,
        topic: Topic,
        message: WireMessage,
    ) -> Sendable:
        """``message`` for ``booths/<booth_id>/<topic>``, keyed by ``record_id``."""
        return cls(kind, str(record_id), booth_topic(booth_id, topic), encode_message(message))


Send = Callable[[Sendable], object]
"""Keeps a message durably for the edge: ``BoothUplink.send`` (also wakes the uplink and
alerts when the outbox is full) or ``outbox.sendables.enqueue``."""


@dataclass(frozen=True)
class StoredSendable:
    """A sendable as kept in the outbox, with its place in the sending order."""

    seq: int
    sendable: Sendable
    created_at: float
    attempts: int
    sent_at: float | None = None
    """When the broker last took it (PUBACK); None while never sent since a reconnect."""


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "sealed packets",
        """
        CREATE TABLE packets (
            packet_id    TEXT PRIMARY KEY NOT NULL,
            sealed       BLOB,
            sha256       TEXT NOT NULL,
            size         INTEGER NOT NULL,
            meta         TEXT NOT NULL,
            state        TEXT NOT NULL
                         CHECK (state IN ('sealed', 'sent', 'acked', 'forwarded', 'purged')),
            created_at   REAL NOT NULL,
            sent_at      REAL,
            acked_at     REAL,
            forwarded_at REAL,
            purged_at    REAL,
            attempts     INTEGER NOT NULL DEFAULT 0,
            CHECK ((state = 'purged') = (sealed IS NULL))
        );
        CREATE INDEX packets_by_state ON packets (state, created_at);
        """,
    ),
    Migration(
        "events, mobile tickets and training results waiting for the broker",
        """
        CREATE TABLE sendables (
            seq        INTEGER PRIMARY KEY AUTOINCREMENT,
            record_id  TEXT NOT NULL UNIQUE,
            kind       TEXT NOT NULL
                       CHECK (kind IN ('event', 'mobile_ticket', 'training_result')),
            topic      TEXT NOT NULL,
            payload    BLOB NOT NULL,
            created_at REAL NOT NULL,
            attempts   INTEGER NOT NULL DEFAULT 0,
            sent_at    REAL                  -- the broker took it; kept until the edge acks
        );
        """,
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)
"""The schema this code writes (``PRAGMA user_version``)."""

SET_ACKED = "UPDATE packets SET state = 'acked', acked_at = :at WHERE packet_id = :packet_id"
SET_FORWARDED = (
    "UPDATE packets SET state = 'forwarded', forwarded_at = :at,"
    " acked_at = COALESCE(acked_at, :at) WHERE packet_id = :packet_id"
)

COLUMNS = (
    "packet_id, state, sealed, sha256, size, meta, created_at, sent_at, acked_at, "
    "forwarded_at, purged_at, attempts"
)


def check_packet_id(packet_id: str) -> None:
    if (
        not isinstance(packet_id, str)
        or not packet_id
        or len(packet_id) > MAX_PACKET_ID_LENGTH
        or not packet_id.isprintable()
        or packet_id != packet_id.strip()
    ):
        raise OutboxError(N_("Not a valid packet id"), code="outbox_packet_id")


def encode_meta(packet_id: str, meta: dict[str, Any]) -> str:
    """Metadata as compact JSON: plain JSON values only (bytes are refused), ≤ 4 KB."""
    if not isinstance(meta, dict):
        raise OutboxError(
            N_("Metadata of packet {packet_id} must be a mapping"),
            code="outbox_meta",
            packet_id=packet_id,
        )
    try:
        text = json.dumps(meta, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as err:
        raise OutboxError(
            N_("Metadata of packet {packet_id} is not plain JSON"),
            code="outbox_meta",
            packet_id=packet_id,
        ) from err
    if len(text.encode()) > MAX_META_BYTES:
        raise OutboxError(
            N_("Metadata of packet {packet_id} is larger than {limit} bytes"),
            code="outbox_meta",
            packet_id=packet_id,
            limit=MAX_META_BYTES,
        )
    return text


def record_from_row(row: tuple[Any, ...]) -> OutboxRecord:
    (packet_id, state, sealed, sha256, size, meta, created, sent, acked, fwd, purged, tries) = row
    return OutboxRecord(
        packet_id=packet_id,
        state=PacketState(state),
        sealed=None if sealed is None else bytes(sealed),
        sha256=sha256,
        size=int(size),
        meta=json.loads(meta),
        created_at=created,
        sent_at=sent,
        acked_at=acked,
        forwarded_at=fwd,
        purged_at=purged,
        attempts=int(tries),
    )

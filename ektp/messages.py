"""JSON message schemas of the MQTT contract (all versioned with ``"v"``).

:func:`parse_message` turns a received (topic, payload) into a typed model or raises
:class:`MessageError` saying why (too big, malformed JSON, wrong version, schema, a
booth id that differs from the topic). :func:`encode_message` gives canonical bytes.
The enrollments topic carries sealed packets: check those with
:func:`ektp.packet.verify`, not here.
"""

from __future__ import annotations

import uuid
from typing import Literal

import pydantic
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from ektp._json import JsonProblem, canonical_json, strict_loads
from ektp.errors import ValidationError
from ektp.i18n import N_
from ektp.power import PowerState
from ektp.roster_messages import (  # noqa: F401
    RosterDelta,
    RosterDigest,
    RosterEntry,
    RosterKeysMessage,
    SealedSecretModel,
)
from ektp.services import ServiceType
from ektp.topics import BoothId, Topic, TopicError, kelurahan_slug, parse_topic
from ektp.wire_base import (  # noqa: F401 — the wire's field types, also used from here
    MESSAGE_VERSION,
    HexKey,
    LookupKey,
    Name,
    Scalar,
    Text,
    TicketNumber,
    WireMessage,
)


class MessageError(ValidationError):
    code = "message"


class StatusMessage(WireMessage):
    """``booths/<id>/status`` (retained; the last will is the same with ``offline``)."""

    booth_id: BoothId = Field(description="The booth.")
    state: Literal["online", "offline"] = Field(description="Online, or offline (last will).")
    software_version: Name = Field(description="Rekam version running on the booth.")
    at: AwareDatetime | None = Field(default=None, description="When it was published.")


class DeviceHealth(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    state: Literal["ok", "degraded", "unavailable", "unknown"] = Field(description="State.")
    error_count: int = Field(default=0, ge=0, description="Errors since the booth started.")
    detail: Text = Field(default="", description="Last self-test detail, for a technician.")


class HealthMessage(WireMessage):
    """``booths/<id>/health`` (retained)."""

    booth_id: BoothId = Field(description="The booth.")
    at: AwareDatetime = Field(description="When measured.")
    devices: dict[Name, DeviceHealth] = Field(max_length=16, description="Per device.")
    outbox_depth: int = Field(ge=0, description="Packets not yet acked by the edge.")
    disk_free_bytes: int = Field(ge=0, description="Free space on the data disk.")
    cpu_temperature_c: float | None = Field(default=None, description="SoC temperature.")


class RejectedPacket(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    packet_id: uuid.UUID = Field(description="The refused packet.")
    code: Name = Field(description="PacketError code, e.g. packet.bad_signature.")


class AckMessage(WireMessage):
    """``booths/<id>/acks``: packets, events and training results the edge committed (or
    refused for good)."""

    booth_id: BoothId = Field(description="The booth the packets came from.")
    packet_ids: tuple[uuid.UUID, ...] = Field(max_length=500, description="Committed packets.")
    rejected: tuple[RejectedPacket, ...] = Field(
        default=(), max_length=500, description="Packets the edge will never accept."
    )
    message_ids: tuple[uuid.UUID, ...] = Field(
        default=(),
        max_length=500,
        description="Events (event_id) and training results (result_id) the edge committed.",
    )


EventKind = Literal["check_in", "ticket_called", "card_delivered", "audit"]


class EventMessage(WireMessage):
    """``booths/<id>/events``: check-ins, ticket calls, card deliveries, audit events."""

    booth_id: BoothId = Field(description="The booth.")
    event_id: uuid.UUID = Field(description="Unique id (duplicates are ignored).")
    at: AwareDatetime = Field(description="When it happened.")
    kind: EventKind = Field(description="What happened.")
    name: Name = Field(description="The event's name, e.g. a flow transition.")
    data: dict[Name, Scalar] = Field(
        default_factory=dict, max_length=32, description="Details (no biometrics, no PIN)."
    )
    audit_hash: HexKey | None = Field(default=None, description="Hash-chain link, audit only.")


POWER_REFUSAL_EVENT = "power.capture_refused"
"""The ``audit`` event a booth sends when power policy refused a new capture."""

OPERATOR_CALL_EVENT = "call_operator"
"""The ``audit`` event a booth sends when its resident presses the call button: the
dashboard's queue page shows the call until the booth next calls a ticket. An ``audit``
kind, not a new one, so that every edge speaking version 1 accepts (and acks) it."""


class PowerMessage(WireMessage):
    """``office/power`` (retained)."""

    state: PowerState = Field(
        description="Power source/state of the office (UNKNOWN: the UPS does not answer)."
    )
    at: AwareDatetime = Field(description="When it changed or was last confirmed.")
    runtime_left_s: int | None = Field(default=None, ge=0, description="UPS runtime left.")
    battery_charge_pct: float | None = Field(default=None, ge=0, le=100, description="Charge.")
    new_captures_allowed: bool = Field(
        default=True, description="False when runtime left is below the office's margin."
    )


class QueueTicket(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    number: TicketNumber = Field(description="Ticket number shown to the resident.")
    service: ServiceType = Field(description="Chosen service.")
    resident_key: LookupKey = Field(
        description="The roster look-up key of the NIK (ektp.roster_keys), never the NIK."
    )
    kelurahan: Name = Field(description="The resident's village.")
    checked_in_at: AwareDatetime = Field(description="Check-in time.")
    request_id: uuid.UUID | None = Field(
        default=None, description="The check-in event's id: the booth finds its ticket by it."
    )
    priority: bool = Field(
        default=False, description="Served first (elderly, disabled) when the office enables it."
    )
    estimated_wait_minutes: float | None = Field(
        default=None, ge=0, description="Minutes until likely called (waiting tickets only)."
    )
    resident_sealed: SealedSecretModel | None = Field(
        default=None,
        description="Called tickets only: the NIK and KK of the resident's check-in, sealed"
        " by the edge to the calling booth's key (ektp.roster_seal.seal_resident); only that"
        " booth opens it.",
    )


class QueueRefusal(BaseModel):
    """A check-in the queue did not number: why, or the ticket the resident already has."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    request_id: uuid.UUID = Field(description="The check-in event's id.")
    code: Name = Field(description='Why, e.g. "nik.serial" or "check_in.already_waiting".')
    message: Text = Field(description="The reason as an ektp gettext msgid.")
    params: dict[Name, Scalar] = Field(default_factory=dict, max_length=8, description="Its {}.")
    existing_number: TicketNumber | None = Field(
        default=None, description="The ticket this NIK already holds (already waiting)."
    )


class QueueMessage(WireMessage):
    """``office/queue`` (retained): who waits, and who is called to which booth."""

    at: AwareDatetime = Field(description="When the queue was published.")
    waiting: tuple[QueueTicket, ...] = Field(max_length=2000, description="In order.")
    called: dict[BoothId, QueueTicket] = Field(
        default_factory=dict, max_length=64, description="The ticket each booth is serving."
    )
    refusals: tuple[QueueRefusal, ...] = Field(
        default=(), max_length=200, description="Today's latest check-ins not numbered."
    )


MESSAGE_TYPES: dict[Topic, type[WireMessage]] = {
    Topic.STATUS: StatusMessage,
    Topic.HEALTH: HealthMessage,
    Topic.ACKS: AckMessage,
    Topic.EVENTS: EventMessage,
    Topic.POWER: PowerMessage,
    Topic.QUEUE: QueueMessage,
    Topic.ROSTER: RosterDigest,
    Topic.ROSTER_KEYS: RosterKeysMessage,
    Topic.ROSTER_DELTA: RosterDelta,
}

SIZE_LIMITS: dict[Topic, int] = {
    Topic.STATUS: 4 * 1024,
    Topic.HEALTH: 64 * 1024,
    Topic.ACKS: 128 * 1024,
    Topic.EVENTS: 16 * 1024,
    Topic.POWER: 4 * 1024,
    Topic.QUEUE: 2 * 1024 * 1024,
    Topic.ROSTER: 8 * 1024 * 1024,
    Topic.ROSTER_KEYS: 128 * 1024,
    Topic.ROSTER_DELTA: 8 * 1024 * 1024,
}

MSG_TOO_BIG = N_("The message is too big ({size} bytes; the limit is {limit})")
MSG_MALFORMED = N_("The message is not well-formed JSON")
MSG_NOT_OBJECT = N_("The message is not a JSON object")
MSG_VERSION = N_("Unknown message version {version}")
MSG_SCHEMA = N_("The message does not match its schema: {detail}")
MSG_BOOTH = N_("The message's booth id differs from its topic")
MSG_KELURAHAN = N_("The roster's village differs from its topic")
MSG_NOT_A_MESSAGE = N_("This topic carries sealed packets; verify them as packets")


def encode_message(message: WireMessage) -> bytes:
    """Canonical JSON bytes of a message."""
    return canonical_json(message.model_dump(mode="json"))


def parse_message(topic: str, payload: bytes) -> WireMessage:
    """Validate a received payload against its topic's schema."""
    try:
        parsed = parse_topic(topic)
    except TopicError as err:
        raise MessageError(err.message, code="message.unknown_topic") from err
    if parsed.kind is Topic.ENROLLMENTS:
        raise MessageError(MSG_NOT_A_MESSAGE, code="message.not_a_message")
    limit = SIZE_LIMITS[parsed.kind]
    if len(payload) > limit:
        raise MessageError(MSG_TOO_BIG, code="message.too_big", size=len(payload), limit=limit)
    try:
        raw = strict_loads(payload)
    except JsonProblem as err:
        raise MessageError(MSG_MALFORMED, code="message.malformed_json") from err
    if not isinstance(raw, dict):
        raise MessageError(MSG_NOT_OBJECT, code="message.not_object")
    version = raw.get("v")
    if type(version) is not int or version != MESSAGE_TYPES[parsed.kind].model_fields["v"].default:
        raise MessageError(MSG_VERSION, code="message.unknown_version", version=repr(version)[:20])
    try:
        message = MESSAGE_TYPES[parsed.kind].model_validate_json(payload, strict=True)
    except pydantic.ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(item) for item in first["loc"])
        detail = f"{where}: {first['msg']}" if where else first["msg"]
        raise MessageError(MSG_SCHEMA, code="message.schema", detail=detail[:120]) from err
    booth_id = getattr(message, "booth_id", None)
    if parsed.booth_id is not None and booth_id != parsed.booth_id:
        raise MessageError(MSG_BOOTH, code="message.booth_mismatch")
    if isinstance(message, RosterDigest | RosterDelta) and (
        _slug_or_none(message.kelurahan) != parsed.kelurahan
    ):
        raise MessageError(MSG_KELURAHAN, code="message.kelurahan_mismatch")
    return message


def _slug_or_none(name: str) -> str | None:
    try:
        return kelurahan_slug(name)
    except TopicError:
        return None


# -- operator training (issue 10): practice results, never enrollments ---------------------


class TrainingStepScore(BaseModel):
    """One step of one practice resident: how long it took, how often it was retried."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    step: Name = Field(description='"documents", "photo", "finger:<name>", "signature", "review".')
    seconds: float = Field(ge=0, le=86400, description="Time spent on the step.")
    retries: int = Field(default=0, ge=0, le=1000, description="Tries beyond the first.")
    quality: float | None = Field(
        default=None, ge=0, le=100, description="Quality reached (photo score or finger quality)."
    )


class TrainingResidentScore(BaseModel):
    """One practice resident (a fictitious NIK from the training roster)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ticket: TicketNumber = Field(description="The practice ticket, e.g. L-001.")
    completed: bool = Field(description="True when the trainee reached the saved step.")
    seconds: float = Field(ge=0, le=86400, description="From call to saved (or abandon).")
    steps: tuple[TrainingStepScore, ...] = Field(max_length=32, description="In order.")


class TrainingResultMessage(WireMessage):
    """``booths/<id>/training``: one operator's finished practice session and its score."""

    booth_id: BoothId = Field(description="The booth the practice ran on.")
    result_id: uuid.UUID = Field(description="Unique id (a re-send is stored once).")
    operator_id: Name = Field(description="The trainee (operator card id).")
    started_at: AwareDatetime = Field(description="Login into training.")
    finished_at: AwareDatetime = Field(description="End of the practice session.")
    residents: tuple[TrainingResidentScore, ...] = Field(
        max_length=50, description="Practice residents, in order."
    )
    score: int = Field(ge=0, le=100, description="Overall result, 0–100.")


MESSAGE_TYPES[Topic.TRAINING] = TrainingResultMessage
SIZE_LIMITS[Topic.TRAINING] = 256 * 1024


# -- supervisor review (issue 10): decisions to the booths, the office's waiting count -------


class ReviewDecision(BaseModel):
    """One supervisor decision on a flagged record."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    packet_id: uuid.UUID = Field(description="The reviewed packet.")
    decision: Literal["approved", "rejected"] = Field(description="Forwarded, or never.")
    decided_at: AwareDatetime = Field(description="When the supervisor decided.")
    comment: Text = Field(default="", description="The supervisor's words (a reject has one).")
    flags: tuple[Name, ...] = Field(
        default=(), max_length=16, description="The review flags the record carried."
    )


class ReviewDecisionsMessage(WireMessage):
    """``booths/<id>/reviews`` (retained): the latest decisions on this booth's records.

    Repeats the decisions of the last days, newest first, so a booth that was away
    still learns them; the booth notes each packet id once.
    """

    booth_id: BoothId = Field(description="The booth whose records were reviewed.")
    at: AwareDatetime = Field(description="When the edge published this list.")
    decisions: tuple[ReviewDecision, ...] = Field(max_length=500, description="Newest first.")


class ReviewBacklogMessage(WireMessage):
    """``office/reviews`` (retained): how many flagged records wait for a supervisor."""

    at: AwareDatetime = Field(description="When counted.")
    waiting: int = Field(ge=0, description="Records held for review.")
    warn_above: int = Field(ge=0, description="The office's limit: booths warn above it.")
    oldest_held_at: AwareDatetime | None = Field(
        default=None, description="When the oldest waiting record reached the edge."
    )

    @property
    def piling_up(self) -> bool:
        return self.waiting > self.warn_above


MESSAGE_TYPES[Topic.REVIEWS] = ReviewDecisionsMessage
MESSAGE_TYPES[Topic.REVIEW_BACKLOG] = ReviewBacklogMessage
SIZE_LIMITS[Topic.REVIEWS] = 256 * 1024
SIZE_LIMITS[Topic.REVIEW_BACKLOG] = 4 * 1024


class CrlMessage(WireMessage):
    """``office/crl`` (retained): the office CA's certificate revocation list, as PEM.

    Booths check it is signed by their office CA and newer (``crl_number``) than the
    one they have before they install it (``kiosk.uplink.crl_feed``).
    """

    at: AwareDatetime = Field(description="When the edge published it.")
    crl_number: int = Field(ge=0, description="The CRL's CRLNumber (grows with each CRL).")
    crl_pem: str = Field(
        min_length=1, max_length=512 * 1024, description="The CRL (PEM, 'X509 CRL')."
    )


MESSAGE_TYPES[Topic.CRL] = CrlMessage
SIZE_LIMITS[Topic.CRL] = 640 * 1024

"""JSON message schemas of the MQTT contract (all versioned with ``"v"``).

:func:`parse_message` turns a received (topic, payload) into a typed model or raises
:class:`MessageError` saying why (too big, malformed JSON, wrong version, schema, a
booth id that differs from the topic). :func:`encode_message` gives canonical bytes.
The enrollments topic carries sealed packets: check those with
:func:`ektp.packet.verify`, not here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Annotated, Literal

import pydantic
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from ektp._json import JsonProblem, canonical_json, strict_loads
from ektp.errors import ValidationError
from ektp.i18n import N_
from ektp.power import PowerState
from ektp.resident import CardStatus
from ektp.services import ServiceType
from ektp.topics import BoothId, Topic, TopicError, kelurahan_slug, parse_topic

MESSAGE_VERSION: Literal[1] = 1

Name = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Text = Annotated[str, StringConstraints(max_length=300)]
TicketNumber = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9-]{1,16}$")]
Digits16 = Annotated[str, StringConstraints(pattern=r"^[0-9]{16}$")]
HexKey = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
RtRw = Annotated[str, StringConstraints(pattern=r"^[0-9]{0,3}$")]
Scalar = str | int | float | bool | None


class MessageError(ValidationError):
    code = "message"


class WireMessage(BaseModel):
    """Base of every message: ``v`` plus the fields of one topic."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal[1] = Field(default=MESSAGE_VERSION, description="Message format version.")


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
    nik: Digits16 = Field(description="NIK entered at check-in.")
    kk: Digits16 = Field(description="KK number entered at check-in.")
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


class QueueMessage(WireMessage):
    """``office/queue`` (retained): who waits, and who is called to which booth."""

    at: AwareDatetime = Field(description="When the queue was published.")
    waiting: tuple[QueueTicket, ...] = Field(max_length=2000, description="In order.")
    called: dict[BoothId, QueueTicket] = Field(
        default_factory=dict, max_length=64, description="The ticket each booth is serving."
    )


class RosterEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    masked_name: Name = Field(description='Name for the resident to confirm, e.g. "S*** A****".')
    kk_key: HexKey = Field(description="roster_key(salt, KK number).")
    rt: RtRw = Field(default="", description='Neighbourhood (RT) as printed, e.g. "003".')
    rw: RtRw = Field(default="", description='Hamlet (RW) as printed, e.g. "001".')
    recorded_on: dt.date | None = Field(
        default=None, description="Day of the resident's recording (a re-recording is refused)."
    )
    card_status: CardStatus = Field(
        default=CardStatus.NOT_RECORDED, description="Where the e-KTP is."
    )


class RosterDigest(WireMessage):
    """``office/roster/<kelurahan>`` (retained): look-up by keyed hash, not plain NIK."""

    kelurahan: Name = Field(description="Village name; its slug is the topic's last segment.")
    generated_at: AwareDatetime = Field(description="When the digest was made.")
    salt: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")] = Field(
        description="Random per digest; the key of roster_key()."
    )
    entries: dict[HexKey, RosterEntry] = Field(
        max_length=20000, description="roster_key(salt, NIK) → entry."
    )


def roster_key(salt: str, number: str) -> str:
    """The digest key for a NIK or KK number: SHA-256 of salt and number (hex)."""
    return hashlib.sha256(bytes.fromhex(salt) + number.encode("ascii")).hexdigest()


MESSAGE_TYPES: dict[Topic, type[WireMessage]] = {
    Topic.STATUS: StatusMessage,
    Topic.HEALTH: HealthMessage,
    Topic.ACKS: AckMessage,
    Topic.EVENTS: EventMessage,
    Topic.POWER: PowerMessage,
    Topic.QUEUE: QueueMessage,
    Topic.ROSTER: RosterDigest,
}

SIZE_LIMITS: dict[Topic, int] = {
    Topic.STATUS: 4 * 1024,
    Topic.HEALTH: 64 * 1024,
    Topic.ACKS: 128 * 1024,
    Topic.EVENTS: 16 * 1024,
    Topic.POWER: 4 * 1024,
    Topic.QUEUE: 2 * 1024 * 1024,
    Topic.ROSTER: 8 * 1024 * 1024,
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
    if type(version) is not int or version != MESSAGE_VERSION:
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
    if isinstance(message, RosterDigest) and _slug_or_none(message.kelurahan) != parsed.kelurahan:
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

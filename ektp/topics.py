"""MQTT topic names of DESIGN.md's contract, and the booth ids that appear in them.

==============================  ===============  ========  =====
topic                           from → to        retained  QoS
==============================  ===============  ========  =====
``booths/<id>/status``          booth → edge     yes       1
``booths/<id>/health``          booth → edge     yes       1
``booths/<id>/enrollments``     booth → edge     no        1
``booths/<id>/acks``            edge → booth     no        1
``booths/<id>/events``          booth → edge     no        1
``booths/<id>/training``        booth → edge     no        1
``office/power``                edge → booths    yes       1
``office/queue``                edge → booths    yes       1
``office/roster/<kelurahan>``   edge → booths    yes       1
``office/roster/<k>/delta/<n>`` edge → booths    yes       1
``office/roster_keys``          edge → booths    yes       1
``booths/<id>/reviews``         edge → booth     yes       1
``office/reviews``              edge → booths    yes       1
``office/crl``                  edge → booths    yes       1
==============================  ===============  ========  =====
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator

from ektp.errors import ValidationError
from ektp.i18n import N_

BOOTH_ID_PATTERN = re.compile(r"booth-[0-9a-z]{2,16}")
KELURAHAN_SLUG_PATTERN = re.compile(r"[0-9a-z]+(?:-[0-9a-z]+)*")

MSG_BAD_BOOTH_ID = N_(
    'Booth id must look like "booth-01": "booth-" and 2 to 16 lowercase letters or digits'
)
MSG_BAD_KELURAHAN = N_("The village name cannot be used in a topic")
MSG_UNKNOWN_TOPIC = N_("Unknown topic")


class TopicError(ValidationError):
    code = "topic"


class Topic(StrEnum):
    """Every kind of topic; the booth kinds are also the last segment of their topic."""

    STATUS = "status"
    HEALTH = "health"
    ENROLLMENTS = "enrollments"
    ACKS = "acks"
    EVENTS = "events"
    POWER = "power"
    QUEUE = "queue"
    ROSTER = "roster"
    REVIEWS = "reviews"  # booths/<id>/reviews: supervisor decisions on the booth's records
    REVIEW_BACKLOG = "review_backlog"  # office/reviews: how many records wait for review
    TRAINING = "training"
    CRL = "crl"  # office/crl: the office CA's revocation list (operator cards, booths)
    ROSTER_KEYS = "roster_keys"  # office/roster_keys: the roster secret, sealed per booth
    ROSTER_DELTA = "roster_delta"  # office/roster/<slug>/delta/<slot>: a village's changes


BOOTH_TOPICS = frozenset({Topic.STATUS, Topic.HEALTH, Topic.ENROLLMENTS, Topic.ACKS, Topic.EVENTS})
BOOTH_TOPICS |= {Topic.TRAINING}  # practice results (kiosk.training.session), never enrollments
RETAINED = frozenset({Topic.STATUS, Topic.HEALTH, Topic.POWER, Topic.QUEUE, Topic.ROSTER})
BOOTH_TOPICS |= {Topic.REVIEWS}  # supervisor decisions on the booth's records (edge → booth)
RETAINED |= {Topic.REVIEWS, Topic.REVIEW_BACKLOG, Topic.CRL, Topic.ROSTER_KEYS}
RETAINED |= {Topic.ROSTER_DELTA}  # a ring of slots per village (edge_controller.roster.deltas)
QOS = 1  # every topic: at-least-once; the enrollments also go through the outbox

OFFICE_POWER = "office/power"
OFFICE_QUEUE = "office/queue"
OFFICE_ROSTER_PREFIX = "office/roster/"
OFFICE_ALL = "office/#"
OFFICE_REVIEWS = "office/reviews"
OFFICE_CRL = "office/crl"
OFFICE_ROSTER_KEYS = "office/roster_keys"
ROSTER_DELTA_SEGMENT = "delta"
ROSTER_DELTA_SUBSCRIPTION = OFFICE_ROSTER_PREFIX + "+/" + ROSTER_DELTA_SEGMENT + "/+"
"""Every village's delta slots: what a booth subscribes (and the broker ACL lets it read)."""


def validate_booth_id(booth_id: str) -> str:
    """Return ``booth_id`` if it is a safe booth id (no ``+ # /``), else raise TopicError."""
    if not isinstance(booth_id, str) or not BOOTH_ID_PATTERN.fullmatch(booth_id):
        raise TopicError(MSG_BAD_BOOTH_ID, code="topic.booth_id")
    return booth_id


BoothId = Annotated[str, AfterValidator(validate_booth_id)]


def booth_topic(booth_id: str, kind: Topic) -> str:
    """``booths/<id>/<kind>`` for one of the five booth topics."""
    kind = Topic(kind)
    if kind not in BOOTH_TOPICS:
        raise ValueError(f"{kind} is not a booth topic")
    return f"booths/{validate_booth_id(booth_id)}/{kind.value}"


def booth_subscription(kind: Topic | None = None) -> str:
    """The edge's subscription to one kind of booth topic (all kinds when None)."""
    if kind is None:
        return "booths/+/#"
    if Topic(kind) not in BOOTH_TOPICS:
        raise ValueError(f"{kind} is not a booth topic")
    return f"booths/+/{Topic(kind).value}"


def kelurahan_slug(name: str) -> str:
    """``"Merancang Ulu"`` → ``"merancang-ulu"``: lowercase ASCII words joined by hyphens."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = "-".join(re.findall(r"[0-9a-z]+", ascii_name.lower()))
    if not slug or len(slug) > 64:
        raise TopicError(MSG_BAD_KELURAHAN, code="topic.kelurahan")
    return slug


def roster_topic(kelurahan: str) -> str:
    """``office/roster/<slug>`` for a village name or an existing slug."""
    return OFFICE_ROSTER_PREFIX + kelurahan_slug(kelurahan)


def roster_delta_topic(kelurahan: str, slot: int) -> str:
    """``office/roster/<slug>/delta/<slot>``: one slot of a village's ring of deltas."""
    if not 0 <= slot < 100_000:
        raise ValueError(f"{slot} is not a delta slot")
    return f"{roster_topic(kelurahan)}/{ROSTER_DELTA_SEGMENT}/{slot}"


def is_retained(kind: Topic) -> bool:
    return Topic(kind) in RETAINED


@dataclass(frozen=True)
class ParsedTopic:
    kind: Topic
    booth_id: str | None = None
    kelurahan: str | None = None  # the slug, for roster topics


def parse_topic(topic: str) -> ParsedTopic:
    """Split a received topic name into its kind and id; raises TopicError if unknown."""
    parts = topic.split("/")
    if len(parts) == 3 and parts[0] == "booths":
        try:
            kind = Topic(parts[2])
        except ValueError:
            kind = None
        if kind in BOOTH_TOPICS:
            return ParsedTopic(kind, booth_id=validate_booth_id(parts[1]))
    elif topic == OFFICE_POWER:
        return ParsedTopic(Topic.POWER)
    elif topic == OFFICE_QUEUE:
        return ParsedTopic(Topic.QUEUE)
    elif topic == OFFICE_REVIEWS:
        return ParsedTopic(Topic.REVIEW_BACKLOG)
    elif topic == OFFICE_CRL:
        return ParsedTopic(Topic.CRL)
    elif topic == OFFICE_ROSTER_KEYS:
        return ParsedTopic(Topic.ROSTER_KEYS)
    elif (
        len(parts) == 3
        and topic.startswith(OFFICE_ROSTER_PREFIX)
        and KELURAHAN_SLUG_PATTERN.fullmatch(parts[2])
    ):
        return ParsedTopic(Topic.ROSTER, kelurahan=parts[2])
    elif (
        len(parts) == 5
        and topic.startswith(OFFICE_ROSTER_PREFIX)
        and KELURAHAN_SLUG_PATTERN.fullmatch(parts[2])
        and parts[3] == ROSTER_DELTA_SEGMENT
        and re.fullmatch(r"[0-9]{1,5}", parts[4])
    ):
        return ParsedTopic(Topic.ROSTER_DELTA, kelurahan=parts[2])
    raise TopicError(MSG_UNKNOWN_TOPIC, code="topic.unknown")

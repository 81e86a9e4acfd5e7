"""The enrollment record: what a booth knows about one resident's recording.

It holds no biometric bytes: the photo, templates and signature travel sealed in the
packet (:mod:`ektp.packet`); the record carries their quality scores and is what the
manifest shows to the edge and to the supervisor.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from ektp.i18n import N_, translate
from ektp.photo_rule import Background
from ektp.services import Document, ServiceType
from ektp.topics import BoothId

RECORD_VERSION: Literal[1] = 1

NikDigits = Annotated[str, StringConstraints(pattern=r"^[0-9]{16}$")]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=120)]
Note = Annotated[str, StringConstraints(max_length=300)]


class Finger(StrEnum):
    """The ten fingers in the fixed capture order (right hand thumb first)."""

    RIGHT_THUMB = "right_thumb"
    RIGHT_INDEX = "right_index"
    RIGHT_MIDDLE = "right_middle"
    RIGHT_RING = "right_ring"
    RIGHT_LITTLE = "right_little"
    LEFT_THUMB = "left_thumb"
    LEFT_INDEX = "left_index"
    LEFT_MIDDLE = "left_middle"
    LEFT_RING = "left_ring"
    LEFT_LITTLE = "left_little"


FINGER_ORDER: tuple[Finger, ...] = tuple(Finger)
INDEX_FINGERS_ONLY: tuple[Finger, ...] = (Finger.RIGHT_INDEX, Finger.LEFT_INDEX)


class FingerExceptionReason(StrEnum):
    MISSING = "missing"
    INJURED = "injured"
    BANDAGED = "bandaged"
    UNREADABLE = "unreadable"  # all tries failed (worn ridges, ...)


class ReviewFlag(StrEnum):
    """Why a supervisor must look at a record before it counts."""

    NOT_IN_ROSTER = "not_in_roster"
    FOREIGN_REGION = "foreign_region"
    FINGER_EXCEPTION = "finger_exception"
    DUPLICATE_FINGER_SUSPECTED = "duplicate_finger_suspected"
    PHOTO_OVERRIDE = "photo_override"
    ALREADY_RECORDED = "already_recorded"


FINGER_NAMES: dict[Finger, str] = {
    Finger.RIGHT_THUMB: N_("Right thumb"),
    Finger.RIGHT_INDEX: N_("Right index finger"),
    Finger.RIGHT_MIDDLE: N_("Right middle finger"),
    Finger.RIGHT_RING: N_("Right ring finger"),
    Finger.RIGHT_LITTLE: N_("Right little finger"),
    Finger.LEFT_THUMB: N_("Left thumb"),
    Finger.LEFT_INDEX: N_("Left index finger"),
    Finger.LEFT_MIDDLE: N_("Left middle finger"),
    Finger.LEFT_RING: N_("Left ring finger"),
    Finger.LEFT_LITTLE: N_("Left little finger"),
}

EXCEPTION_REASON_NAMES: dict[FingerExceptionReason, str] = {
    FingerExceptionReason.MISSING: N_("Missing finger"),
    FingerExceptionReason.INJURED: N_("Injured finger"),
    FingerExceptionReason.BANDAGED: N_("Bandaged finger"),
    FingerExceptionReason.UNREADABLE: N_("Unreadable after all tries"),
}

FLAG_NAMES: dict[ReviewFlag, str] = {
    ReviewFlag.NOT_IN_ROSTER: N_("Not in the roster"),
    ReviewFlag.FOREIGN_REGION: N_("NIK from another region"),
    ReviewFlag.FINGER_EXCEPTION: N_("Finger exception"),
    ReviewFlag.DUPLICATE_FINGER_SUSPECTED: N_("Same finger seen under another name"),
    ReviewFlag.PHOTO_OVERRIDE: N_("Photo kept despite a failed check"),
    ReviewFlag.ALREADY_RECORDED: N_("Already recorded before"),
}


def finger_name(finger: Finger, language: str = "id") -> str:
    return translate(FINGER_NAMES[Finger(finger)], language)


def exception_reason_name(reason: FingerExceptionReason, language: str = "id") -> str:
    return translate(EXCEPTION_REASON_NAMES[FingerExceptionReason(reason)], language)


def flag_name(flag: ReviewFlag, language: str = "id") -> str:
    return translate(FLAG_NAMES[ReviewFlag(flag)], language)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FingerException(_Model):
    reason: FingerExceptionReason = Field(description="Why the finger was not captured.")
    note: Note = Field(default="", description="The operator's words, e.g. 'bandaged, cut'.")


class FingerCapture(_Model):
    """One finger: captured with quality scores, or an exception with its reason."""

    finger: Finger = Field(description="Which finger.")
    quality: int | None = Field(
        default=None, ge=0, le=100, description="Image quality 0–100 from the sensor."
    )
    match_score: int | None = Field(
        default=None, ge=0, le=65535, description="Sensor score of the two impressions matching."
    )
    tries: int = Field(default=1, ge=0, le=10, description="Attempts used.")
    exception: FingerException | None = Field(
        default=None, description="Set when the finger could not be captured."
    )

    @model_validator(mode="after")
    def _captured_or_excepted(self) -> FingerCapture:
        if (self.exception is None) == (self.quality is None):
            raise ValueError("a finger has either a quality score or an exception, not both")
        return self


class PhotoQuality(_Model):
    background: Background = Field(description="The background colour required and checked.")
    scores: dict[Annotated[str, StringConstraints(max_length=40)], float] = Field(
        default_factory=dict,
        max_length=32,
        description="Each check's measured value, e.g. face_height_share, sharpness.",
    )
    failed_checks: tuple[Annotated[str, StringConstraints(max_length=40)], ...] = Field(
        default=(), max_length=32, description="Checks that did not pass."
    )
    override_reason: Note | None = Field(
        default=None, description="Why the operator kept a photo that failed a check."
    )


class QualityScores(_Model):
    photo: PhotoQuality | None = Field(default=None, description="Photo checks.")
    fingers: tuple[FingerCapture, ...] = Field(
        default=(), max_length=10, description="Per finger, in capture order."
    )
    signature_captured: bool = Field(default=False, description="A signature image exists.")

    @model_validator(mode="after")
    def _each_finger_once(self) -> QualityScores:
        fingers = [capture.finger for capture in self.fingers]
        if len(set(fingers)) != len(fingers):
            raise ValueError("a finger appears twice")
        return self


class EnrollmentRecord(_Model):
    """One resident's recording as the booth seals it (versioned with ``v``)."""

    v: Literal[1] = Field(default=RECORD_VERSION, description="Record format version.")
    record_id: uuid.UUID = Field(default_factory=uuid.uuid4, description="Unique record id.")
    nik: NikDigits = Field(description="The resident's NIK (validated by ektp.nik).")
    kk: NikDigits = Field(description="The family card number (validated by ektp.kk).")
    name: ShortText = Field(description="The resident's name as in the roster or as stated.")
    kelurahan: ShortText = Field(description="The village (kelurahan/desa) of the resident.")
    service: ServiceType = Field(description="The service recorded.")
    operator_id: ShortText = Field(description="The operator (from the operator's card).")
    booth_id: BoothId = Field(description="The booth that captured it.")
    ticket: Annotated[str, StringConstraints(max_length=16)] | None = Field(
        default=None, description="Queue ticket number, if any."
    )
    documents_checked: tuple[Document, ...] = Field(
        default=(), description="Documents the operator confirmed seeing."
    )
    checked_in_at: AwareDatetime | None = Field(default=None, description="Check-in time.")
    capture_started_at: AwareDatetime = Field(description="When the operator called the ticket.")
    captured_at: AwareDatetime = Field(description="When the review was confirmed.")
    quality: QualityScores = Field(default_factory=QualityScores, description="Quality scores.")
    flags: tuple[ReviewFlag, ...] = Field(default=(), description="Supervisor review flags.")

    @model_validator(mode="after")
    def _times_in_order(self) -> EnrollmentRecord:
        if self.captured_at < self.capture_started_at:
            raise ValueError("captured_at is before capture_started_at")
        if len(set(self.flags)) != len(self.flags):
            raise ValueError("a flag appears twice")
        missing = quality_flags(self.quality) - set(self.flags)
        if missing:
            raise ValueError(f"flags missing for the quality scores: {sorted(missing)}")
        return self

    @property
    def needs_review(self) -> bool:
        return bool(self.flags)


def quality_flags(quality: QualityScores) -> set[ReviewFlag]:
    """The flags the quality scores imply (a record must carry at least these)."""
    flags = set()
    if any(capture.exception is not None for capture in quality.fingers):
        flags.add(ReviewFlag.FINGER_EXCEPTION)
    if quality.photo is not None and quality.photo.override_reason is not None:
        flags.add(ReviewFlag.PHOTO_OVERRIDE)
    return flags

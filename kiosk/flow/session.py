"""One resident's enrollment in progress, and the ports the capture flow calls."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from ektp.packet_models import PHOTO_PART, SIGNATURE_PART, template_part
from ektp.record import (
    EnrollmentRecord,
    Finger,
    FingerCapture,
    FingerException,
    FingerExceptionReason,
    PhotoQuality,
    QualityScores,
    ReviewFlag,
    quality_flags,
)
from ektp.services import Document, ServiceType
from kiosk.flow.fingers import FingerprintCapture, FingerResult, FingerState
from kiosk.flow.ports import Ticket


@dataclass(frozen=True)
class OperatorIdentity:
    operator_id: str
    name: str


class CardLogin(Protocol):
    def verify_and_identify(self, pin: str) -> OperatorIdentity:
        """VERIFY the PIN on the inserted card, then read who the operator is."""
        ...


class PhotoResult(Protocol):
    """The best frame of a burst and how it fared (``kiosk.photo.PhotoOutcome``)."""

    @property
    def ok(self) -> bool: ...
    @property
    def jpeg(self) -> bytes | None: ...
    @property
    def background(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def scores(self) -> dict[str, float]: ...
    @property
    def failing(self) -> list[str]: ...


class PhotoStep(Protocol):
    def capture(self, required_background: str) -> PhotoResult:
        """Take a short burst and return the best frame's assessment (and JPEG)."""
        ...


@dataclass(frozen=True)
class SealedRecord:
    packet_id: str
    data: bytes = field(repr=False)
    outbox_meta: dict[str, Any]


class Sealer(Protocol):
    def seal(self, record: EnrollmentRecord, parts: Mapping[str, bytes]) -> SealedRecord: ...


class OutboxWriter(Protocol):
    def commit(self, packet_id: str, sealed: bytes, meta: dict[str, Any]) -> None: ...


@dataclass
class Enrollment:
    ticket: Ticket
    started_at: datetime
    fingers: FingerprintCapture
    documents_checked: tuple[str, ...] = ()
    photo_jpeg: bytes | None = field(default=None, repr=False)
    last_photo: PhotoResult | None = field(default=None, repr=False)
    photo_override_reason: str | None = None
    signature_png: bytes | None = field(default=None, repr=False)
    flags: set[str] = field(default_factory=set)

    def to_record_and_parts(
        self, *, booth_id: str, operator_id: str, office_district_code: str
    ) -> tuple[EnrollmentRecord, dict[str, bytes]]:
        """Split into what the manifest may say in clear and what must be sealed."""
        if self.photo_jpeg is None or self.signature_png is None or self.last_photo is None:
            raise ValueError("photo and signature are required before sealing")
        checkin = self.ticket.checkin
        flags = set(self.flags)
        if not checkin.in_roster:
            flags.add(ReviewFlag.NOT_IN_ROSTER)
        if not checkin.nik.startswith(office_district_code):
            flags.add(ReviewFlag.FOREIGN_REGION)
        fingers = tuple(_finger_capture(r) for r in self.fingers.results.values())
        photo = PhotoQuality(
            background=self.last_photo.background,
            scores=self.last_photo.scores,
            failed_checks=tuple(self.last_photo.failing),
            override_reason=self.photo_override_reason,
        )
        quality = QualityScores(photo=photo, fingers=fingers, signature_captured=True)
        flags |= quality_flags(quality)
        record = EnrollmentRecord(
            nik=checkin.nik,
            kk=checkin.kk,
            name=checkin.name or "-",
            kelurahan=checkin.kelurahan or "-",
            service=ServiceType(checkin.service),
            operator_id=operator_id,
            booth_id=booth_id,
            ticket=self.ticket.number,
            documents_checked=tuple(Document(d) for d in self.documents_checked),
            checked_in_at=self.ticket.issued_at,
            capture_started_at=self.started_at,
            captured_at=datetime.now(UTC),
            quality=quality,
            flags=tuple(sorted(ReviewFlag(f) for f in flags)),
        )
        parts: dict[str, bytes] = {PHOTO_PART: self.photo_jpeg, SIGNATURE_PART: self.signature_png}
        for name, result in self.fingers.results.items():
            if result.state is FingerState.CAPTURED and result.template is not None:
                parts[template_part(Finger(name))] = result.template
        return record, parts


def _finger_capture(result: FingerResult) -> FingerCapture:
    if result.state is FingerState.EXCEPTION:
        reason = FingerExceptionReason(result.exception_reason or "missing")
        return FingerCapture(
            finger=Finger(result.finger),
            tries=result.tries,
            exception=FingerException(reason=reason),
        )
    return FingerCapture(finger=Finger(result.finger), quality=result.quality, tries=result.tries)

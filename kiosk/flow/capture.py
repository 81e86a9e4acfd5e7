"""The operator's side: card + PIN → call ticket → documents → photo → fingers → signature →
review → seal → saved.

Hardware calls (PIN check, camera burst, finger capture) block; screens run these
methods off the UI thread. The sealed record is committed to the outbox before the
flow reports it saved. Idle or card removal locks the booth but keeps the session,
so the same operator can log in again and carry on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from ektp.i18n import N_
from ektp.record import EnrollmentRecord
from kiosk.flow.errors import FlowError, WrongStep
from kiosk.flow.fingers import FingerprintCapture, FingerSensor
from kiosk.flow.ports import AuditSink, Clock, Ticket, TicketDesk
from kiosk.flow.ports import monotonic as default_clock
from kiosk.flow.session import (
    CardLogin,
    Enrollment,
    OutboxWriter,
    PhotoStep,
    Sealer,
)
from kiosk.flow.stages import NO_STAGES, Stage, StageSink, visit_fields

PIN_DIGITS = (6, 8)
"""An operator card's PIN: 6 to 8 digits (NIST SP 800-73-4, part 2)."""
MSG_PIN_LENGTH = N_("The PIN has 6 to 8 digits.")


class CaptureStep(StrEnum):
    LOCKED = "locked"
    PIN = "pin"
    READY = "ready"
    DOCUMENTS = "documents"
    PHOTO = "photo"
    FINGERPRINTS = "fingerprints"
    SIGNATURE = "signature"
    REVIEW = "review"
    SAVED = "saved"


SESSION_STEPS = (
    CaptureStep.DOCUMENTS,
    CaptureStep.PHOTO,
    CaptureStep.FINGERPRINTS,
    CaptureStep.SIGNATURE,
    CaptureStep.REVIEW,
)
MIN_SIGNATURE_BYTES = 64


class CaptureFlow:
    """The operator capture state machine for one booth."""

    def __init__(
        self,
        *,
        booth_id: str,
        login: CardLogin,
        tickets: TicketDesk,
        photo: PhotoStep,
        sensor: FingerSensor,
        sealer: Sealer,
        outbox: OutboxWriter,
        audit: AuditSink,
        fingers: Sequence[str],
        required_background: Callable[[Enrollment], str],
        office_district_code: str,
        new_capture_allowed: Callable[[], bool] = lambda: True,
        clock: Clock = default_clock,
        idle_lock_seconds: float = 300.0,
        max_finger_tries: int = 3,
        stages: StageSink = NO_STAGES,
    ) -> None:
        self.booth_id = booth_id
        self._stages = stages
        self._finger_retries: dict[str, int] = {}
        self._login = login
        self._tickets = tickets
        self._photo = photo
        self._sensor = sensor
        self._sealer = sealer
        self._outbox = outbox
        self._audit = audit
        self._fingers = tuple(fingers)
        self._required_background = required_background
        self._office_district_code = office_district_code
        self.new_capture_allowed = new_capture_allowed
        self._clock = clock
        self.idle_lock_seconds = idle_lock_seconds
        self._max_finger_tries = max_finger_tries
        self.step = CaptureStep.LOCKED
        self.operator_id: str | None = None
        self.operator_name: str | None = None
        self.enrollment: Enrollment | None = None
        self.parked_step: CaptureStep | None = None
        self.saved_packet_id: str | None = None
        self.saved_record: EnrollmentRecord | None = None
        self._last_touch = clock()

    @property
    def required_photo_background(self) -> str | None:
        """The backdrop colour the current resident's photo must have (``ektp.photo_rule``),
        or None when no resident is being recorded."""
        enrollment = self.enrollment
        return self._required_background(enrollment) if enrollment is not None else None

    # -- login -----------------------------------------------------------------------
    def card_inserted(self) -> None:
        if self.step is CaptureStep.LOCKED:
            self._go(CaptureStep.PIN)

    def card_removed(self) -> None:
        if self.step is not CaptureStep.LOCKED:
            self.lock("card_removed")

    def enter_pin(self, pin: str) -> None:
        """Check the PIN on the card. PinError (tries left) and PinBlocked pass through.

        A PIN that is not 6 to 8 digits (what PIV cards take) is refused here, before the
        card sees it, and costs no try."""
        self._expect(CaptureStep.PIN)
        if not (pin.isascii() and pin.isdigit() and PIN_DIGITS[0] <= len(pin) <= PIN_DIGITS[1]):
            raise FlowError(MSG_PIN_LENGTH, code="pin_length")
        try:
            identity = self._login.verify_and_identify(pin)
        except Exception as err:
            self._audit.append("operator.login_failed", reason=type(err).__name__)
            raise
        if self.operator_id is not None and identity.operator_id != self.operator_id:
            if self.enrollment is not None:
                self._audit.append("session.dropped_for_new_operator", by=identity.operator_id)
            self.enrollment = None
            self.parked_step = None
        self.operator_id = identity.operator_id
        self.operator_name = identity.name
        self._audit.append("operator.login", operator=identity.operator_id)
        self._go(self.parked_step or CaptureStep.READY)
        self.parked_step = None

    def lock(self, reason: str = "operator") -> None:
        if self.step in SESSION_STEPS:
            self.parked_step = self.step
        self._audit.append("operator.lock", reason=reason, operator=self.operator_id)
        self._go(CaptureStep.LOCKED)

    def tick(self) -> bool:
        """Call regularly; locks the booth after ``idle_lock_seconds`` without activity."""
        locked = self.step in (CaptureStep.LOCKED, CaptureStep.PIN)
        if not locked and self._clock() - self._last_touch >= self.idle_lock_seconds:
            self.lock("idle")
            return True
        return False

    # -- one resident ----------------------------------------------------------------
    def call_next(self) -> Ticket | None:
        self._expect(CaptureStep.READY, CaptureStep.SAVED)
        if not self.new_capture_allowed():
            raise FlowError(
                N_("Power is low: finish what is open, start no new recording."), code="power"
            )
        ticket = self._tickets.call_next(self.booth_id)
        if ticket is None:
            self._go(CaptureStep.READY)
            return None
        self.enrollment = Enrollment(
            ticket=ticket,
            started_at=datetime.now(UTC),
            fingers=FingerprintCapture(
                self._sensor, self._fingers, max_tries=self._max_finger_tries
            ),
        )
        self.saved_packet_id = None
        self._finger_retries = {}
        self._stage(Stage.CALLED)
        self._go(CaptureStep.DOCUMENTS, ticket=ticket.number)
        return ticket

    def confirm_documents(self, shown: set[str]) -> None:
        enrollment = self._session(CaptureStep.DOCUMENTS)
        missing = [d for d in enrollment.ticket.checkin.documents if d not in shown]
        if missing:
            raise FlowError(
                N_("Documents still to check: {missing}."),
                code="documents_missing",
                missing=", ".join(missing),
            )
        enrollment.documents_checked = tuple(sorted(shown))
        self._stage(Stage.CAPTURE_STARTED)
        self._go(CaptureStep.PHOTO)

    def send_home_for_documents(self, missing: Sequence[str]) -> None:
        """The resident lacks a document: end the session, keep the reason for the report."""
        self._session(CaptureStep.DOCUMENTS)
        self._audit.append("session.documents_missing", missing=list(missing))
        self._stage(Stage.ABANDONED, reason="documents_missing")
        self.enrollment = None
        self._go(CaptureStep.READY)

    def take_photo(self) -> Any:
        """Capture a burst and keep the best passing frame. Returns the photo assessment."""
        enrollment = self._session(CaptureStep.PHOTO)
        result = self._photo.capture(self._required_background(enrollment))
        enrollment.last_photo = result
        if result.ok:
            enrollment.photo_jpeg = result.jpeg
            enrollment.photo_override_reason = None
            self._audit.append("photo.accepted", score=result.score)
            self._stage(Stage.PHOTO_DONE)
            self._go(CaptureStep.FINGERPRINTS)
        else:
            self._audit.append("photo.rejected", failing=result.failing)
        return result

    def accept_photo_anyway(self, reason: str) -> None:
        """Operator override of a failing check: kept, and flagged for supervisor review."""
        enrollment = self._session(CaptureStep.PHOTO)
        if enrollment.last_photo is None or enrollment.last_photo.jpeg is None:
            raise FlowError(N_("Take a photo first."), code="no_photo")
        if not reason.strip():
            raise FlowError(N_("Say why the photo is accepted."), code="reason")
        enrollment.photo_jpeg = enrollment.last_photo.jpeg
        enrollment.photo_override_reason = reason.strip()
        self._audit.append("photo.override", reason=reason)
        self._stage(Stage.PHOTO_DONE, override=True)
        self._go(CaptureStep.FINGERPRINTS)

    def capture_finger(self, on_step: Callable[[str], None] | None = None) -> Any:
        enrollment = self._session(CaptureStep.FINGERPRINTS)
        finger = enrollment.fingers.current
        try:
            result = enrollment.fingers.capture(on_step)
        except FlowError as err:
            self._audit.append("finger.retry", finger=finger, code=err.code)
            raise
        except Exception as err:
            self._audit.append("finger.device_error", finger=finger, error=type(err).__name__)
            self._count_retry(finger)
            raise
        self._audit.append(
            "finger.captured", finger=result.finger, quality=result.quality, tries=result.tries
        )
        self._finger_stage(result.finger, "captured", result.tries - 1)
        self._after_finger(enrollment)
        return result

    def mark_finger_exception(self, reason: str, finger: str | None = None) -> None:
        enrollment = self._session(CaptureStep.FINGERPRINTS)
        current = finger or enrollment.fingers.current
        enrollment.fingers.mark_exception(reason, finger)
        self._audit.append("finger.exception", finger=finger, reason=reason)
        if current is not None:
            tries = enrollment.fingers.results[current].tries
            self._finger_stage(current, "exception", tries, reason=reason)
        self._after_finger(enrollment)

    def retake_finger(self, finger: str) -> None:
        enrollment = self._session(
            CaptureStep.FINGERPRINTS, CaptureStep.SIGNATURE, CaptureStep.REVIEW
        )
        enrollment.fingers.select(finger)
        self._go(CaptureStep.FINGERPRINTS, retake=finger)

    def submit_signature(self, image_png: bytes) -> None:
        enrollment = self._session(CaptureStep.SIGNATURE)
        if len(image_png) < MIN_SIGNATURE_BYTES:
            raise FlowError(N_("The signature is empty. Please sign again."), code="signature")
        enrollment.signature_png = image_png
        self._stage(Stage.SIGNATURE)
        self._go(CaptureStep.REVIEW)

    def seal(self) -> str:
        """Seal and commit to the outbox; returns the packet id once it is safe on disk."""
        enrollment = self._session(CaptureStep.REVIEW)
        record, parts = enrollment.to_record_and_parts(
            booth_id=self.booth_id,
            operator_id=self.operator_id or "",
            office_district_code=self._office_district_code,
        )
        sealed = self._sealer.seal(record, parts)
        self._outbox.commit(sealed.packet_id, sealed.data, sealed.outbox_meta)
        self.saved_packet_id = sealed.packet_id
        self.saved_record = record
        self._audit.append(
            "session.saved", packet=sealed.packet_id, flags=[str(f) for f in record.flags]
        )
        self._stage(Stage.SEALED, packet=sealed.packet_id)
        self.enrollment = None
        self._go(CaptureStep.SAVED, packet=sealed.packet_id)
        return sealed.packet_id

    def mark_absent(self) -> None:
        """The ticket was called and nobody came: end it (an abandoned ticket)."""
        self._session(CaptureStep.DOCUMENTS)
        self._audit.append("session.absent")
        self._stage(Stage.ABANDONED, reason="absent")
        self.enrollment = None
        self._go(CaptureStep.READY)

    def cancel(self, reason: str) -> None:
        if self.enrollment is None:
            return
        self._audit.append("session.cancelled", reason=reason, step=str(self.step))
        self.enrollment = None
        self.parked_step = None
        self._go(CaptureStep.READY)

    # -- internals -------------------------------------------------------------------
    def _stage(self, stage: Stage, **fields: str | int | bool) -> None:
        """Time this stage of the current visit (ticket, operator, kelurahan; no NIK)."""
        if self.enrollment is not None:
            visit = visit_fields(self.enrollment.ticket)
            self._stages.record(stage, **visit, operator=self.operator_id, **fields)

    def _count_retry(self, finger: str | None) -> None:
        """A sensor failure (e.g. "image too messy"): the resident places again."""
        if finger is not None:
            self._finger_retries[finger] = self._finger_retries.get(finger, 0) + 1

    def _finger_stage(self, finger: str, outcome: str, failed_tries: int, **fields: str) -> None:
        """One finger done; its retries are the tries that failed, sensor failures too."""
        retries = failed_tries + self._finger_retries.pop(finger, 0)
        self._stage(Stage.FINGER, finger=finger, outcome=outcome, retries=retries, **fields)

    def _after_finger(self, enrollment: Enrollment) -> None:
        if enrollment.fingers.done:
            if any(r.duplicate_of for r in enrollment.fingers.results.values()):
                enrollment.flags.add("duplicate_finger_suspected")
            self._go(CaptureStep.SIGNATURE)
        else:
            self._touch()

    def _session(self, *steps: CaptureStep) -> Enrollment:
        self._expect(*steps)
        assert self.enrollment is not None
        return self.enrollment

    def _expect(self, *steps: CaptureStep) -> None:
        if self.step not in steps:
            raise WrongStep(
                N_("Please finish the current step first."),
                expected=",".join(steps),
                at=str(self.step),
            )
        self._touch()

    def _touch(self) -> None:
        self._last_touch = self._clock()

    def _go(self, step: CaptureStep, **fields: object) -> None:
        self._audit.append(f"capture.{step}", previous=str(self.step), **fields)
        self.step = step
        self._touch()

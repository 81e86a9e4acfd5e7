"""Card hand-over (penyerahan): the printed e-KTP goes to the person it belongs to.

A plain-Python state machine a test drives without a screen, like the other flows:

    start(operator_id) → INSERT_CARD
    read_card()        → VERIFY          (reads NIK, name and the two templates off the card)
    verify_finger()    → DELIVERED       (a live finger matches one of the card's templates)
                       → VERIFY          (no match, tries left)
                       → REFUSED         (no match in ``max_tries`` tries: nothing is delivered)
    finish() / cancel()→ IDLE

``read_card`` and ``verify_finger`` block on the hardware: screens run them off the UI
thread. A hand-over is recorded in the audit log and as a ``card_delivered`` event for
the edge (``booths/<id>/events``), handed to ``publish`` and kept on
:attr:`HandoverFlow.delivered_event`; the event names the resident by the roster look-up
key of the card's NIK when ``secret`` gives the office roster secret (never by the NIK).
Only a compared impression costs a try; a finger that is never placed or an unusable
image raise to the screen and cost none. No template byte reaches the audit log, an
event or an exception message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from ektp.i18n import N_
from ektp.messages import EventMessage
from ektp.nik import format_masked
from ektp.roster_keys import RosterSecret
from kiosk.flow.errors import FlowError, WrongStep
from kiosk.flow.ports import AuditSink
from kiosk.uplink.events import card_delivered_event

DEFAULT_MAX_TRIES = 4
DEFAULT_FINGER_TIMEOUT_S = 20.0

MSG_NOT_A_KTP = N_("This is not a resident's e-KTP. Insert the new e-KTP card.")
MSG_NO_MATCH = N_("The fingerprint does not match the card. Tries left: {tries_left}.")
MSG_REFUSED = N_("The fingerprint did not match in {tries} tries. The card stays at the office.")


class HandoverStep(StrEnum):
    IDLE = "idle"
    INSERT_CARD = "insert_card"
    VERIFY = "verify"
    DELIVERED = "delivered"
    REFUSED = "refused"


class CardOnReader(Protocol):
    """What the hand-over reads: ``hardware.smartcard.ResidentCard`` fits."""

    @property
    def nik(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def templates(self) -> tuple[bytes, bytes]: ...


class ResidentCardReader(Protocol):
    def read_resident_card(self) -> CardOnReader:
        """NIK, name and two templates of the inserted e-KTP (CardError if it is not one)."""
        ...


class VerifyingSensor(Protocol):
    def capture_template(self, timeout: float) -> bytes:
        """One impression of the finger on the glass, as a template."""
        ...

    def compare(self, template_a: bytes, template_b: bytes) -> int: ...

    def is_match(self, score: int) -> bool: ...


@dataclass(frozen=True)
class FingerVerdict:
    """The outcome of one compared impression."""

    matched: bool
    score: int
    tries: int
    tries_left: int


class HandoverFlow:
    """One booth's card hand-over. Not thread-safe: call it from one place at a time."""

    def __init__(
        self,
        *,
        booth_id: str,
        reader: ResidentCardReader,
        sensor: VerifyingSensor,
        audit: AuditSink,
        publish: Callable[[EventMessage], None] | None = None,
        max_tries: int = DEFAULT_MAX_TRIES,
        finger_timeout: float = DEFAULT_FINGER_TIMEOUT_S,
        secret: Callable[[], RosterSecret | None] | None = None,
    ) -> None:
        if max_tries < 1:
            raise ValueError("max_tries must be at least 1")
        self.booth_id = booth_id
        self._reader = reader
        self._sensor = sensor
        self._audit = audit
        self._publish = publish
        self._secret = secret or (lambda: None)
        self.max_tries = max_tries
        self.finger_timeout = finger_timeout
        self.step = HandoverStep.IDLE
        self.operator_id: str | None = None
        self.card: CardOnReader | None = None
        self.tries = 0
        self.last_score = 0
        self.delivered_event: EventMessage | None = None

    @property
    def tries_left(self) -> int:
        return max(0, self.max_tries - self.tries)

    @property
    def masked_nik(self) -> str:
        return format_masked(self.card.nik) if self.card is not None else ""

    def start(self, operator_id: str) -> None:
        """A logged-in operator begins a hand-over: the booth waits for the card."""
        if not operator_id:
            raise ValueError("a hand-over needs the logged-in operator")
        self._reset()
        self.operator_id = operator_id
        self._go(HandoverStep.INSERT_CARD, operator=operator_id)

    def read_card(self) -> CardOnReader:
        """Read the inserted card (blocking). Device errors pass through; nothing changes."""
        self._expect(HandoverStep.INSERT_CARD, HandoverStep.VERIFY)
        try:
            card = self._reader.read_resident_card()
        except Exception as err:
            self._audit.append("handover.card_unreadable", error=type(err).__name__)
            raise
        self.card = card
        self.tries = 0
        self._go(HandoverStep.VERIFY, nik=format_masked(card.nik))
        return card

    def verify_finger(self) -> FingerVerdict:
        """Capture one impression and compare it with both of the card's templates (blocking).

        A match delivers the card; a miss costs a try; the last miss refuses the hand-over.
        FingerTimeout / CaptureError from the sensor pass through and cost no try.
        """
        self._expect(HandoverStep.VERIFY)
        card = self.card
        assert card is not None
        live = self._sensor.capture_template(self.finger_timeout)
        scores = [self._sensor.compare(live, stored) for stored in card.templates]
        best = max(scores)
        self.tries += 1
        self.last_score = best
        matched = self._sensor.is_match(best)
        if matched:
            self._deliver(card, best, which=scores.index(best) + 1)
        elif self.tries >= self.max_tries:
            self._go(HandoverStep.REFUSED, nik=format_masked(card.nik), tries=self.tries)
        else:
            self._audit.append("handover.no_match", tries=self.tries, score=best)
        return FingerVerdict(matched, best, self.tries, self.tries_left)

    def no_match_error(self) -> FlowError:
        """The sentence for the screen after a miss (or the refusal)."""
        if self.step is HandoverStep.REFUSED:
            return FlowError(MSG_REFUSED, code="handover_refused", tries=self.tries)
        return FlowError(MSG_NO_MATCH, code="handover_no_match", tries_left=self.tries_left)

    def cancel(self, reason: str = "operator") -> None:
        if self.step in (HandoverStep.INSERT_CARD, HandoverStep.VERIFY):
            self._audit.append("handover.cancelled", reason=reason, at_step=str(self.step))
        self._reset()

    def finish(self) -> None:
        """Leave a finished (delivered or refused) hand-over; the outcome stays recorded."""
        self.cancel("finished")

    # -- internals -------------------------------------------------------------------
    def _deliver(self, card: CardOnReader, score: int, *, which: int) -> None:
        event = card_delivered_event(
            self.booth_id,
            nik=card.nik,
            operator=self.operator_id,
            tries=self.tries,
            match_score=score,
            matched_card_finger=which,
            secret=self._secret(),
        )
        self._audit.append(
            "handover.card_delivered",
            nik=card.nik,
            operator=self.operator_id,
            tries=self.tries,
            score=score,
            event_id=str(event.event_id),
        )
        self.delivered_event = event
        if self._publish is not None:
            self._publish(event)  # kept durably for the edge before the screen says so
        self._go(HandoverStep.DELIVERED)

    def _reset(self) -> None:
        self.step = HandoverStep.IDLE
        self.card = None
        self.tries = 0
        self.last_score = 0
        self.delivered_event = None

    def _expect(self, *steps: HandoverStep) -> None:
        if self.step not in steps:
            raise WrongStep(
                N_("Please finish the current step first."),
                expected=",".join(steps),
                at=str(self.step),
            )

    def _go(self, step: HandoverStep, **fields: object) -> None:
        self._audit.append(f"handover.{step}", previous=str(self.step), **fields)
        self.step = step

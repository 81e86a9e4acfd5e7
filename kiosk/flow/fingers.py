"""Ten fingers (or the office's subset) in a fixed order, each with up to N tries.

Per finger: place → image → template 1 → lift → place → template 2 → model, done by
the sensor's ``enroll_finger``. A capture whose quality is below the office minimum,
or that matches a finger already captured in this session (the same finger offered
twice), costs a try; after the last try the best capture is kept and flagged. A
finger can instead be marked as an exception (missing, injured, bandaged) with a
reason. A sensor that fails mid-session costs no try and loses nothing captured:
the operator continues when it answers again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from ektp.i18n import N_
from kiosk.flow.errors import FlowError


class EnrolledFinger(Protocol):
    @property
    def template(self) -> bytes: ...
    @property
    def quality(self) -> int: ...


class FingerSensor(Protocol):
    """The part of ``hardware.fingerprint.FingerprintSensor`` this step uses."""

    def enroll_finger(
        self, on_step: Callable[[str], None] | None = None, timeout: float = ...
    ) -> EnrolledFinger: ...

    def compare(self, template_a: bytes, template_b: bytes) -> int: ...

    def is_match(self, score: int) -> bool: ...


class FingerState(StrEnum):
    PENDING = "pending"
    CAPTURED = "captured"
    EXCEPTION = "exception"


EXCEPTION_REASONS = ("missing", "injured", "bandaged", "unreadable")


@dataclass
class FingerResult:
    finger: str
    state: FingerState = FingerState.PENDING
    template: bytes | None = field(default=None, repr=False)
    quality: int = 0
    tries: int = 0
    exception_reason: str | None = None
    low_quality: bool = False
    duplicate_of: str | None = None


class FingerprintCapture:
    """The fingerprint step of one enrollment."""

    def __init__(
        self,
        sensor: FingerSensor,
        fingers: Sequence[str],
        *,
        max_tries: int = 3,
        min_quality: int = 40,
        capture_timeout: float = 20.0,
    ) -> None:
        if not fingers:
            raise ValueError("at least one finger must be captured")
        self._sensor = sensor
        self.max_tries = max_tries
        self.min_quality = min_quality
        self.capture_timeout = capture_timeout
        self.results = {finger: FingerResult(finger) for finger in fingers}
        self._order = list(fingers)
        self._best: dict[str, FingerResult] = {}
        self.selected: str | None = self._order[0]

    @property
    def current(self) -> str | None:
        """The finger to capture now: the one chosen, else the first still pending."""
        if self.selected is not None and self.results[self.selected].state is FingerState.PENDING:
            return self.selected
        return next((f for f in self._order if self.results[f].state is FingerState.PENDING), None)

    @property
    def done(self) -> bool:
        return self.current is None

    def select(self, finger: str) -> None:
        """Go to a finger (to retake it, or out of order)."""
        if finger not in self.results:
            raise FlowError(N_("That finger is not captured at this office."), code="finger")
        result = self.results[finger]
        self.results[finger] = FingerResult(finger, tries=result.tries if result.tries else 0)
        self._best.pop(finger, None)
        self.selected = finger

    def capture(self, on_step: Callable[[str], None] | None = None) -> FingerResult:
        """Capture the current finger. Raises FlowError for a try that did not count as good.

        A ``hardware.errors.DeviceError`` from the sensor passes through unchanged and
        costs no try.
        """
        finger = self.current
        if finger is None:
            raise FlowError(N_("All fingers are done."), code="fingers_done")
        enrolled = self._sensor.enroll_finger(on_step, timeout=self.capture_timeout)
        result = self.results[finger]
        result.tries += 1
        candidate = FingerResult(
            finger, FingerState.CAPTURED, enrolled.template, enrolled.quality, result.tries
        )
        candidate.duplicate_of = self._matching_finger(finger, enrolled.template)
        candidate.low_quality = enrolled.quality < self.min_quality
        best = self._best.get(finger)
        if best is None or _better(candidate, best):
            self._best[finger] = candidate
        if candidate.duplicate_of is None and not candidate.low_quality:
            self._accept(candidate)
            return candidate
        if result.tries >= self.max_tries:
            kept = self._best[finger]
            kept.tries = result.tries
            self._accept(kept)
            return kept
        if candidate.duplicate_of is not None:
            raise FlowError(
                N_("This looks like a finger already captured ({other}). Place the right finger."),
                code="duplicate_finger",
                other=candidate.duplicate_of,
            )
        raise FlowError(
            N_("The print is not clear enough (quality {quality}). Clean the finger and retry."),
            code="low_quality",
            quality=enrolled.quality,
        )

    def mark_exception(self, reason: str, finger: str | None = None) -> None:
        finger = finger or self.current
        if finger is None or finger not in self.results:
            raise FlowError(N_("Choose a finger first."), code="finger")
        if reason not in EXCEPTION_REASONS:
            raise FlowError(N_("Choose a reason for the missing finger."), code="reason")
        self.results[finger] = FingerResult(
            finger,
            FingerState.EXCEPTION,
            exception_reason=reason,
            tries=self.results[finger].tries,
        )
        self._best.pop(finger, None)
        self.selected = None

    def templates(self) -> dict[str, bytes]:
        return {
            f: r.template
            for f, r in self.results.items()
            if r.state is FingerState.CAPTURED and r.template is not None
        }

    def _accept(self, result: FingerResult) -> None:
        self.results[result.finger] = result
        self.selected = None

    def _matching_finger(self, finger: str, template: bytes) -> str | None:
        for other, earlier in self.templates().items():
            if other != finger and self._sensor.is_match(self._sensor.compare(template, earlier)):
                return other
        return None


def _better(a: FingerResult, b: FingerResult) -> bool:
    """Prefer a capture that is not a suspected duplicate, then the higher quality."""
    return (a.duplicate_of is None, a.quality) > (b.duplicate_of is None, b.quality)

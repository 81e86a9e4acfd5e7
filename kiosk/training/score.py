"""Scoring a practice session from the capture flow's own step events.

The training capture flow reports every transition and every try to its audit sink
(``capture.photo``, ``photo.rejected``, ``finger.captured``…); :class:`TrainingScorer`
is that sink. It times each step of each practice resident (documents, photo, each
finger, signature, review), counts the retries and keeps the quality reached (the
photo's score, each finger's image quality). Nothing here holds an image or a template.

The overall result (0–100) weighs quality (50), retries (25) and speed (25) against a
target time per resident; a session with no resident completed scores 0.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from statistics import fmean
from typing import Any

from ektp.i18n import N_
from ektp.messages import TrainingResidentScore, TrainingResultMessage, TrainingStepScore

DEFAULT_TARGET_SECONDS = 300.0
"""A trained operator records a resident in about five minutes (~120 a day per kit)."""
RETRIES_FOR_ZERO = 5.0
"""Retries per resident at which the retry part of the score reaches zero."""

GRADE_GOOD = N_("Good")
GRADE_FAIR = N_("Fair")
GRADE_PRACTISE_MORE = N_("Practise more")

_STEP_OF_EVENT = {
    "capture.documents": "documents",
    "capture.photo": "photo",
    "capture.signature": "signature",
    "capture.review": "review",
}


@dataclass
class _OpenStep:
    name: str
    started: float
    retries: int = 0
    quality: float | None = None


@dataclass
class _Resident:
    ticket: str
    started: float
    steps: list[TrainingStepScore] = field(default_factory=list)
    completed: bool = False
    seconds: float = 0.0


class TrainingScorer:
    """An ``AuditSink`` for the training flow that turns its events into a score."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        *,
        target_seconds: float = DEFAULT_TARGET_SECONDS,
    ) -> None:
        self._clock = clock
        self.target_seconds = target_seconds
        self.residents: list[_Resident] = []
        self._current: _Resident | None = None
        self._step: _OpenStep | None = None

    # -- AuditSink -------------------------------------------------------------------
    def append(self, event: str, **fields: Any) -> None:
        now = self._clock()
        if event == "capture.documents" and fields.get("ticket"):
            self._end_resident(now, completed=False)
            self._current = _Resident(str(fields["ticket"]), now)
        if self._current is None:
            return
        if event in _STEP_OF_EVENT:
            self._open(_STEP_OF_EVENT[event], now)
        elif event == "capture.fingerprints":
            self._open(_finger_step(fields.get("retake")), now)
        elif event == "photo.rejected" and self._step is not None:
            self._step.retries += 1
        elif event == "photo.accepted" and self._step is not None:
            self._step.quality = round(float(fields.get("score", 0.0)) * 100, 1)
        elif event == "finger.device_error" and fields.get("error") == "CaptureError":
            if self._step is not None:  # the two impressions did not match: place again
                self._step.retries += 1
        elif event == "finger.captured":
            self._finger_done(now, str(fields.get("finger")), fields)
        elif event == "finger.exception":
            self._finger_done(now, str(fields.get("finger") or ""), {"tries": 1})
        elif event == "capture.saved":
            self._end_resident(now, completed=True)
        elif event == "capture.ready":  # cancelled, or sent home for documents
            self._end_resident(now, completed=False)

    # -- the result ------------------------------------------------------------------
    def finish(self) -> None:
        """Close whatever is open (an abandoned resident counts as not completed)."""
        self._end_resident(self._clock(), completed=False)

    def result(
        self,
        *,
        booth_id: str,
        operator_id: str,
        result_id: Any,
        started_at: Any,
        finished_at: Any,
    ) -> TrainingResultMessage:
        residents = tuple(
            TrainingResidentScore(
                ticket=r.ticket,
                completed=r.completed,
                seconds=round(r.seconds, 2),
                steps=tuple(r.steps[-32:]),
            )
            for r in self.residents[-50:]
        )
        return TrainingResultMessage(
            booth_id=booth_id,
            result_id=result_id,
            operator_id=operator_id,
            started_at=started_at,
            finished_at=finished_at,
            residents=residents,
            score=overall_score(residents, self.target_seconds),
        )

    # -- internals -------------------------------------------------------------------
    def _open(self, name: str, now: float) -> None:
        self._close_step(now)
        self._step = _OpenStep(name, now)

    def _close_step(self, now: float) -> None:
        step, self._step = self._step, None
        if step is None or self._current is None or step.name == "fingers":
            return
        self._current.steps.append(
            TrainingStepScore(
                step=step.name,
                seconds=round(max(0.0, now - step.started), 2),
                retries=step.retries,
                quality=step.quality,
            )
        )

    def _finger_done(self, now: float, finger: str, fields: dict[str, Any]) -> None:
        if self._step is None or self._current is None:
            return
        tries = int(fields.get("tries", 1) or 1)
        quality = fields.get("quality")
        self._current.steps.append(
            TrainingStepScore(
                step=f"finger:{finger}"[:64],
                seconds=round(max(0.0, now - self._step.started), 2),
                retries=max(0, tries - 1) + self._step.retries,
                quality=float(quality) if quality is not None else None,
            )
        )
        self._step = _OpenStep("fingers", now)  # the next finger's clock starts now

    def _end_resident(self, now: float, *, completed: bool) -> None:
        if self._current is None:
            return
        self._close_step(now)
        resident, self._current = self._current, None
        resident.completed = completed
        resident.seconds = max(0.0, now - resident.started)
        self.residents.append(resident)


def _finger_step(retake: object) -> str:
    return f"finger:{retake}" if retake else "fingers"


@dataclass(frozen=True)
class TrainingSummary:
    """What the trainee and the edge's page show for one practice session."""

    residents_completed: int
    average_seconds: float | None
    retries: int
    photo_quality: float | None
    finger_quality: float | None
    score: int

    @property
    def grade(self) -> str:
        """An untranslated msgid: Good (≥ 80), Fair (≥ 60), Practise more."""
        if self.score >= 80:
            return GRADE_GOOD
        return GRADE_FAIR if self.score >= 60 else GRADE_PRACTISE_MORE


def summarize(result: TrainingResultMessage) -> TrainingSummary:
    done = [r for r in result.residents if r.completed]
    steps = [s for r in done for s in r.steps]
    photo = [s.quality for s in steps if s.step == "photo" and s.quality is not None]
    fingers = [s.quality for s in steps if s.step.startswith("finger:") and s.quality is not None]
    return TrainingSummary(
        residents_completed=len(done),
        average_seconds=round(fmean(r.seconds for r in done), 1) if done else None,
        retries=sum(s.retries for r in result.residents for s in r.steps),
        photo_quality=round(fmean(photo), 1) if photo else None,
        finger_quality=round(fmean(fingers), 1) if fingers else None,
        score=result.score,
    )


def overall_score(
    residents: tuple[TrainingResidentScore, ...], target_seconds: float = DEFAULT_TARGET_SECONDS
) -> int:
    """Quality 50, retries 25, speed 25 over the completed residents; 0 if none."""
    done = [r for r in residents if r.completed]
    if not done:
        return 0
    qualities = [s.quality for r in done for s in r.steps if s.quality is not None]
    quality = fmean(qualities) / 100 if qualities else 0.0
    retries_each = sum(s.retries for r in done for s in r.steps) / len(done)
    retry_part = max(0.0, 1.0 - retries_each / RETRIES_FOR_ZERO)
    average = fmean(r.seconds for r in done)
    speed = 1.0 if average <= target_seconds else target_seconds / average
    return round(50 * quality + 25 * retry_part + 25 * speed)


STEP_KINDS = ("documents", "photo", "fingers", "signature", "review")


def step_averages(result: TrainingResultMessage) -> list[tuple[str, float, int]]:
    """Per kind of step (the fingers together): mean seconds per completed resident and
    the retries, in the order of the flow."""
    done = [r for r in result.residents if r.completed]
    rows = []
    for kind in STEP_KINDS:
        steps = [
            s
            for r in done
            for s in r.steps
            if s.step == kind or (kind == "fingers" and s.step.startswith("finger:"))
        ]
        if steps:
            seconds = sum(s.seconds for s in steps) / len(done)
            rows.append((kind, round(seconds, 1), sum(s.retries for s in steps)))
    return rows

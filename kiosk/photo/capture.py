"""Burst auto-capture: take a few frames, keep the best, say what fails.

The camera is any callable that returns a short burst of BGR frames (the hardware
camera's ``capture_burst``, or a list in tests), so this module needs no device code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np

from kiosk.config.photo import BackgroundColour
from kiosk.photo.checks import face_count
from kiosk.photo.quality import Assessment, PhotoQualityChecker

NO_FACE_INSTRUCTION = face_count(0).instruction_msgid or ""


@dataclass(frozen=True)
class PhotoOutcome:
    """What the capture flow keeps from one burst.

    ``jpeg`` is the 3:4 portrait of the best frame — also when it failed, so an
    operator may accept it with a reason; None only when the burst was empty.
    ``failing`` names the failing checks, ``messages`` their msgids, in check order (for
    the operator); ``instructions`` says what the resident should do, most useful first.
    """

    ok: bool
    jpeg: bytes | None = field(repr=False)
    score: float
    checks: dict[str, bool]
    failing: list[str]
    messages: list[str]
    assessment: Assessment | None
    background: str = "white"
    scores: dict[str, float] = field(default_factory=dict)
    instructions: list[str] = field(default_factory=list)


class BurstCapture:
    """Grabs a burst from ``grab_burst`` and judges it with ``checker``."""

    def __init__(
        self,
        grab_burst: Callable[[], Sequence[np.ndarray]],
        checker: PhotoQualityChecker,
    ) -> None:
        self._grab_burst = grab_burst
        self._checker = checker

    def capture(self, required_background: str) -> PhotoOutcome:
        background = cast("BackgroundColour", required_background)
        best = self._checker.best_of_burst(self._grab_burst(), background)
        if best is None:
            return PhotoOutcome(
                False,
                None,
                0.0,
                {},
                ["face_count"],
                [],
                None,
                background=required_background,
                instructions=[NO_FACE_INSTRUCTION],
            )
        frame, verdict = best
        return PhotoOutcome(
            ok=verdict.ok,
            jpeg=self._checker.crop_portrait(frame, verdict.face_box),
            score=verdict.score,
            checks=verdict.as_flags(),
            failing=[c.name for c in verdict.failing],
            messages=[c.message_msgid for c in verdict.failing],
            assessment=verdict,
            background=required_background,
            scores={
                c.name: float(c.value)
                for c in verdict.checks
                if isinstance(c.value, int | float) and not isinstance(c.value, bool)
            },
            instructions=verdict.instructions,
        )

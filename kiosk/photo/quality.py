"""Judge camera frames against the office's photo rules and pick the best of a burst."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import get_args

import numpy as np

from kiosk.config.photo import BackgroundColour, PhotoQualityConfig
from kiosk.photo import geometry
from kiosk.photo.checks import (
    CheckResult,
    eyes_level,
    eyes_open,
    face_centred,
    face_count,
    face_size,
    mouth_closed,
    portrait_fit,
    pose_pitch,
    pose_yaw,
)
from kiosk.photo.detect import Box, FaceDetector, Faces, FaceTracker, portrait_area, to_gray
from kiosk.photo.guidance import instructions
from kiosk.photo.image_checks import background, background_sample, exposure, sharpness
from kiosk.photo.portrait import encode_jpeg, portrait_crop

CHECK_NAMES = (
    "face_count",
    "face_size",
    "centred",
    "portrait_fit",
    "pose_yaw",
    "pose_pitch",
    "eyes_level",
    "eyes_open",
    "mouth_closed",
    "background_uniform",
    "background_colour",
    "sharpness",
    "exposure",
)
"""Every check, in the order a screen lists them."""

_BACKGROUNDS: tuple[BackgroundColour, ...] = get_args(BackgroundColour)


@dataclass(frozen=True)
class Assessment:
    """The verdict on one frame.

    ``checks`` holds the checks that could run (only ``face_count`` when there is not
    exactly one face). ``face_box`` is the face (chin to forehead, cheek to cheek) from
    the landmarks; ``portrait_box`` the crop the saved photo would be. ``score`` ranks
    frames: higher is better, in [0, 1].
    """

    ok: bool
    checks: tuple[CheckResult, ...]
    face_box: Box | None
    score: float
    portrait_box: Box | None = None

    @property
    def failing(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if not c.ok)

    @property
    def instructions(self) -> list[str]:
        """What the resident should do (msgids), the most useful first."""
        return instructions(self.checks)

    def as_flags(self) -> dict[str, bool]:
        """Check name → passed (a skipped check counts as passed)."""
        return {c.name: c.ok for c in self.checks}


class PhotoQualityChecker:
    """Holds the loaded face models; build one per booth and reuse it for every frame."""

    def __init__(self, config: PhotoQualityConfig | None = None) -> None:
        self.config = config if config is not None else PhotoQualityConfig()
        self._detector = FaceDetector(self.config)

    @property
    def detector(self) -> FaceDetector:
        return self._detector

    def tracker(self) -> FaceTracker:
        """A tracker for one live stream (see :meth:`assess` with ``faces``)."""
        return FaceTracker(self._detector, self.config.redetect_every)

    def assess(
        self,
        frame: np.ndarray,
        required_background: BackgroundColour,
        tracker: FaceTracker | None = None,
    ) -> Assessment:
        """Run every check on one BGR frame (``uint8``, height × width × 3).

        With a ``tracker`` (live guidance), the face is followed from the previous frame
        and the detector runs only every few frames.
        """
        if required_background not in _BACKGROUNDS:
            raise ValueError(f"required_background must be one of {_BACKGROUNDS}")
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError("frame must be a BGR uint8 array of shape (height, width, 3)")
        found = tracker.faces(frame) if tracker is not None else self._detector.faces(frame)
        return self._judge(frame, found, required_background)

    def _judge(
        self, frame: np.ndarray, found: Faces, required_background: BackgroundColour
    ) -> Assessment:
        mesh = found.mesh
        counted = face_count(found.count if mesh is not None else 0)
        if not counted.ok or mesh is None:
            return Assessment(False, (counted,), None, 0.0)
        config = self.config
        face = geometry.face_box(mesh)
        crop = geometry.portrait_box(face, config.portrait_head_share, config.portrait_crown_margin)
        area = portrait_area(frame.shape)
        pose = geometry.pose(mesh)
        gray = to_gray(frame)
        pixels, visible = background_sample(frame, mesh, face, _union(crop, area))
        results = [
            counted,
            face_size(mesh, area, crop, config),
            face_centred(crop, area, config),
            portrait_fit(crop, frame.shape),
            pose_yaw(pose, config),
            pose_pitch(pose, config),
            eyes_level(pose, config),
            eyes_open(mesh, config),
            mouth_closed(mesh, config),
            *background(pixels, visible, required_background, config),
            sharpness(gray, face, config),
            exposure(gray, face, config),
        ]
        return Assessment(
            ok=all(r.ok for r in results),
            checks=tuple(results),
            face_box=face,
            score=self._score(results),
            portrait_box=crop,
        )

    def best_of_burst(
        self, frames: Iterable[np.ndarray], required_background: BackgroundColour
    ) -> tuple[np.ndarray, Assessment] | None:
        """The best frame of a burst with its assessment; None for an empty burst.

        A passing frame always beats a failing one; among equals the higher score wins.
        When none passes, the best failing frame is returned so its ``failing`` checks
        tell the operator what to change.
        """
        best: tuple[np.ndarray, Assessment] | None = None
        for frame in frames:
            verdict = self.assess(frame, required_background)
            if best is None or (verdict.ok, verdict.score) > (best[1].ok, best[1].score):
                best = (frame, verdict)
        return best

    def portrait(self, frame: np.ndarray, face_box: Box | None) -> np.ndarray:
        """The 3:4 portrait array at the configured size (see :func:`portrait_crop`)."""
        return portrait_crop(frame, face_box, self.config)

    def crop_portrait(self, frame: np.ndarray, face_box: Box | None) -> bytes:
        """The 3:4 portrait at the configured size, as JPEG bytes."""
        return encode_jpeg(self.portrait(frame, face_box), self.config.jpeg_quality)

    def _score(self, results: list[CheckResult]) -> float:
        """Share of checks passed (weight 0.8) plus how comfortably they pass (0.2)."""
        passed = sum(r.ok for r in results) / len(CHECK_NAMES)
        by_name = {r.name: r for r in results}
        config = self.config
        margins = [
            _closeness(by_name["centred"].value, 0.0, config.centre_tolerance * 2),
            _closeness(
                by_name["face_size"].value,
                (config.face_min_share + config.face_max_share) / 2,
                config.face_max_share - config.face_min_share,
            ),
            min(1.0, _number(by_name["sharpness"].value) / (3 * config.min_sharpness)),
        ]
        return 0.8 * passed + 0.2 * sum(margins) / len(margins)


def _union(a: Box, b: Box) -> Box:
    x0, y0 = min(a.x, b.x), min(a.y, b.y)
    x1, y1 = max(a.x + a.w, b.x + b.w), max(a.y + a.h, b.y + b.h)
    return Box(x0, y0, x1 - x0, y1 - y0)


def _number(value: float | str | None) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _closeness(value: float | str | None, target: float, span: float) -> float:
    if not isinstance(value, int | float):
        return 0.0
    return max(0.0, 1.0 - abs(float(value) - target) / span)


def assess(
    frame: np.ndarray,
    required_background: BackgroundColour,
    config: PhotoQualityConfig | None = None,
) -> Assessment:
    """One-off :meth:`PhotoQualityChecker.assess` (loads the face models each call)."""
    return PhotoQualityChecker(config).assess(frame, required_background)


def best_of_burst(
    frames: Iterable[np.ndarray],
    required_background: BackgroundColour,
    config: PhotoQualityConfig | None = None,
) -> tuple[np.ndarray, Assessment] | None:
    """One-off :meth:`PhotoQualityChecker.best_of_burst`."""
    return PhotoQualityChecker(config).best_of_burst(frames, required_background)


def crop_portrait(
    frame: np.ndarray, face_box: Box | None, config: PhotoQualityConfig | None = None
) -> bytes:
    """One-off :meth:`PhotoQualityChecker.crop_portrait` (JPEG bytes, 3:4, fixed size)."""
    config = config if config is not None else PhotoQualityConfig()
    return encode_jpeg(portrait_crop(frame, face_box, config), config.jpeg_quality)

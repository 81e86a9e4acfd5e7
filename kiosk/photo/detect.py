"""Faces with their landmarks in a frame, frame by frame or followed through a stream,
and the frame geometry (the camera's central 3:4 area, boxes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np

from kiosk.config.photo import PhotoQualityConfig
from kiosk.photo.landmarks import Detection, Landmarker, Mesh


class Box(NamedTuple):
    """A rectangle in frame pixels: left, top, width, height."""

    x: int
    y: int
    w: int
    h: int

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x + self.w / 2.0, self.y + self.h / 2.0)


def portrait_area(frame_shape: tuple[int, ...]) -> Box:
    """The largest centred 3:4 (width:height) region of a frame: what the guide shows.

    A landscape camera frame keeps its full height; a frame narrower than 3:4 keeps its
    full width.
    """
    height, width = frame_shape[:2]
    if width * 4 >= height * 3:
        portrait_w = height * 3 // 4
        return Box((width - portrait_w) // 2, 0, portrait_w, height)
    portrait_h = width * 4 // 3
    return Box(0, (height - portrait_h) // 2, width, portrait_h)


def to_gray(frame: np.ndarray) -> np.ndarray:
    """8-bit grayscale of a BGR (or already gray) frame."""
    if frame.ndim == 2:
        return frame
    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


@dataclass(frozen=True)
class Faces:
    """The faces counted in a frame (``count``) and the landmarks of the main one."""

    count: int
    mesh: Mesh | None


class FaceDetector:
    """Counts the faces of a frame and fits the landmarks to the largest.

    The detector sees the frame scaled down to 128 pixels; faces smaller than
    ``min_face_share_detected`` of the frame height (people far behind) are not counted.
    Model files are loaded at construction: a missing one raises ``FileNotFoundError``.
    """

    def __init__(self, config: PhotoQualityConfig) -> None:
        self._config = config
        self._landmarker = Landmarker(config.model_dir, config.min_detection_score)

    def detect(self, frame: np.ndarray) -> list[Detection]:
        """The detector alone (no landmarks): faces large enough to count, largest first."""
        least = self._config.min_face_share_detected * frame.shape[0]  # box ≈ chin-forehead
        found = [d for d in self._landmarker.detect(frame) if d.box[3] >= least]
        return sorted(found, key=lambda d: d.box[2] * d.box[3], reverse=True)

    def faces(self, frame: np.ndarray) -> Faces:
        found = self.detect(frame)
        if not found:
            return Faces(0, None)
        mesh = self._landmarker.mesh_from_detection(frame, found[0])
        return Faces(len(found), mesh if mesh.presence >= 0.5 else None)

    def follow(self, frame: np.ndarray, previous: Mesh) -> Mesh | None:
        """The face of ``previous`` in the next frame, without the detector; None when it
        is lost (the resident stepped away or turned aside)."""
        mesh = self._landmarker.mesh_from_mesh(frame, previous)
        return mesh if mesh.presence >= 0.5 else None


class FaceTracker:
    """Follows the resident through the live preview: the detector runs on every
    ``redetect_every``-th frame (and whenever the face is lost), the landmark model alone
    in between, so guidance keeps up with the camera on a small computer."""

    def __init__(self, detector: FaceDetector, redetect_every: int) -> None:
        self._detector = detector
        self._every = redetect_every
        self._count = 0
        self._mesh: Mesh | None = None
        self._since_detection = 0

    def faces(self, frame: np.ndarray) -> Faces:
        self._since_detection += 1
        if self._mesh is not None and self._since_detection < self._every:
            followed = self._detector.follow(frame, self._mesh)
            if followed is not None:
                self._mesh = followed
                return Faces(self._count, followed)
        found = self._detector.faces(frame)
        self._since_detection = 0
        self._count, self._mesh = found.count, found.mesh
        return found

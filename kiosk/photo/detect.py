"""Faces and eyes with OpenCV's bundled Haar cascades, and the portrait frame geometry."""

from __future__ import annotations

import math
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np

from kiosk.config.photo import PhotoQualityConfig

EYE_SEARCH_WIDTH = 160
"""The upper face is scaled to this width before the eye search (speed, stable sizes)."""


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
    """The largest centred 3:4 (width:height) region of a frame: what the photo shows.

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


class FaceDetector:
    """Finds frontal faces in a frame and the eyes inside a face.

    The cascades come from the OpenCV wheel (``cv2.data.haarcascades``); a missing or
    unreadable file raises ``FileNotFoundError`` at construction, not at first use.
    """

    def __init__(self, config: PhotoQualityConfig) -> None:
        self._config = config
        self._faces = _load_cascade(config.face_cascade)
        self._eyes = _load_cascade(config.eye_cascade)

    def faces(self, gray: np.ndarray) -> list[Box]:
        """Every face at least ``min_face_share_detected`` of the frame tall, largest first."""
        height = gray.shape[0]
        scale = min(1.0, self._config.detection_height / height)
        small = gray
        if scale < 1.0:
            small = cv2.resize(
                gray,
                (round(gray.shape[1] * scale), round(height * scale)),
                interpolation=cv2.INTER_AREA,
            )
        small = cv2.equalizeHist(small)
        min_side = max(24, round(self._config.min_face_share_detected * small.shape[0]))
        found = self._faces.detectMultiScale(
            small, scaleFactor=1.1, minNeighbors=4, minSize=(min_side, min_side)
        )
        boxes = [
            Box(round(x / scale), round(y / scale), round(w / scale), round(h / scale))
            for (x, y, w, h) in np.asarray(found).reshape(-1, 4)
        ]
        return sorted(boxes, key=lambda b: b.w * b.h, reverse=True)

    def eye_tilt_degrees(self, gray: np.ndarray, face: Box) -> float | None:
        """Angle of the line through the two eye centres, or None if both are not found.

        Positive when the eye on the image's right sits lower.
        """
        top = face.y + face.h // 6
        bottom = face.y + face.h * 3 // 5
        roi = gray[max(0, top) : bottom, max(0, face.x) : face.x + face.w]
        if roi.size == 0:
            return None
        scale = EYE_SEARCH_WIDTH / roi.shape[1]
        roi = cv2.resize(
            roi,
            (EYE_SEARCH_WIDTH, max(1, round(roi.shape[0] * scale))),
            interpolation=cv2.INTER_AREA,
        )
        roi = cv2.equalizeHist(roi)
        found = np.asarray(
            self._eyes.detectMultiScale(
                roi,
                scaleFactor=1.1,
                minNeighbors=3,
                minSize=(EYE_SEARCH_WIDTH // 9, EYE_SEARCH_WIDTH // 9),
                maxSize=(EYE_SEARCH_WIDTH // 3, EYE_SEARCH_WIDTH // 3),
            )
        ).reshape(-1, 4)
        middle = EYE_SEARCH_WIDTH / 2.0
        left = [e for e in found if e[0] + e[2] / 2.0 < middle]
        right = [e for e in found if e[0] + e[2] / 2.0 >= middle]
        if not left or not right:
            return None
        a = max(left, key=lambda e: e[2] * e[3])
        b = max(right, key=lambda e: e[2] * e[3])
        dx = (b[0] + b[2] / 2.0) - (a[0] + a[2] / 2.0)
        dy = (b[1] + b[3] / 2.0) - (a[1] + a[3] / 2.0)
        return math.degrees(math.atan2(dy, dx))


def _load_cascade(name: str) -> cv2.CascadeClassifier:
    path = Path(cv2.data.haarcascades) / name  # type: ignore[attr-defined]
    if not path.is_file():
        raise FileNotFoundError(f"OpenCV cascade {name!r} not found in {path.parent}")
    cascade = cv2.CascadeClassifier(str(path))
    if cascade.empty():
        raise FileNotFoundError(f"OpenCV cascade {path} could not be loaded")
    return cascade

"""Real photographs (scikit-image's bundled images) composed into booth camera frames.

The composing lives in :mod:`hardware.camera.scenes` (the emulated camera uses it too);
this module adds the pictures with no face and a tilted head (``portrait_frame`` itself
places, sizes, turns and nods the resident).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from hardware.camera.scenes import (
    BACKGROUNDS_BGR,
    astronaut_bgr,
    landscape_camera_frame,
    plain_canvas,
    portrait_frame,
    two_people_frame,
)
from kiosk.photo import PhotoQualityChecker, PhotoQualityConfig

__all__ = [
    "BACKGROUNDS_BGR",
    "astronaut_bgr",
    "checker",
    "chelsea_bgr",
    "coffee_bgr",
    "landscape_camera_frame",
    "plain_canvas",
    "portrait_frame",
    "tilted_head",
    "two_people_frame",
]

FACE_CENTRE = (240.0, 0.42 * 640)
"""Where :func:`portrait_frame` puts the face centre with its defaults (480×640)."""


@pytest.fixture(scope="module")
def checker() -> PhotoQualityChecker:
    """The booth's photo checker with the default settings."""
    return PhotoQualityChecker(PhotoQualityConfig())


def coffee_bgr() -> np.ndarray:
    return cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2BGR)


def chelsea_bgr() -> np.ndarray:
    return cv2.cvtColor(data.chelsea(), cv2.COLOR_RGB2BGR)


def tilted_head(frame: np.ndarray, degrees: float) -> np.ndarray:
    """The whole frame turned about the face centre (the head leaning to one side)."""
    turn = cv2.getRotationMatrix2D(FACE_CENTRE, degrees, 1.0)
    height, width = frame.shape[:2]
    return cv2.warpAffine(frame, turn, (width, height), borderMode=cv2.BORDER_REPLICATE)

"""Real photographs (scikit-image's bundled images) composed into booth camera frames.

The composing lives in :mod:`hardware.camera.scenes` (the emulated camera uses it too);
this module adds the pictures with no face.
"""

from __future__ import annotations

import cv2
import numpy as np
from skimage import data

from hardware.camera.scenes import (
    BACKGROUNDS_BGR,
    astronaut_bgr,
    landscape_camera_frame,
    plain_canvas,
    portrait_frame,
    two_people_frame,
)

__all__ = [
    "BACKGROUNDS_BGR",
    "astronaut_bgr",
    "chelsea_bgr",
    "coffee_bgr",
    "landscape_camera_frame",
    "plain_canvas",
    "portrait_frame",
    "two_people_frame",
]


def coffee_bgr() -> np.ndarray:
    return cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2BGR)


def chelsea_bgr() -> np.ndarray:
    return cv2.cvtColor(data.chelsea(), cv2.COLOR_RGB2BGR)

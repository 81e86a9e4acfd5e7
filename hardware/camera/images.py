"""Pictures for the emulated camera: a real portrait by default, or the files you name."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from hardware.camera.base import DEVICE, as_bgr_frame
from hardware.errors import DeviceUnavailable


def default_frames() -> list[np.ndarray]:
    """``skimage.data.astronaut()`` (a real portrait photograph, BGR) when scikit-image
    is installed (a dev dependency); otherwise a generated colour-bar test pattern."""
    try:
        data = importlib.import_module("skimage.data")
        rgb = np.asarray(data.astronaut(), dtype=np.uint8)
    except Exception:  # scikit-image missing or its data unavailable
        return [colour_bars()]
    return [as_bgr_frame(np.ascontiguousarray(rgb[:, :, ::-1]))]


def colour_bars(width: int = 640, height: int = 480) -> np.ndarray:
    """Eight vertical colour bars over a gray ramp: never a black frame."""
    bars = np.array(
        [
            [255, 255, 255],
            [0, 255, 255],
            [255, 255, 0],
            [0, 255, 0],
            [255, 0, 255],
            [0, 0, 255],
            [255, 0, 0],
            [40, 40, 40],
        ],
        dtype=np.uint8,
    )
    columns = (np.arange(width) * len(bars)) // width
    frame = np.repeat(bars[columns][None, :, :], height, axis=0)
    ramp = np.linspace(0, 255, width, dtype=np.uint8)
    frame[(height * 3) // 4 :, :, :] = ramp[None, :, None]
    return frame


def load_image_files(paths: Sequence[str | Path]) -> list[np.ndarray]:
    """Read image files as BGR frames; DeviceUnavailable names a file that cannot be read."""
    frames = []
    for path in paths:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise DeviceUnavailable(f"cannot read image file {path}", device=DEVICE)
        frames.append(as_bgr_frame(image))
    return frames

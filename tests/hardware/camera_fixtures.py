"""Helpers for the camera tests: generated video files and a hand-driven clock."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import pytest

#: Distinct BGR colours, far apart even after JPEG compression.
COLOURS: list[tuple[int, int, int]] = [
    (0, 0, 255),
    (0, 255, 0),
    (255, 0, 0),
    (0, 255, 255),
    (255, 0, 255),
    (255, 255, 255),
]


def solid_frame(colour: tuple[int, int, int], size: tuple[int, int] = (160, 120)) -> np.ndarray:
    width, height = size
    frame = np.empty((height, width, 3), dtype=np.uint8)
    frame[:, :] = colour
    return frame


def write_video(
    path: Path,
    frames: Sequence[np.ndarray],
    fps: float = 10.0,
) -> Path:
    """Encode ``frames`` with cv2.VideoWriter (Motion-JPEG in AVI, always available)."""
    height, width = frames[0].shape[:2]
    fourcc = cv2.VideoWriter.fourcc(*"MJPG")
    writer = cv2.VideoWriter(str(path), fourcc, fps, (width, height))
    assert writer.isOpened(), "OpenCV cannot write MJPG video here"
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def mean_colour(frame: np.ndarray) -> tuple[int, int, int]:
    blue, green, red = frame.reshape(-1, 3).mean(axis=0)
    return round(blue), round(green), round(red)


def close_to(frame: np.ndarray, colour: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(mean_colour(frame), colour, strict=True))


@pytest.fixture(name="colour_video")
def colour_video_fixture(tmp_path: Path) -> Path:
    """A 10 fps video of six solid-colour frames, one per COLOURS entry, 160x120."""
    return write_video(tmp_path / "colours.avi", [solid_frame(c) for c in COLOURS])


class ManualClock:
    """A clock the test moves by hand, so frame numbers never depend on machine speed."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

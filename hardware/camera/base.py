"""The camera interface every backend implements, and what a usable frame is.

A backend must implement :meth:`Camera.start`, :meth:`Camera.stop`,
:meth:`Camera.read_frame` and :attr:`Camera.started`, and keep ``_size`` (what
:attr:`Camera.resolution` reports) up to date. It may override
:meth:`Camera.self_test`; the default one checks that frames arrive and are not black.
Frames are numpy arrays, BGR (OpenCV's order), ``uint8``, shaped ``(height, width, 3)``.
"""

from __future__ import annotations

from abc import abstractmethod

import numpy as np

from hardware.base import Device, SelfTestResult
from hardware.errors import DeviceError, DeviceProtocolError

DEVICE = "camera"

#: A frame whose 99th-percentile brightness is below this shows nothing (lens cap, no light).
BLACK_LEVEL = 20
#: How many frames the self-test reads before it calls a camera black.
SELF_TEST_FRAMES = 3


def is_black_frame(frame: np.ndarray, level: int = BLACK_LEVEL) -> bool:
    """True when (almost) every pixel of ``frame`` is darker than ``level``."""
    return frame.size == 0 or float(np.percentile(frame, 99)) < level


def as_bgr_frame(frame: np.ndarray) -> np.ndarray:
    """Return ``frame`` as a contiguous BGR uint8 H×W×3 array (gray and BGRA converted)."""
    if frame.dtype != np.uint8:
        raise DeviceProtocolError(f"camera gave {frame.dtype} pixels, not uint8", device=DEVICE)
    if frame.ndim == 2:
        frame = np.repeat(frame[:, :, None], 3, axis=2)
    elif frame.ndim == 3 and frame.shape[2] == 4:
        frame = frame[:, :, :3]
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.shape[0] == 0 or frame.shape[1] == 0:
        raise DeviceProtocolError(f"camera gave a frame shaped {frame.shape}", device=DEVICE)
    return np.ascontiguousarray(frame)


class Camera(Device):
    """A camera that delivers BGR frames after :meth:`start`."""

    name = DEVICE

    def __init__(self, *, read_timeout: float = 2.0, size: tuple[int, int] = (0, 0)) -> None:
        super().__init__()
        self.read_timeout = read_timeout
        self._size = size

    @property
    @abstractmethod
    def started(self) -> bool:
        """Whether frames are flowing (between :meth:`start` and :meth:`stop`)."""

    @property
    def resolution(self) -> tuple[int, int]:
        """Frame size as ``(width, height)``; ``(0, 0)`` while it is not known yet."""
        return self._size

    @abstractmethod
    def start(self) -> None:
        """Open the camera and start delivering frames (DeviceUnavailable if it cannot)."""

    @abstractmethod
    def read_frame(self, timeout: float | None = None) -> np.ndarray:
        """The next frame, waiting at most ``timeout`` seconds (default ``read_timeout``);
        DeviceTimeout when none arrives, DeviceUnavailable when the camera is gone."""

    @abstractmethod
    def stop(self) -> None:
        """Stop delivering frames and release the camera (idempotent)."""

    def self_test(self) -> SelfTestResult:
        was_started = self.started
        try:
            if not was_started:
                self.start()
            frame = None
            for _ in range(SELF_TEST_FRAMES):
                frame = self.read_frame()
                if not is_black_frame(frame):
                    height, width = frame.shape[:2]
                    return SelfTestResult(self.name, True, f"delivers {width}x{height} frames")
            return SelfTestResult(self.name, False, "camera delivers only black frames")
        except DeviceError as err:
            return SelfTestResult(self.name, False, f"{type(err).__name__}: {err}")
        finally:
            if not was_started:
                self.stop()

    def _close(self) -> None:
        self.stop()

"""A USB webcam (or a video file / stream URL) through OpenCV's ``cv2.VideoCapture``."""

from __future__ import annotations

import contextlib
from typing import Any

import cv2
import numpy as np

from hardware.camera.base import DEVICE, Camera, as_bgr_frame
from hardware.camera.worker import DeviceWorker
from hardware.errors import DeviceError, DeviceUnavailable


class OpenCvCamera(Camera):
    """``source`` is a camera index (0 = /dev/video0), a device path, or a video file.

    Every OpenCV call runs on the camera's worker thread under a timeout.
    """

    def __init__(
        self,
        source: int | str = 0,
        *,
        width: int | None = None,
        height: int | None = None,
        fps: float | None = None,
        read_timeout: float = 2.0,
        open_timeout: float = 10.0,
    ) -> None:
        super().__init__(read_timeout=read_timeout)
        self.source = source
        self._wanted = (width, height, fps)
        self._open_timeout = open_timeout
        self._capture: Any = None
        self._size = (width or 0, height or 0)
        self._worker = DeviceWorker(DEVICE, "opencv-camera")

    @property
    def started(self) -> bool:
        return self._capture is not None

    @property
    def resolution(self) -> tuple[int, int]:
        return self._size

    def start(self) -> None:
        if self._capture is not None:
            return
        self._capture = self._worker.run(self._open, self._open_timeout, "opening the camera")

    def read_frame(self, timeout: float | None = None) -> np.ndarray:
        capture = self._capture
        if capture is None:
            raise DeviceUnavailable("the camera is not started", device=DEVICE)
        wait = self.read_timeout if timeout is None else timeout
        ok, frame = self._worker.run(capture.read, wait, "reading a frame")
        if not ok or frame is None:
            raise DeviceUnavailable(
                "the camera gave no frame (unplugged, or the end of a video file)", device=DEVICE
            )
        frame = as_bgr_frame(frame)
        self._size = (frame.shape[1], frame.shape[0])
        return frame

    def stop(self) -> None:
        capture, self._capture = self._capture, None
        if capture is not None:
            with contextlib.suppress(DeviceError):
                self._worker.run(capture.release, self._open_timeout, "releasing the camera")

    def _open(self) -> Any:
        capture = cv2.VideoCapture(self.source)
        if not capture.isOpened():
            capture.release()
            raise DeviceUnavailable(f"cannot open camera {self.source!r}", device=DEVICE)
        width, height, fps = self._wanted
        if width and height:
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        if fps:
            capture.set(cv2.CAP_PROP_FPS, fps)
        with contextlib.suppress(cv2.error):
            capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # the newest frame, not a stale one
        self._size = (
            int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
        )
        return capture

    def _close(self) -> None:
        super()._close()
        self._worker.shutdown()

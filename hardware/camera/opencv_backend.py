"""A USB webcam (or a video file / stream URL) through OpenCV's ``cv2.VideoCapture``."""

from __future__ import annotations

import contextlib
from typing import Any

import cv2
import numpy as np

from hardware.camera.base import DEVICE, as_bgr_frame
from hardware.camera.worker import WorkerCamera
from hardware.errors import DeviceError, DeviceUnavailable


class OpenCvCamera(WorkerCamera):
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
        super().__init__(
            "opencv-camera",
            size=(width or 0, height or 0),
            read_timeout=read_timeout,
            open_timeout=open_timeout,
        )
        self.source = source
        self._wanted = (width, height, fps)

    def read_frame(self, timeout: float | None = None) -> np.ndarray:
        capture, wait = self._started_camera(timeout)
        ok, frame = self._worker.run(capture.read, wait, "reading a frame")
        if not ok or frame is None:
            raise DeviceUnavailable(
                "the camera gave no frame (unplugged, or the end of a video file)", device=DEVICE
            )
        frame = as_bgr_frame(frame)
        self._size = (frame.shape[1], frame.shape[0])
        return frame

    def stop(self) -> None:
        capture, self._opened = self._opened, None
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

"""The Raspberry Pi camera through picamera2 (libcamera).

picamera2 is imported lazily, inside :meth:`Picamera2Camera.start`: libcamera and its
Python bindings exist only on a Pi, so this backend cannot run (and is not tested)
off a Pi; the OpenCV and emulated backends are tested instead.
"""

from __future__ import annotations

import contextlib
import importlib
from typing import Any

import numpy as np

from hardware.camera.base import DEVICE, as_bgr_frame
from hardware.camera.worker import WorkerCamera
from hardware.errors import DeviceUnavailable


class Picamera2Camera(WorkerCamera):
    """A Pi camera module. Frames come as picamera2's ``RGB888``, which is B, G, R in
    memory: exactly OpenCV's BGR order."""

    def __init__(
        self,
        camera_num: int = 0,
        *,
        width: int = 1280,
        height: int = 960,
        read_timeout: float = 2.0,
        open_timeout: float = 10.0,
    ) -> None:
        super().__init__(
            "picamera2", size=(width, height), read_timeout=read_timeout, open_timeout=open_timeout
        )
        self.camera_num = camera_num

    def read_frame(self, timeout: float | None = None) -> np.ndarray:
        camera, wait = self._started_camera(timeout)
        frame = self._worker.run(lambda: camera.capture_array("main"), wait, "reading a frame")
        return as_bgr_frame(np.asarray(frame))

    def stop(self) -> None:
        camera, self._opened = self._opened, None
        if camera is not None:
            with contextlib.suppress(Exception):
                self._worker.run(camera.stop, self._open_timeout, "stopping the camera")
            with contextlib.suppress(Exception):
                self._worker.run(camera.close, self._open_timeout, "closing the camera")

    def _open(self) -> Any:
        try:
            picamera2 = importlib.import_module("picamera2")
        except ImportError as err:
            raise DeviceUnavailable(
                "picamera2 is not installed (it needs a Raspberry Pi with libcamera)",
                device=DEVICE,
            ) from err
        try:
            camera = picamera2.Picamera2(self.camera_num)
            config = camera.create_video_configuration(
                main={"size": self._size, "format": "RGB888"}
            )
            camera.configure(config)
            camera.start()
        except Exception as err:  # libcamera reports a missing camera in many ways
            raise DeviceUnavailable(
                f"cannot open Pi camera {self.camera_num}: {err}", device=DEVICE
            ) from err
        return camera

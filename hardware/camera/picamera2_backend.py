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

from hardware.camera.base import DEVICE, Camera, as_bgr_frame
from hardware.camera.worker import DeviceWorker
from hardware.errors import DeviceUnavailable


class Picamera2Camera(Camera):
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
        super().__init__(read_timeout=read_timeout)
        self.camera_num = camera_num
        self._size = (width, height)
        self._open_timeout = open_timeout
        self._camera: Any = None
        self._worker = DeviceWorker(DEVICE, "picamera2")

    @property
    def started(self) -> bool:
        return self._camera is not None

    @property
    def resolution(self) -> tuple[int, int]:
        return self._size

    def start(self) -> None:
        if self._camera is None:
            self._camera = self._worker.run(self._open, self._open_timeout, "opening the camera")

    def read_frame(self, timeout: float | None = None) -> np.ndarray:
        camera = self._camera
        if camera is None:
            raise DeviceUnavailable("the camera is not started", device=DEVICE)
        wait = self.read_timeout if timeout is None else timeout
        frame = self._worker.run(lambda: camera.capture_array("main"), wait, "reading a frame")
        return as_bgr_frame(np.asarray(frame))

    def stop(self) -> None:
        camera, self._camera = self._camera, None
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

    def _close(self) -> None:
        super()._close()
        self._worker.shutdown()

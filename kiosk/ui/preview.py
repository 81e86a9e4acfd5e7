"""The live camera preview of the photo step, filled from a background thread.

No Kivy here: the booth wiring makes it before the window exists, and the health corner
reads its last problem to word the camera's state.
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

from hardware.camera import Camera
from hardware.errors import DeviceError


class CameraPreview:
    """Keeps the newest camera frame (RGB) from a background thread; never blocks the UI."""

    def __init__(self, camera: Camera, interval: float = 0.1) -> None:
        self._camera = camera
        self._interval = interval
        self._latest: np.ndarray | None = None
        self.camera_problem: str | None = None
        """Why the last frame could not be read (None: it was read, or none tried yet)."""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="camera-preview", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def latest_frame(self) -> np.ndarray | None:
        return self._latest

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                if not self._camera.started:
                    self._camera.start()
                frame = self._camera.read_frame(1.0)
            except DeviceError as err:
                self._latest = None
                self.camera_problem = str(err)
                continue
            self.camera_problem = None
            self._latest = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)

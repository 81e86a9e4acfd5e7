"""Run the touchscreen app on a booth built from its configuration (``rekam-kiosk``)."""

from __future__ import annotations

import asyncio
import threading

import cv2
import numpy as np

from hardware.camera import Camera
from hardware.errors import DeviceError
from kiosk.booth import build_booth
from kiosk.config import BoothConfig
from kiosk.ui.app import KioskApp
from kiosk.ui.status import BoothStatus


class CameraPreview:
    """Keeps the newest camera frame (RGB) from a background thread; never blocks the UI."""

    def __init__(self, camera: Camera, interval: float = 0.1) -> None:
        self._camera = camera
        self._interval = interval
        self._latest: np.ndarray | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="camera-preview", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def latest_frame(self) -> np.ndarray | None:
        return self._latest

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                if not self._camera.started:
                    self._camera.start()
                frame = self._camera.read_frame(1.0)
            except DeviceError:
                self._latest = None
                continue
            self._latest = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


def run_app(config: BoothConfig) -> int:
    booth = build_booth(config)
    preview = CameraPreview(booth.camera)
    status = BoothStatus(records_waiting=booth.outbox.depth())
    app = KioskApp(checkin=booth.checkin, capture=booth.capture, status=status, preview=preview)

    def dispatch(action: object) -> None:  # card events arrive on the reader's thread
        del action
        if booth.reader.card_present():
            app.card_inserted()
        else:
            app.card_removed()

    booth.follow_card_events(dispatch)
    preview.start()
    try:
        asyncio.run(app.async_run(async_lib="asyncio"))
    finally:
        preview.stop()
        booth.close()
    return 0

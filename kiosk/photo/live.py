"""Live guidance while the resident stands before the camera: the gate runs on its own
thread on the newest preview frame, so the preview never waits for it.

The preview (``kiosk.ui.preview.CameraPreview``) keeps the newest frame; a
:class:`LiveGuide` reads it when it is free, judges it with a face tracker (the detector
only every few frames) and keeps the newest :class:`Assessment` for the screen to show.
Frames that arrive while a judgement runs are skipped, never queued.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import cv2
import numpy as np

from kiosk.config.photo import BackgroundColour
from kiosk.photo.quality import Assessment, PhotoQualityChecker


class LiveGuide:
    """Judges the newest frame of ``frames`` (RGB when ``rgb``, as the preview keeps it)
    on a background thread between :meth:`start` and :meth:`stop`."""

    def __init__(
        self,
        checker: PhotoQualityChecker,
        frames: Callable[[], np.ndarray | None],
        *,
        rgb: bool = True,
        idle_wait: float = 0.02,
    ) -> None:
        self._checker = checker
        self._frames = frames
        self._rgb = rgb
        self._idle_wait = idle_wait
        self._background: BackgroundColour = "white"
        self._latest: Assessment | None = None
        self._judged = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def judged(self) -> int:
        """How many frames were judged since :meth:`start`."""
        return self._judged

    def latest(self) -> Assessment | None:
        """The newest verdict, or None before the first; returns at once."""
        return self._latest

    def start(self, required_background: BackgroundColour) -> None:
        self.stop()
        self._background = required_background
        self._latest = None
        self._judged = 0
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="photo-guide", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread.is_alive():
            thread.join(timeout=2)

    def _run(self) -> None:
        tracker = self._checker.tracker()
        previous: np.ndarray | None = None
        while not self._stop.is_set():
            frame = self._frames()
            if frame is None or frame is previous:  # nothing new from the camera yet
                self._stop.wait(self._idle_wait)
                continue
            previous = frame
            bgr = cv2.cvtColor(frame, cv2.COLOR_RGB2BGR) if self._rgb else frame
            self._latest = self._checker.assess(bgr, self._background, tracker)
            self._judged += 1

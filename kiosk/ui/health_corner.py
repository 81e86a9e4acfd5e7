"""The health corner's data: the booth's devices checked again every few seconds.

The corner in the top bar ("● Status" green, "▲ Status" orange) and the popup it opens
read ``BoothStatus.devices``. :class:`HealthRefresher` runs the booth's device check on a
worker thread every ``interval_s`` (a Kivy clock interval), so a sensor that breaks while
the booth runs turns the corner orange within one interval, and a repaired one turns it
green again. The UI thread never waits for a device: a check still running when the next
one is due is not doubled, and none starts while the flow has a device step running
(``paused``). A check that raises leaves the last known state and is logged.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from kivy.clock import Clock

from kiosk.ui.preview import CameraPreview
from kiosk.ui.status import BoothStatus, DeviceHealth

if TYPE_CHECKING:
    from kiosk.booth import Booth

log = logging.getLogger(__name__)

DeviceCheck = Callable[[], Mapping[str, DeviceHealth]]


class HealthRefresher:
    """Re-checks the devices off the UI thread; merges each result into ``status.devices``."""

    def __init__(
        self,
        check: DeviceCheck,
        status: BoothStatus,
        *,
        interval_s: float = 10.0,
        paused: Callable[[], bool] = lambda: False,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        if interval_s <= 0:
            raise ValueError("the health interval must be positive")
        self._check = check
        self._status = status
        self.interval_s = interval_s
        self._paused = paused
        self._on_change = on_change
        self._lock = threading.Lock()
        self._running = False
        self._event: Any = None
        self.checks_done = 0

    def start(self) -> None:
        """Check every ``interval_s`` from now on (idempotent)."""
        if self._event is None:
            self._event = Clock.schedule_interval(self._due, self.interval_s)

    def stop(self) -> None:
        if self._event is not None:
            self._event.cancel()
            self._event = None

    def refresh_now(self) -> bool:
        """Start a check on a worker thread; False when one is already running."""
        with self._lock:
            if self._running:
                return False
            self._running = True
        threading.Thread(target=self._run, name="health-corner", daemon=True).start()
        return True

    def _due(self, _dt: float) -> None:
        if not self._paused():
            self.refresh_now()

    def _run(self) -> None:
        devices: Mapping[str, DeviceHealth] | None
        try:
            devices = self._check()
        except Exception:  # a broken check must not stop the corner from refreshing
            log.exception("health corner: the device check failed")
            devices = None
        Clock.schedule_once(lambda _dt: self._done(devices))  # back on the UI thread

    def _done(self, devices: Mapping[str, DeviceHealth] | None) -> None:
        with self._lock:
            self._running = False
        if devices is None:
            return
        self._status.devices = {**self._status.devices, **devices}
        self.checks_done += 1
        if self._on_change is not None:
            self._on_change()


def booth_device_check(booth: Booth, preview: CameraPreview) -> DeviceCheck:
    """The periodic check for a booth: the fingerprint sensor and the card reader
    self-test (a few short exchanges under each device's lock, harmless mid-session);
    the camera, whose self-test would disturb a photo, as its live preview sees it."""

    def check() -> dict[str, DeviceHealth]:
        health = {}
        for device in (booth.sensor, booth.reader):
            result = device.self_test()
            health[result.device] = DeviceHealth(result.ok, result.detail)
        camera = booth.camera.name
        if preview.camera_problem is not None:
            health[camera] = DeviceHealth(False, preview.camera_problem)
        elif preview.latest_frame() is not None:
            health[camera] = DeviceHealth(True, "live preview delivers frames")
        return health

    return check

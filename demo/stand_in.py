"""The people at the demo's booth window, played through the emulators' test controls.

A visitor at the window taps the screens like a resident and an operator would, but
cannot put a face in front of the emulated camera or a finger on the emulated sensor.
:class:`StandInResident` does those two things for the resident being recorded:

* when the operator calls a ticket, a portrait with the background the resident's
  birth year requires appears on the camera;
* when the fingerprint screen asks for a finger, the resident's finger is placed on
  the sensor after a short pause (so the prompt can be read), lifted when asked, and
  placed again.

Everything else — the card login, the PIN, the taps — is the visitor's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ektp.nik import parse_nik
from ektp.photo_rule import required_background
from hardware.camera.emulated import EmulatedCamera
from hardware.camera.scenes import portrait_frame
from hardware.fingerprint.emulated_backend import EmulatedFingerprintSensor
from kiosk.booth import Booth

PLACE_DELAY_S = 0.8
"""How long the "place your finger" prompt shows before the finger lands."""


class StandInResident:
    """``start()`` after the booth is built, ``stop()`` before it closes."""

    def __init__(self, booth: Booth, place_delay_s: float = PLACE_DELAY_S) -> None:
        if not isinstance(booth.sensor, EmulatedFingerprintSensor):
            raise TypeError("the stand-in needs the emulated fingerprint sensor")
        if not isinstance(booth.camera, EmulatedCamera):
            raise TypeError("the stand-in needs the emulated camera")
        self._booth = booth
        self._sensor = booth.sensor
        self._camera = booth.camera
        self._delay = place_delay_s
        self._stop = threading.Event()
        self._shown_for: str | None = None
        self._thread = threading.Thread(target=self._watch, name="stand-in", daemon=True)
        self._original_capture: Callable[..., Any] | None = None

    def start(self) -> None:
        flow = self._booth.capture
        self._original_capture = flow.capture_finger
        flow.capture_finger = self._capture_finger  # type: ignore[method-assign]
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        if self._original_capture is not None:
            self._booth.capture.capture_finger = self._original_capture  # type: ignore[method-assign]
            self._original_capture = None

    # -- the face ---------------------------------------------------------------------------

    def _current_nik(self) -> str | None:
        enrollment = self._booth.capture.enrollment
        return enrollment.ticket.checkin.nik if enrollment is not None else None

    def _watch(self) -> None:
        while not self._stop.wait(0.2):
            nik = self._current_nik()
            if nik is None or nik == self._shown_for:
                continue
            rule = self._booth.config.office.photo.rule
            background = required_background(rule, parse_nik(nik).birth_date)
            self._camera.show([portrait_frame(background, seed=seed) for seed in range(3)])
            self._shown_for = nik

    # -- the fingers --------------------------------------------------------------------------

    def _capture_finger(self, on_step: Callable[[str], None] | None = None) -> Any:
        assert self._original_capture is not None
        enrollment = self._booth.capture.enrollment
        finger = enrollment.fingers.current if enrollment is not None else None
        identity = f"{self._current_nik()}/{finger}"
        emulator = self._sensor.emulator
        timers: list[threading.Timer] = []

        def step(name: str) -> None:
            if on_step is not None:
                on_step(name)
            if name in ("place", "place_again"):
                timer = threading.Timer(self._delay, emulator.present_finger, (identity, 90))
                timer.daemon = True
                timers.append(timer)
                timer.start()
            elif name == "lift":
                emulator.lift_finger()

        try:
            return self._original_capture(step)
        finally:
            for timer in timers:
                timer.cancel()
            emulator.lift_finger()

"""Adapters from the hardware layer to the ports the flows call."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hardware.camera import Camera
from hardware.smartcard import SmartCardReader
from kiosk.flow.session import OperatorIdentity
from kiosk.photo import PhotoQualityChecker
from kiosk.photo.capture import BurstCapture


class SmartCardLogin:
    """Operator login: VERIFY on the card (it counts the tries), then read who it is."""

    def __init__(self, reader: SmartCardReader) -> None:
        self._reader = reader

    def verify_and_identify(self, pin: str) -> OperatorIdentity:
        self._reader.verify_pin(pin)
        identity = self._reader.read_operator()
        return OperatorIdentity(operator_id=identity.operator_id, name=identity.name)


class CameraBurst:
    """A short burst of frames from a started camera."""

    def __init__(self, camera: Camera, frames: int = 5, timeout: float = 3.0) -> None:
        self._camera = camera
        self._frames = frames
        self._timeout = timeout

    def __call__(self) -> Sequence[np.ndarray]:
        if not self._camera.started:
            self._camera.start()
        return [self._camera.read_frame(self._timeout) for _ in range(self._frames)]


def photo_step(camera: Camera, checker: PhotoQualityChecker, frames: int = 5) -> BurstCapture:
    return BurstCapture(CameraBurst(camera, frames), checker)

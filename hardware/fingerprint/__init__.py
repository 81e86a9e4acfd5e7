"""Fingerprint sensor (R30x/R503 over UART): one interface, a real and an emulated backend.

``open_fingerprint(config)`` gives a :class:`FingerprintSensor`. The real backend
drives ``adafruit_fingerprint`` over pyserial; the emulated one runs an R30x emulator
on a pseudo-terminal and drives it with the same library (``sensor.emulator`` holds
its test controls).
"""

from hardware.fingerprint.config import (
    EmulatedFingerprintConfig,
    FingerprintConfig,
    RealFingerprintConfig,
)
from hardware.fingerprint.factory import open_fingerprint
from hardware.fingerprint.sensor import (
    ENROLL_STEPS,
    EnrolledFinger,
    FingerprintSensor,
    FingerTimeout,
)

__all__ = [
    "ENROLL_STEPS",
    "EmulatedFingerprintConfig",
    "EnrolledFinger",
    "FingerTimeout",
    "FingerprintConfig",
    "FingerprintSensor",
    "RealFingerprintConfig",
    "open_fingerprint",
]

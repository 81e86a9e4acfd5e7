"""Device errors. ``DeviceError`` is the root; subclasses also inherit the builtin that fits.

Messages are plain English sentences for a technician; the kiosk maps each class to
a translated sentence for the operator. Never put biometric bytes or a PIN in one.
"""

from __future__ import annotations


class DeviceError(Exception):
    """Root of every hardware error. ``device`` names the device ("fingerprint", ...)."""

    def __init__(self, message: str, *, device: str = "device") -> None:
        super().__init__(message)
        self.device = device


class DeviceUnavailable(DeviceError, ConnectionError):
    """The device is absent, unplugged, or its daemon does not answer."""


class DeviceTimeout(DeviceError, TimeoutError):
    """The device did not answer within its timeout."""


class DeviceProtocolError(DeviceError, ValueError):
    """The device answered something malformed (bad checksum, wrong length, odd status)."""


class CaptureError(DeviceError):
    """A capture worked at the wire level but the result is unusable (messy image, no face)."""


class CardError(DeviceError):
    """A smart-card operation failed (wrong card, applet missing, unexpected status word)."""


class PinError(CardError):
    """A wrong PIN. ``tries_left`` says how many attempts remain before the card blocks."""

    def __init__(self, message: str, *, tries_left: int, device: str = "smartcard") -> None:
        super().__init__(message, device=device)
        self.tries_left = tries_left


class PinBlocked(CardError):
    """The card's PIN is blocked after too many wrong tries."""


class PowerSourceError(DeviceError):
    """The UPS or power monitoring could not be read."""

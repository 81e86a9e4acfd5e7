"""Turn an exception into one plain sentence for the person at the screen."""

from __future__ import annotations

from ektp.errors import RekamError
from ektp.i18n import N_
from hardware.errors import (
    CaptureError,
    CardError,
    DeviceError,
    DeviceTimeout,
    DeviceUnavailable,
    PinBlocked,
    PinError,
)
from kiosk.ui.texts import DEVICE_NAMES, tr, words

MSG_WRONG_PIN = N_("Wrong PIN. Tries left: {tries_left}.")
MSG_PIN_BLOCKED = N_("This card is blocked after too many wrong PINs. Ask the supervisor.")
MSG_CARD = N_("The card could not be read. Take it out and insert it again.")
MSG_UNAVAILABLE = N_("{device} does not answer. Check its cable, then try again.")
MSG_TIMEOUT = N_("{device} took too long to answer. Try again.")
MSG_CAPTURE = N_("{device} could not take a usable capture. Try again.")
MSG_DEVICE = N_("{device} reported a fault. Try again or call the technician.")
MSG_UNEXPECTED = N_("Something went wrong. Try again or call the technician.")


def describe_error(err: BaseException, language: str) -> str:
    """A sentence in ``language``; never the exception's own text for device errors
    (a technician's English), never any PIN or biometric data."""
    if isinstance(err, RekamError):
        return err.localized(language)
    if isinstance(err, PinBlocked):
        return tr(MSG_PIN_BLOCKED, language)
    if isinstance(err, PinError):
        return tr(MSG_WRONG_PIN, language).format(tries_left=err.tries_left)
    if isinstance(err, CardError):
        return tr(MSG_CARD, language)
    if isinstance(err, DeviceError):
        device = words(DEVICE_NAMES, err.device, language)
        if isinstance(err, DeviceUnavailable):
            message = MSG_UNAVAILABLE
        elif isinstance(err, DeviceTimeout):
            message = MSG_TIMEOUT
        elif isinstance(err, CaptureError):
            message = MSG_CAPTURE
        else:
            message = MSG_DEVICE
        return tr(message, language).format(device=device)
    return tr(MSG_UNEXPECTED, language)

"""The kiosk's error root: every error the booth's own code raises is a :class:`KioskError`.

``KioskError`` is a :class:`~ektp.errors.RekamError` translated with the kiosk's catalog.
Subclasses also inherit the builtin that fits (as gpiozero's errors do), so callers that
catch ``RuntimeError`` or ``ValueError`` keep working. The booth's command line catches
this root, ektp's ``RekamError`` and hardware's ``DeviceError``.
"""

from __future__ import annotations

from ektp.errors import RekamError


class KioskError(RekamError):
    """Root of the kiosk's errors."""

    code = "kiosk"
    domain = "kiosk"


class KioskFault(KioskError):
    """An error for a technician, worded as a plain English sentence (not a gettext msgid):
    braces in it are text, not placeholders."""

    code = "kiosk.fault"

    def __init__(self, detail: str) -> None:
        super().__init__("{detail}", detail=detail)

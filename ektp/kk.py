"""KK (Kartu Keluarga) number: the family card's own 16 digits.

Layout: region code(6) | registration date DDMMYY (no +40) | family serial(4).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ektp._digits import NumberMessages, RegionNumber, check_build_parts, checked_digits
from ektp.errors import ValidationError
from ektp.i18n import N_
from ektp.regions import RegionTable

MSG_EMPTY = N_("Please enter the KK number")
MSG_LENGTH = N_("The KK number must have 16 digits; you entered {count}")
MSG_NOT_DIGITS = N_("The KK number may contain digits only; character {position} is not a digit")
MSG_SERIAL = N_("The 13th–16th digits (family serial number) cannot be 0000")
MESSAGES = NumberMessages(MSG_EMPTY, MSG_LENGTH, MSG_NOT_DIGITS, MSG_SERIAL)


class KkError(ValidationError):
    """A KK number that breaks a rule; ``code`` starts with ``kk.``."""

    code = "kk"


@dataclass(frozen=True)
class Kk(RegionNumber):
    """A parsed, valid KK number."""

    registration_date: dt.date
    serial: int

    @property
    def digits(self) -> str:
        date = self.registration_date
        return f"{self.region_code}{date:%d%m}{date.year % 100:02d}{self.serial:04d}"


def parse_kk(text: str, *, today: dt.date | None = None, regions: RegionTable | None = None) -> Kk:
    """Parse and validate a KK number; raises :class:`KkError` naming the wrong digits."""
    number = checked_digits(text, regions=regions, error=KkError, messages=MESSAGES)
    registered = number.date(today or dt.date.today())
    return Kk(*number.region(), registered, number.serial())


def build_kk(region_code: str, registration_date: dt.date, serial: int) -> str:
    """The 16 digits for these parts (for emulators, fixtures and tests)."""
    return Kk(*check_build_parts(region_code, serial), registration_date, serial).digits

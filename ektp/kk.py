"""KK (Kartu Keluarga) number: the family card's own 16 digits.

Layout: region code(6) | registration date DDMMYY (no +40) | family serial(4).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ektp._digits import check_region, clean_digits, resolve_date
from ektp.errors import ValidationError
from ektp.i18n import N_
from ektp.regions import RegionTable

MSG_EMPTY = N_("Please enter the KK number")
MSG_LENGTH = N_("The KK number must have 16 digits; you entered {count}")
MSG_NOT_DIGITS = N_("The KK number may contain digits only; character {position} is not a digit")
MSG_SERIAL = N_("The 13th–16th digits (family serial number) cannot be 0000")


class KkError(ValidationError):
    """A KK number that breaks a rule; ``code`` starts with ``kk.``."""

    code = "kk"


@dataclass(frozen=True)
class Kk:
    """A parsed, valid KK number."""

    province_code: str
    regency_code: str
    district_code: str
    registration_date: dt.date
    serial: int

    @property
    def region_code(self) -> str:
        return self.province_code + self.regency_code + self.district_code

    @property
    def digits(self) -> str:
        date = self.registration_date
        return f"{self.region_code}{date:%d%m}{date.year % 100:02d}{self.serial:04d}"

    def __str__(self) -> str:
        return self.digits


def parse_kk(text: str, *, today: dt.date | None = None, regions: RegionTable | None = None) -> Kk:
    """Parse and validate a KK number; raises :class:`KkError` naming the wrong digits."""
    digits = clean_digits(
        text,
        error=KkError,
        empty_message=MSG_EMPTY,
        length_message=MSG_LENGTH,
        digits_message=MSG_NOT_DIGITS,
    )
    check_region(digits, regions, KkError)
    day, month, yy = int(digits[6:8]), int(digits[8:10]), int(digits[10:12])
    registered = resolve_date(day, month, yy, today=today or dt.date.today(), error=KkError)
    serial = int(digits[12:16])
    if serial == 0:
        raise KkError(MSG_SERIAL, code="kk.serial")
    return Kk(digits[0:2], digits[2:4], digits[4:6], registered, serial)


def build_kk(region_code: str, registration_date: dt.date, serial: int) -> str:
    """The 16 digits for these parts (for emulators, fixtures and tests)."""
    if len(region_code) != 6 or not region_code.isdigit():
        raise ValueError("region_code must have 6 digits")
    if not 1 <= serial <= 9999:
        raise ValueError("serial must be 1..9999")
    return Kk(region_code[:2], region_code[2:4], region_code[4:6], registration_date, serial).digits

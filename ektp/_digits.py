"""Shared pieces of the 16-digit numbers (NIK and KK): digit checks, DDMMYY dates, regions.

Both numbers start with the same 6-digit region code and carry a DDMMYY date in
digits 7–12; the messages name the digit positions so a resident can find the typo.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from ektp.errors import ValidationError
from ektp.i18n import N_
from ektp.regions import RegionTable

NUMBER_LENGTH = 16
# Characters people type to group digits; removed before checking.
_GROUPING = str.maketrans("", "", " .-\u00a0")

MSG_BAD_DAY = N_("The 7th–8th digits are not a valid day")
MSG_BAD_MONTH = N_("The 9th–10th digits are not a valid month")
MSG_DAY_NOT_IN_MONTH = N_(
    "The 7th–8th digits are not a valid day for the month in the 9th–10th digits"
)
MSG_UNKNOWN_PROVINCE = N_("The 1st–2nd digits ({digits}) are not a known province code")
MSG_UNKNOWN_REGENCY = N_("The 3rd–4th digits ({digits}) are not a known regency in this province")
MSG_UNKNOWN_DISTRICT = N_("The 5th–6th digits ({digits}) are not a known district in this regency")


class NumberMessages(NamedTuple):
    """What a number's own messages say (msgids): nothing typed, wrong length, a
    character that is not a digit, serial 0000."""

    empty: str
    length: str
    not_digits: str
    zero_serial: str


@dataclass(frozen=True)
class RegionNumber:
    """What NIK and KK share: the 6-digit region code, in its three parts, at the start."""

    province_code: str
    regency_code: str  # 2 digits, within the province
    district_code: str  # 2 digits, within the regency

    @property
    def region_code(self) -> str:
        """The 6-digit district code (province + regency + district)."""
        return self.province_code + self.regency_code + self.district_code

    @property
    def digits(self) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.digits


def region_parts(digits: str) -> tuple[str, str, str]:
    """Province, regency and district codes of the first 6 digits."""
    return digits[0:2], digits[2:4], digits[4:6]


def check_build_parts(region_code: str, serial: int) -> tuple[str, str, str]:
    """For building a number (emulators, fixtures, tests): ValueError unless the region
    code has 6 digits and the serial is 1..9999; the region code's parts."""
    if len(region_code) != 6 or not region_code.isdigit():
        raise ValueError("region_code must have 6 digits")
    if not 1 <= serial <= 9999:
        raise ValueError("serial must be 1..9999")
    return region_parts(region_code)


@dataclass(frozen=True)
class CheckedDigits:
    """16 digits that passed :func:`checked_digits`, read part by part."""

    digits: str
    error: type[ValidationError]
    messages: NumberMessages

    def region(self) -> tuple[str, str, str]:
        return region_parts(self.digits)

    @property
    def day(self) -> int:
        """Digits 7–8 as they are (a NIK adds 40 for women)."""
        return int(self.digits[6:8])

    def date(self, today: dt.date, *, day_offset: int = 0) -> dt.date:
        """Digits 7–12 (DDMMYY, ``day_offset`` taken off the day) as the latest real date
        not after ``today`` (:func:`resolve_date`)."""
        month, yy = int(self.digits[8:10]), int(self.digits[10:12])
        return resolve_date(self.day - day_offset, month, yy, today=today, error=self.error)

    def serial(self) -> int:
        """Digits 13–16, which cannot be 0000."""
        serial = int(self.digits[12:16])
        if serial == 0:
            raise self.error(self.messages.zero_serial, code=f"{self.error.code}.serial")
        return serial


def checked_digits(
    text: object,
    *,
    regions: RegionTable | None,
    error: type[ValidationError],
    messages: NumberMessages,
) -> CheckedDigits:
    """Return the 16 digits of ``text`` or raise ``error`` saying what is wrong; with
    ``regions``, the region prefix must be known to it."""
    if not isinstance(text, str):
        raise error(messages.empty, code=f"{error.code}.empty")
    cleaned = text.strip().translate(_GROUPING)
    if not cleaned:
        raise error(messages.empty, code=f"{error.code}.empty")
    for position, char in enumerate(cleaned, start=1):
        if not ("0" <= char <= "9"):
            raise error(messages.not_digits, code=f"{error.code}.not_digits", position=position)
    if len(cleaned) != NUMBER_LENGTH:
        raise error(messages.length, code=f"{error.code}.length", count=len(cleaned))
    check_region(cleaned, regions, error)
    return CheckedDigits(cleaned, error, messages)


def check_region(digits: str, regions: RegionTable | None, error: type[ValidationError]) -> None:
    """Check the 6-digit region prefix against ``regions`` (skipped when None)."""
    if regions is None:
        return
    province, regency, district = digits[0:2], digits[2:4], digits[4:6]
    if not regions.has_province(province):
        raise error(MSG_UNKNOWN_PROVINCE, code=f"{error.code}.province", digits=province)
    if not regions.accepts_regency(province + regency):
        raise error(MSG_UNKNOWN_REGENCY, code=f"{error.code}.regency", digits=regency)
    if not regions.accepts_district(province + regency + district):
        raise error(MSG_UNKNOWN_DISTRICT, code=f"{error.code}.district", digits=district)


def resolve_date(
    day: int, month: int, yy: int, *, today: dt.date, error: type[ValidationError]
) -> dt.date:
    """The latest real date with this day, month and two-digit year not after ``today``.

    ``day`` is already stripped of the +40 for women. Leap days are checked against
    the century chosen: 29-02-00 is 2000-02-29 but never 1900-02-29.
    """
    if not 1 <= month <= 12:
        raise error(MSG_BAD_MONTH, code=f"{error.code}.month")
    if not 1 <= day <= 31:
        raise error(MSG_BAD_DAY, code=f"{error.code}.day")
    year = today.year - (today.year - yy) % 100  # latest year ending in yy, <= today.year
    for candidate_year in (year, year - 100, year - 200):
        if day > calendar.monthrange(candidate_year, month)[1]:
            continue
        candidate = dt.date(candidate_year, month, day)
        if candidate <= today:
            return candidate
    raise error(MSG_DAY_NOT_IN_MONTH, code=f"{error.code}.day_in_month")

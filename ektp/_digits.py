"""Shared pieces of the 16-digit numbers (NIK and KK): digit checks, DDMMYY dates, regions.

Both numbers start with the same 6-digit region code and carry a DDMMYY date in
digits 7–12; the messages name the digit positions so a resident can find the typo.
"""

from __future__ import annotations

import calendar
import datetime as dt

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


def clean_digits(
    text: object,
    *,
    error: type[ValidationError],
    empty_message: str,
    length_message: str,
    digits_message: str,
) -> str:
    """Return the 16 digits of ``text`` or raise ``error`` saying what is wrong."""
    if not isinstance(text, str):
        raise error(empty_message, code=f"{error.code}.empty")
    cleaned = text.strip().translate(_GROUPING)
    if not cleaned:
        raise error(empty_message, code=f"{error.code}.empty")
    for position, char in enumerate(cleaned, start=1):
        if not ("0" <= char <= "9"):
            raise error(digits_message, code=f"{error.code}.not_digits", position=position)
    if len(cleaned) != NUMBER_LENGTH:
        raise error(length_message, code=f"{error.code}.length", count=len(cleaned))
    return cleaned


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

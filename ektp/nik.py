"""NIK (Nomor Induk Kependudukan): the 16-digit lifelong personal number.

Layout: province(2) region(2) district(2) | birth date DDMMYY, 40 added to the day for
women | serial(4, 0001–9999). :func:`parse_nik` checks all of it and says which digits
are wrong; :func:`check_consistency` compares with what the resident states.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from ektp._digits import NumberMessages, RegionNumber, check_build_parts, checked_digits
from ektp.errors import ValidationError
from ektp.i18n import N_, translate
from ektp.regions import RegionTable

FEMALE_DAY_OFFSET = 40

MSG_EMPTY = N_("Please enter the NIK")
MSG_LENGTH = N_("NIK must have 16 digits; you entered {count}")
MSG_NOT_DIGITS = N_("NIK may contain digits only; character {position} is not a digit")
MSG_SERIAL = N_("The 13th–16th digits (serial number) cannot be 0000")
MESSAGES = NumberMessages(MSG_EMPTY, MSG_LENGTH, MSG_NOT_DIGITS, MSG_SERIAL)
MSG_STATED_MALE = N_("The NIK belongs to a woman, but the resident stated male")
MSG_STATED_FEMALE = N_("The NIK belongs to a man, but the resident stated female")
MSG_BIRTH_DATE = N_(
    "The birth date in the NIK ({nik_date}) differs from the stated birth date ({stated_date})"
)


class NikError(ValidationError):
    """A NIK that breaks a rule; ``code`` starts with ``nik.``."""

    code = "nik"


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


SEX_NAMES: dict[Sex, str] = {Sex.MALE: N_("Male"), Sex.FEMALE: N_("Female")}


def sex_name(sex: Sex, language: str = "id") -> str:
    return translate(SEX_NAMES[Sex(sex)], language)


@dataclass(frozen=True)
class Nik(RegionNumber):
    """A parsed, valid NIK."""

    birth_date: dt.date
    sex: Sex
    serial: int

    @property
    def digits(self) -> str:
        day = self.birth_date.day + (FEMALE_DAY_OFFSET if self.sex is Sex.FEMALE else 0)
        date_part = f"{day:02d}{self.birth_date.month:02d}{self.birth_date.year % 100:02d}"
        return f"{self.region_code}{date_part}{self.serial:04d}"


def parse_nik(
    text: str, *, today: dt.date | None = None, regions: RegionTable | None = None
) -> Nik:
    """Parse and validate a NIK typed by a resident.

    Spaces, dots and hyphens between digit groups are ignored. The two-digit birth
    year becomes the latest date not after ``today`` (default: the local date). With
    ``regions``, the region prefix must be known to it. Raises :class:`NikError`.
    """
    number = checked_digits(text, regions=regions, error=NikError, messages=MESSAGES)
    sex = Sex.FEMALE if number.day > FEMALE_DAY_OFFSET else Sex.MALE
    day_offset = FEMALE_DAY_OFFSET if sex is Sex.FEMALE else 0
    birth_date = number.date(today or dt.date.today(), day_offset=day_offset)
    serial = number.serial()
    return Nik(*number.region(), birth_date, sex, serial)


def build_nik(region_code: str, birth_date: dt.date, sex: Sex, serial: int) -> str:
    """The 16 digits for these parts (for emulators, fixtures and tests)."""
    return Nik(*check_build_parts(region_code, serial), birth_date, sex, serial).digits


def check_consistency(
    nik: Nik, *, sex: Sex | None = None, birth_date: dt.date | None = None
) -> None:
    """Raise :class:`NikError` when what the resident states contradicts the NIK."""
    if sex is not None and Sex(sex) is not nik.sex:
        message = MSG_STATED_MALE if Sex(sex) is Sex.MALE else MSG_STATED_FEMALE
        raise NikError(message, code="nik.sex_mismatch")
    if birth_date is not None and birth_date != nik.birth_date:
        raise NikError(
            MSG_BIRTH_DATE,
            code="nik.birth_date_mismatch",
            nik_date=nik.birth_date.strftime("%d-%m-%Y"),
            stated_date=birth_date.strftime("%d-%m-%Y"),
        )


def format_masked(nik: Nik | str) -> str:
    """The NIK for a screen or a printout, birth date and most of the serial hidden.

    ``6403065402900001`` → ``6403 06•• •••• ••01``.
    """
    digits = nik.digits if isinstance(nik, Nik) else "".join(c for c in nik if c.isdigit())
    if len(digits) != 16:
        return "•" * 16
    masked = digits[:6] + "•" * 8 + digits[14:]
    return " ".join(masked[i : i + 4] for i in range(0, 16, 4))

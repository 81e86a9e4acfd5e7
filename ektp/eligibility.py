"""Who must hold a KTP (wajib KTP): 17 or older on the recording date, or married."""

from __future__ import annotations

import datetime as dt

WAJIB_KTP_AGE = 17


def age_on(birth_date: dt.date, on: dt.date) -> int:
    """Completed years of age on ``on``.

    A birthday counts from its day; someone born on 29 February becomes a year older
    on 1 March in a common year (the day after 28 February).
    """
    if on < birth_date:
        raise ValueError("the date is before the birth date")
    had_birthday = (on.month, on.day) >= (birth_date.month, birth_date.day)
    return on.year - birth_date.year - (0 if had_birthday else 1)


def turns_of_age_on(birth_date: dt.date, age: int = WAJIB_KTP_AGE) -> dt.date:
    """The first day on which the resident is ``age`` years old."""
    year = birth_date.year + age
    try:
        return birth_date.replace(year=year)
    except ValueError:  # 29 February in a common year
        return dt.date(year, 3, 1)


def is_wajib_ktp(birth_date: dt.date, married: bool, on: dt.date) -> bool:
    """True when the resident must hold a KTP on the recording date ``on``."""
    if married:
        return True
    return on >= turns_of_age_on(birth_date)

"""Who must hold a KTP on the recording date."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ektp.eligibility import age_on, is_wajib_ktp, turns_of_age_on


def test_seventeenth_birthday_is_the_first_day() -> None:
    born = dt.date(2009, 3, 1)
    assert not is_wajib_ktp(born, married=False, on=dt.date(2026, 2, 28))
    assert is_wajib_ktp(born, married=False, on=dt.date(2026, 3, 1))


def test_married_residents_are_wajib_ktp_at_any_age() -> None:
    assert is_wajib_ktp(dt.date(2010, 6, 1), married=True, on=dt.date(2026, 3, 10))


def test_leap_day_birthday_counts_from_first_of_march() -> None:
    born = dt.date(2008, 2, 29)
    assert turns_of_age_on(born) == dt.date(2025, 3, 1)
    assert not is_wajib_ktp(born, married=False, on=dt.date(2025, 2, 28))
    assert is_wajib_ktp(born, married=False, on=dt.date(2025, 3, 1))
    assert age_on(born, dt.date(2024, 2, 29)) == 16  # a leap year: the day itself


def test_age_before_birth_is_an_error() -> None:
    with pytest.raises(ValueError, match="before the birth date"):
        age_on(dt.date(2000, 1, 2), dt.date(2000, 1, 1))


@given(
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2090, 1, 1)), st.integers(0, 40000)
)
def test_age_and_wajib_ktp_agree(born: dt.date, days_later: int) -> None:
    on = born + dt.timedelta(days=days_later)
    assert is_wajib_ktp(born, married=False, on=on) == (age_on(born, on) >= 17)
    assert age_on(born, on) <= days_later // 365

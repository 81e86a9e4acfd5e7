"""KK number parsing."""

from __future__ import annotations

import datetime as dt

import pytest
from ektp_samples import outcome, refusal
from hypothesis import given
from hypothesis import strategies as st

from ektp.errors import ValidationError
from ektp.kk import KkError, build_kk, parse_kk
from ektp.regions import RegionTable

TODAY = dt.date(2026, 3, 10)


def test_a_family_card_of_gunung_tabur(regions: RegionTable) -> None:
    kk = parse_kk("6403061505120007", today=TODAY, regions=regions)
    assert kk.region_code == "640306"
    assert kk.registration_date == dt.date(2012, 5, 15)
    assert kk.serial == 7


@pytest.mark.parametrize(
    ("text", "code", "english"),
    [
        ("   ", "kk.empty", "Please enter the KK number"),
        ("64030615051200", "kk.length", "must have 16 digits; you entered 14"),
        ("6403061505120x07", "kk.not_digits", "character 14 is not a digit"),
        ("6403065505120007", "kk.day", "The 7th–8th digits are not a valid day"),  # no +40
        ("6403061513120007", "kk.month", "The 9th–10th digits are not a valid month"),
        ("6403063002110007", "kk.day_in_month", "not a valid day for the month"),
        ("6403061505120000", "kk.serial", "family serial number"),
    ],
)
def test_errors_say_what_is_wrong(text: str, code: str, english: str) -> None:
    error = refusal(KkError, parse_kk, text, today=TODAY)
    assert error.code == code
    assert english in error.english()
    assert error.localized("id") != error.english()


def test_unknown_district_of_berau(regions: RegionTable) -> None:
    error = refusal(KkError, parse_kk, "6403421505120007", today=TODAY, regions=regions)
    assert error.code == "kk.district"


@given(
    st.from_regex(r"[0-9]{6}", fullmatch=True),
    st.dates(min_value=dt.date(1927, 3, 11), max_value=TODAY),
    st.integers(1, 9999),
)
def test_any_valid_kk_parses_back_to_its_parts(region: str, date: dt.date, serial: int) -> None:
    kk = parse_kk(build_kk(region, date, serial), today=TODAY)
    assert (kk.region_code, kk.registration_date, kk.serial) == (region, date, serial)


@given(st.one_of(st.text(max_size=40), st.from_regex(r"[0-9 ]{14,18}", fullmatch=True)))
def test_random_text_gives_a_kk_or_a_validation_error(text: str) -> None:
    result = outcome(parse_kk, text, today=TODAY)
    if isinstance(result, ValidationError):
        assert result.code.startswith("kk.")
    else:
        assert len(result.digits) == 16

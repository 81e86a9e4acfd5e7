"""NIK parsing: real examples, clear errors, and properties over generated NIKs."""

from __future__ import annotations

import datetime as dt

import pytest
from ektp_samples import outcome, refusal
from hypothesis import given
from hypothesis import strategies as st

from ektp.errors import ValidationError
from ektp.nik import (
    Nik,
    NikError,
    Sex,
    build_nik,
    check_consistency,
    format_masked,
    parse_nik,
    sex_name,
)
from ektp.regions import RegionTable

TODAY = dt.date(2026, 3, 10)
BUNDLED = RegionTable.bundled()


def test_woman_born_1990_02_14_in_gunung_tabur(regions: RegionTable) -> None:
    digits = build_nik("640306", dt.date(1990, 2, 14), Sex.FEMALE, 1)
    assert digits == "6403065402900001"  # day 14 + 40 = 54
    nik = parse_nik(digits, today=TODAY, regions=regions)
    assert nik == Nik("64", "03", "06", dt.date(1990, 2, 14), Sex.FEMALE, 1)
    assert nik.region_code == "640306"
    assert regions.describe(nik.region_code) == "Gunung Tabur, Kabupaten Berau, Kalimantan Timur"


def test_man_keeps_the_plain_day() -> None:
    nik = parse_nik("6403061408850123", today=TODAY)
    assert (nik.sex, nik.birth_date, nik.serial) == (Sex.MALE, dt.date(1985, 8, 14), 123)


def test_grouping_spaces_and_dots_are_ignored() -> None:
    assert parse_nik(" 6403.06 540290-0001 ", today=TODAY).digits == "6403065402900001"


@pytest.mark.parametrize(
    ("text", "code", "english"),
    [
        ("", "nik.empty", "Please enter the NIK"),
        ("640306540290001", "nik.length", "NIK must have 16 digits; you entered 15"),
        ("64030654029000011", "nik.length", "NIK must have 16 digits; you entered 17"),
        ("64030654O2900001", "nik.not_digits", "character 9 is not a digit"),
        ("6403060002900001", "nik.day", "The 7th–8th digits are not a valid day"),
        ("6403063502900001", "nik.day", "The 7th–8th digits are not a valid day"),
        ("6403067202900001", "nik.day", "The 7th–8th digits are not a valid day"),
        ("6403061413900001", "nik.month", "The 9th–10th digits are not a valid month"),
        ("6403061400900001", "nik.month", "The 9th–10th digits are not a valid month"),
        ("6403063104900001", "nik.day_in_month", "not a valid day for the month"),
        ("6403065402900000", "nik.serial", "cannot be 0000"),
    ],
)
def test_errors_say_what_is_wrong(text: str, code: str, english: str) -> None:
    error = refusal(NikError, parse_nik, text, today=TODAY)
    assert error.code == code
    assert english in error.english()


def test_error_is_shown_in_indonesian() -> None:
    error = refusal(NikError, parse_nik, "640306540290001", today=TODAY)
    assert error.localized("id") == "NIK harus 16 digit; Anda memasukkan 15"
    assert error.localized("en") == "NIK must have 16 digits; you entered 15"


def test_leap_days() -> None:
    assert parse_nik("6403062902960001", today=TODAY).birth_date == dt.date(1996, 2, 29)
    assert parse_nik("6403066902000001", today=TODAY).birth_date == dt.date(2000, 2, 29)
    error = refusal(NikError, parse_nik, "6403062902970001", today=TODAY)  # 1997 is a common year
    assert error.code == "nik.day_in_month"


def test_century_is_the_latest_date_not_in_the_future() -> None:
    assert parse_nik("6403061003260001", today=TODAY).birth_date == dt.date(2026, 3, 10)
    assert parse_nik("6403061103260001", today=TODAY).birth_date == dt.date(1926, 3, 11)
    assert parse_nik("6403060101300001", today=TODAY).birth_date == dt.date(1930, 1, 1)
    # 29-02-00 read in 2099 can only be 2000 (1900 was not a leap year).
    assert parse_nik("6403062902000001", today=dt.date(2099, 1, 1)).birth_date.year == 2000


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("9903065402900001", "nik.province"),  # no province 99
        ("6499065402900001", "nik.regency"),  # Kalimantan Timur has no regency 99
        ("6403995402900001", "nik.district"),  # Berau has no district 99
    ],
)
def test_region_must_be_known(regions: RegionTable, text: str, code: str) -> None:
    error = refusal(NikError, parse_nik, text, today=TODAY, regions=regions)
    assert error.code == code
    assert "(99)" in error.localized("id")


def test_region_outside_the_complete_lists_is_accepted(regions: RegionTable) -> None:
    # Only Kalimantan Timur's regencies and Berau's districts are complete in the table.
    assert parse_nik("3273015402900001", today=TODAY, regions=regions).province_code == "32"
    assert parse_nik("6402995402900001", today=TODAY, regions=regions).regency_code == "02"


def test_consistency_with_what_the_resident_states() -> None:
    nik = parse_nik("6403065402900001", today=TODAY)
    check_consistency(nik, sex=Sex.FEMALE, birth_date=dt.date(1990, 2, 14))
    error = refusal(NikError, check_consistency, nik, sex=Sex.MALE)
    assert error.code == "nik.sex_mismatch"
    assert "perempuan" in error.localized("id")
    error = refusal(NikError, check_consistency, nik, birth_date=dt.date(1990, 2, 15))
    assert error.code == "nik.birth_date_mismatch"
    assert "14-02-1990" in error.localized("id")


def test_masked_for_screens() -> None:
    assert format_masked("6403065402900001") == "6403 06•• •••• ••01"
    assert format_masked(parse_nik("6403065402900001", today=TODAY)) == "6403 06•• •••• ••01"
    assert "5402" not in format_masked("6403065402900001")


def test_sex_names_are_translated() -> None:
    assert sex_name(Sex.FEMALE, "id") == "Perempuan"
    assert sex_name(Sex.MALE, "en") == "Male"


# --- properties -------------------------------------------------------------------------
regions_codes = st.from_regex(r"[0-9]{6}", fullmatch=True)
birth_dates = st.dates(min_value=dt.date(1927, 3, 11), max_value=TODAY)


@given(regions_codes, birth_dates, st.sampled_from(Sex), st.integers(1, 9999))
def test_any_valid_nik_parses_back_to_its_parts(
    region: str, born: dt.date, sex: Sex, serial: int
) -> None:
    nik = parse_nik(build_nik(region, born, sex, serial), today=TODAY)
    assert (nik.region_code, nik.birth_date, nik.sex, nik.serial) == (region, born, sex, serial)


@given(st.text(max_size=40))
def test_random_text_gives_a_nik_or_a_validation_error(text: str) -> None:
    result = outcome(parse_nik, text, today=TODAY)
    if isinstance(result, ValidationError):
        assert result.code.startswith("nik.")
        assert result.localized("id")
    else:
        assert len(result.digits) == 16


@given(st.from_regex(r"[0-9]{16}", fullmatch=True))
def test_random_digits_give_a_nik_or_a_validation_error(text: str) -> None:
    result = outcome(parse_nik, text, today=TODAY, regions=BUNDLED)
    if isinstance(result, ValidationError):
        assert result.code.startswith("nik.")
    else:
        assert result.digits == text

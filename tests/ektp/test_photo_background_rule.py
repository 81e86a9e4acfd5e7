"""Background colour of the photo per office rule."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError as ConfigError

from ektp.photo_rule import PhotoRuleConfig, background_name, required_background


@pytest.mark.parametrize(
    ("born", "colour"),
    [(dt.date(1990, 2, 14), "blue"), (dt.date(1991, 12, 31), "red"), (dt.date(2000, 1, 1), "blue")],
)
def test_national_rule_red_for_odd_years_blue_for_even(born: dt.date, colour: str) -> None:
    assert required_background("by_birth_year", born) == colour


def test_white_rule_is_white_for_everyone() -> None:
    assert required_background("white", dt.date(1991, 1, 1)) == "white"


def test_config_and_names() -> None:
    assert PhotoRuleConfig().rule == "by_birth_year"
    with pytest.raises(ConfigError):
        PhotoRuleConfig.model_validate({"rule": "green"})
    assert background_name("red", "id") == "Merah"

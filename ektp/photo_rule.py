"""Which background colour the resident's photo must have.

Offices use either a plain white background for everyone, or the national rule: red
for an odd year of birth and blue for an even one.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ektp.i18n import N_, translate

PhotoRule = Literal["white", "by_birth_year"]
Background = Literal["white", "red", "blue"]

# Nominal colours (RGB) for the photo-quality check; it decides its own tolerance.
BACKGROUND_RGB: dict[Background, tuple[int, int, int]] = {
    "white": (255, 255, 255),
    "red": (200, 30, 40),
    "blue": (20, 90, 200),
}

BACKGROUND_NAMES: dict[Background, str] = {
    "white": N_("White"),
    "red": N_("Red"),
    "blue": N_("Blue"),
}


def background_name(background: Background, language: str = "id") -> str:
    return translate(BACKGROUND_NAMES[background], language)


class PhotoRuleConfig(BaseModel):
    """The office's photo background rule (a config section)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: PhotoRule = Field(
        default="by_birth_year",
        description='"white" for everyone, or "by_birth_year": red for odd years, blue for even.',
    )


def required_background(rule: PhotoRule, birth_date: dt.date) -> Background:
    """The background colour required for a resident born on ``birth_date``."""
    if rule == "white":
        return "white"
    if rule == "by_birth_year":
        return "red" if birth_date.year % 2 else "blue"
    raise ValueError(f"unknown photo rule {rule!r}")

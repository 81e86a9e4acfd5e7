"""``[calendar]`` section of the edge configuration: the days the office records.

An office that records on Saturdays (as Gunung Tabur did in 2012) lists only
``sunday`` as its weekly day off.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from ektp.config_types import ConfigSection

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[Weekday, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)


def _weekend() -> list[Weekday]:
    return ["saturday", "sunday"]


class CalendarConfig(ConfigSection):
    """Which days the office records (a section of the edge config)."""

    weekly_days_off: list[Weekday] = Field(
        default_factory=_weekend,
        description="Days of the week the office does not record (Saturday and Sunday unless "
        "the office works Saturdays).",
    )
    holidays: list[dt.date] = Field(
        default_factory=list,
        description="Public holidays and other closed days (ISO dates), e.g. 2012-03-23 "
        "for Nyepi 2012.",
    )

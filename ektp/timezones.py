"""The office's time zone as a config value: an IANA name checked when the config loads.

Edge and booth both date things by the office's day (recordings, queue and mobile
tickets), so both configs carry the same checked field.
"""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator


def known_timezone(value: str) -> str:
    """``value`` if the system's tz database knows it, else a ValueError naming it."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Makassar)") from err
    return value


TimezoneName = Annotated[str, AfterValidator(known_timezone)]
"""A config field holding an IANA time zone name (WITA is Asia/Makassar)."""

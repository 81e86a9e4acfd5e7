"""What the booth's power banner says, apart from any screen.

:class:`~kiosk.power.policy.PowerPolicy` decides the banner (its state and message id)
and writes it into a :class:`PowerBanner` (the UI's ``BoothStatus`` is one); the UI
only reads and translates it. Nothing here imports the UI.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from ektp.i18n import N_

MSG_ON_BATTERY = N_("Power cut, on battery: finish the current recording only.")
MSG_BATTERY_SHORT = N_(
    "Power cut, battery nearly used up: finish the current recording, start no new one."
)
MSG_SHUTTING_DOWN = N_("Battery low: the session is being saved and the booth shuts down.")


class BannerPower(StrEnum):
    """The power the banner shows (the office's state, as the booth words it)."""

    MAINS = "mains"
    GENERATOR = "generator"
    ON_BATTERY = "on_battery"
    LOW_BATTERY = "low_battery"


BANNER_FOR_OFFICE_STATE = {
    "MAINS": BannerPower.MAINS,
    "GENERATOR": BannerPower.GENERATOR,
    "ON_BATTERY": BannerPower.ON_BATTERY,
}
"""``office/power`` states the banner shows as they are; any other is LOW_BATTERY."""


class PowerBanner(Protocol):
    """Where the power policy writes the banner (plain attribute writes, any thread)."""

    power: BannerPower
    power_notice: str | None
    battery_minutes_left: int | None


def bare_state_notice(power: BannerPower) -> str | None:
    """The banner's message id for a bare state, when no policy has given one."""
    return {
        BannerPower.ON_BATTERY: MSG_ON_BATTERY,
        BannerPower.LOW_BATTERY: MSG_SHUTTING_DOWN,
    }.get(power)

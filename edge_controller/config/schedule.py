"""``[schedule]`` section of the edge configuration: how recording days are planned."""

from __future__ import annotations

import math

from pydantic import Field

from ektp.config_types import ConfigSection, Count, Duration, Share

FIELD_RESIDENTS_PER_KIT_DAY = 123
"""What one kit recorded in a day in the field (Gunung Tabur, 2012)."""
DEFAULT_WORKING_HOURS = 8.0


class ScheduleConfig(ConfigSection):
    """How the office plans its recording days (a section of the edge config)."""

    kits: Count = Field(default=1, description="Recording kits (booths) working each day.")
    working_hours_per_day: Duration = Field(
        default=DEFAULT_WORKING_HOURS,
        le=24,
        description="Hours a kit records on a working day.",
    )
    minutes_per_resident: Duration = Field(
        default=DEFAULT_WORKING_HOURS * 60 / FIELD_RESIDENTS_PER_KIT_DAY,
        description="Minutes one kit needs per resident, all steps included (default: one "
        "kit did ~123 residents in an 8-hour day in the field, ≈ 3.9 min).",
    )
    turnout_share: Share = Field(
        default=0.6,
        description="Share of invited residents expected to come: 0.6 plans for the 60% "
        "target, 1.0 plans a seat for everyone.",
    )
    min_days_per_kelurahan: Count = Field(
        default=1, description="Fewest working days any scheduled kelurahan gets."
    )
    kelurahan_order: list[str] = Field(
        default_factory=list,
        description="Kelurahan in the order to visit them; those not listed follow, "
        "largest demand first. Empty: largest demand first.",
    )

    @property
    def daily_capacity(self) -> int:
        """Residents all kits can record in one working day."""
        per_kit = self.working_hours_per_day * 60 / self.minutes_per_resident
        return math.floor(self.kits * per_kit + 1e-9)

    @property
    def daily_invitation_limit(self) -> int:
        """Most residents to invite on one day so the expected turnout fits capacity."""
        return math.floor(self.daily_capacity / self.turnout_share + 1e-9)

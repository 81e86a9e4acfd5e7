"""``[coverage]`` section of the edge configuration: the office's recording target."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from ektp.config_types import ConfigSection, Count, Share


class CoverageConfig(ConfigSection):
    """The office's recording target (a section of the edge config)."""

    target_share: Share = Field(
        default=0.6, description="Share of the residents who must hold a KTP to record (0.6 = 60%)."
    )
    target_date: dt.date | None = Field(
        default=None,
        description="The date by which the target must be reached (e.g. 2012-04-30); "
        "none: project without a deadline.",
    )
    pace_window_working_days: Count = Field(
        default=5,
        description="Working days, up to the report day, over which the pace is measured.",
    )

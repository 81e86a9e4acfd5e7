"""``[roster]`` section of the edge configuration: keeping the booths' roster digests current."""

from __future__ import annotations

from pydantic import Field

from ektp.config_types import ConfigSection, Duration, DurationOrZero


class RosterPublishConfig(ConfigSection):
    """``[roster]``: how the edge keeps the booths' roster digests current."""

    check_interval_seconds: Duration = Field(
        default=10.0,
        description="How often the edge looks for roster changes made by another program "
        "(an import from the command line).",
    )
    min_interval_seconds: DurationOrZero = Field(
        default=30.0,
        description="A village's digest is republished at most this often; changes in "
        "between (recordings) are sent together.",
    )

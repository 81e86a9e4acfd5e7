"""``[power]``: what the booth does when the office's power fails."""

from __future__ import annotations

from pydantic import Field

from ektp.config_types import ConfigSection, CountOrZero, Duration


class BoothPowerSettings(ConfigSection):
    """``[power]`` of a booth's configuration."""

    shutdown_command: list[str] = Field(
        default_factory=lambda: ["systemctl", "poweroff"],
        min_length=1,
        description="The booth's shutdown, run after parking and closing the outbox.",
    )
    capture_margin_s: CountOrZero | None = Field(
        default=None,
        description="On battery, no new capture below this runtime (s); None: the edge decides.",
    )
    command_timeout_s: Duration = Field(
        default=30.0, description="How long the shutdown command may take."
    )
    shutdown_max_age_s: Duration = Field(
        default=300.0,
        description="A SHUTDOWN on office/power older than this (s) is ignored: it was "
        "left retained by an outage that is over.",
    )

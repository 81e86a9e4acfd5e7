"""``[health]`` section of the edge configuration: booth liveness and health alerts."""

from __future__ import annotations

from pydantic import Field

from ektp.config_types import ConfigSection, Count, Duration


class HealthConfig(ConfigSection):
    """Booth liveness and the alerts raised from their health reports."""

    heartbeat_timeout_seconds: Duration = Field(
        default=90.0,
        description="A booth whose last health report is older than this is 'silent', "
        "even if its retained status says online.",
    )
    check_interval_seconds: Duration = Field(
        default=5.0, description="How often the edge looks for silent booths."
    )
    device_error_increase: Count = Field(
        default=5,
        description="Alert when a device's error count grows by this much between two "
        "health reports.",
    )
    outbox_growth_reports: int = Field(
        default=3,
        ge=2,
        description="Alert when a booth's outbox depth grew in this many successive "
        "health reports.",
    )
    packet_alert_quiet_seconds: Duration = Field(
        default=3600.0,
        description="A refused-packet alert (packet_rejected, unknown_booth) clears after "
        "this long without another such refusal from that booth; it also clears as soon "
        "as the booth delivers a good packet.",
    )

"""``[uplink]``: how the booth paces its traffic to the edge."""

from __future__ import annotations

from pydantic import Field

from ektp.config_types import ConfigSection, Count, Duration, KeepaliveSeconds


class UplinkSettings(ConfigSection):
    """How the booth paces its traffic to the edge."""

    software_version: str = Field(default="0.1.0", description="Reported in the booth status.")
    max_in_flight: int = Field(
        default=20, ge=1, le=500, description="Packets sent and not yet acked, at most."
    )
    ack_timeout_seconds: Duration = Field(
        default=30.0, description="Re-send a packet whose ack has not come by then."
    )
    health_interval_seconds: Duration = Field(
        default=30.0, description="Heartbeat: a health report this often."
    )
    keepalive_seconds: KeepaliveSeconds = Field(default=30, description="MQTT keepalive.")
    reconnect_max_delay_seconds: Count = Field(default=30, description="Reconnect delay ceiling.")

"""``[timeouts]``: how long a resident's or an operator's idle session lasts."""

from __future__ import annotations

from pydantic import Field

from ektp.config_types import ConfigSection, Duration


class Timeouts(ConfigSection):
    """Idle timeouts of the resident and operator sides."""

    resident_idle_seconds: Duration = Field(
        default=90, description="A resident's check-in is forgotten after this idle time."
    )
    operator_idle_lock_seconds: Duration = Field(
        default=300, description="The operator's session locks after this idle time."
    )

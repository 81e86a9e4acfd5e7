"""``[queue]`` section of the edge configuration: ticket numbers, priority, wait estimates."""

from __future__ import annotations

from pydantic import Field

from ektp.config_types import ConfigSection, Count, Duration, TicketPrefix


class QueueConfig(ConfigSection):
    """The office queue: ticket numbers, priority and wait estimates."""

    ticket_prefix: TicketPrefix = Field(
        default="A",
        description="Letters before the ticket number: A-001, A-002, ... (reset daily).",
    )
    priority_enabled: bool = Field(
        default=False,
        description="Serve check-ins marked priority (elderly, disabled) before the others.",
    )
    default_service_minutes: Duration = Field(
        default=10.0,
        description="Minutes per resident assumed until booths have called enough tickets.",
    )
    service_time_samples: Count = Field(
        default=10, description="Call-to-call durations averaged per booth."
    )
    max_service_minutes: Duration = Field(
        default=60.0,
        description="Longer call-to-call gaps are breaks, not service times, and are ignored.",
    )
    active_booth_minutes: Duration = Field(
        default=30.0,
        description="A booth that called a ticket within this many minutes counts as serving.",
    )

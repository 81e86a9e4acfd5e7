"""``[mobile]``: mobile duty away from the office (``kiosk.mobile.duty`` acts on it)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from pydantic import Field

from ektp.config_types import ConfigSection, CountOrZero, Duration, TicketPrefix
from ektp.timezones import TimezoneName


class MobileSettings(ConfigSection):
    """``[mobile]``: when a booth may leave for mobile duty, and its local tickets."""

    max_roster_age_hours: Duration = Field(
        default=24.0, description="Refuse to leave when a village's roster copy is older than this."
    )
    min_free_disk_mb: CountOrZero = Field(
        default=1024,
        description="Refuse to leave with less free space than this on the data disk "
        "(a week of records is ~60 KB each, plus room for the audit log).",
    )
    ticket_prefix: TicketPrefix = Field(
        default="M",
        description="Letters of the booth's own ticket numbers on duty (M-001), apart "
        "from the office queue's.",
    )
    office_timezone: TimezoneName = Field(
        default="Asia/Makassar",
        description="IANA time zone of the office (WITA is Asia/Makassar): the day a local "
        "ticket belongs to, so numbers restart at the office's midnight whatever zone the "
        "booth's system clock is set to.",
    )

    def office_now(self, utc_now: dt.datetime | None = None) -> dt.datetime:
        """Now (or ``utc_now``) on the office's clock."""
        moment = utc_now if utc_now is not None else dt.datetime.now(dt.UTC)
        return moment.astimezone(ZoneInfo(self.office_timezone))

"""A booth's stage event at the edge: stored once, and a finger checks its sensor."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from zoneinfo import ZoneInfo

from edge_controller.booths.monitor import apply_alert_changes
from edge_controller.service_times.sensors import sensor_alert_change, sensor_rates
from edge_controller.service_times.store import is_stage_event, record_stage_event
from ektp.messages import EventMessage
from ektp.service_stages import Stage

__all__ = ["apply_stage_event", "is_stage_event"]

log = logging.getLogger(__name__)


def apply_stage_event(
    conn: sqlite3.Connection, event: EventMessage, *, timezone: ZoneInfo, now: dt.datetime
) -> None:
    """Store the stage (a re-delivery changes nothing); after a finger, re-check its
    sensor's retry rate against its own last seven days, raising or clearing the alert."""
    stage = record_stage_event(conn, event, timezone=timezone, received_at=now)
    if stage is not Stage.FINGER:
        return
    sensor = str(event.data.get("sensor", ""))
    day = event.at.astimezone(timezone).date()
    for rates in sensor_rates(conn, day, sensor):
        for change in apply_alert_changes(conn, [sensor_alert_change(rates)], now):
            log.warning(
                "alert %s %s %s: %s", change.action, change.kind, change.subject, change.detail
            )

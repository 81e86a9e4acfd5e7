"""Each fingerprint sensor's retry and exception rates, against its own last seven days.

A sensor wears before it dies: residents must place their fingers again more and more
often. Per office day, a sensor's retry rate is the retries per finger done on it and
its exception rate the share of fingers marked as exceptions. When today's retry rate
is at least twice the sensor's own rate over the seven days before (and both have
enough fingers to mean something), the booth gets a ``sensor_retries`` alert so the
sensor is replaced before it fails; the alert clears when the rate falls back.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass

from edge_controller.booths.monitor import AlertChange
from ektp.service_stages import Stage

SENSOR_ALERT = "sensor_retries"
BASELINE_DAYS = 7
MIN_FINGERS = 20
"""Fewer fingers than this (today, or in the baseline) say nothing yet."""
RATE_FLOOR = 0.05
"""A baseline below this counts as this: from 0 retries, one retry is no doubling."""


@dataclass(frozen=True)
class SensorRates:
    sensor: str
    booth_id: str
    fingers: int
    retries: int
    exceptions: int
    baseline_fingers: int
    baseline_retries: int

    @property
    def retry_rate(self) -> float | None:
        return self.retries / self.fingers if self.fingers else None

    @property
    def exception_rate(self) -> float | None:
        return self.exceptions / self.fingers if self.fingers else None

    @property
    def baseline_rate(self) -> float | None:
        return self.baseline_retries / self.baseline_fingers if self.baseline_fingers else None

    @property
    def doubled(self) -> bool:
        """Today's retry rate is at least twice the sensor's own seven-day rate."""
        if self.fingers < MIN_FINGERS or self.baseline_fingers < MIN_FINGERS:
            return False
        baseline = max(self.baseline_rate or 0.0, RATE_FLOOR)
        return (self.retry_rate or 0.0) >= 2 * baseline


_TOTALS = (
    "SELECT sensor, MIN(booth_id), COUNT(*), COALESCE(SUM(retries), 0),"
    " COALESCE(SUM(outcome = 'exception'), 0) FROM stage_events"
    " WHERE stage = ? AND sensor != '' AND day >= ? AND day <= ? {only} GROUP BY sensor"
)


def _totals(
    conn: sqlite3.Connection, first: dt.date, last: dt.date, sensor: str | None
) -> dict[str, tuple[str, int, int, int]]:
    query = _TOTALS.format(only="AND sensor = ?" if sensor is not None else "")
    params: tuple[str, ...] = (str(Stage.FINGER), first.isoformat(), last.isoformat())
    rows = conn.execute(query, params + ((sensor,) if sensor is not None else ()))
    return {row[0]: (row[1], int(row[2]), int(row[3]), int(row[4])) for row in rows}


def sensor_rates(
    conn: sqlite3.Connection, day: dt.date, sensor: str | None = None
) -> list[SensorRates]:
    """Every sensor used on ``day`` (or just ``sensor``), with its seven-day baseline."""
    today = _totals(conn, day, day, sensor)
    before = _totals(
        conn, day - dt.timedelta(days=BASELINE_DAYS), day - dt.timedelta(days=1), sensor
    )
    result = []
    for name in sorted(today):
        booth_id, fingers, retries, exceptions = today[name]
        _, base_fingers, base_retries, _ = before.get(name, ("", 0, 0, 0))
        result.append(
            SensorRates(name, booth_id, fingers, retries, exceptions, base_fingers, base_retries)
        )
    return result


@dataclass(frozen=True)
class FingerRates:
    """One finger (e.g. ``left_little``) on one sensor on one day."""

    sensor: str
    finger: str
    count: int
    retries: int
    exceptions: int

    @property
    def retry_rate(self) -> float:
        return self.retries / self.count

    @property
    def exception_rate(self) -> float:
        return self.exceptions / self.count


def finger_rates(conn: sqlite3.Connection, day: dt.date) -> list[FingerRates]:
    """Per sensor and finger: how often it was retried or marked as an exception."""
    rows = conn.execute(
        "SELECT sensor, finger, COUNT(*), COALESCE(SUM(retries), 0),"
        " COALESCE(SUM(outcome = 'exception'), 0) FROM stage_events"
        " WHERE stage = ? AND sensor != '' AND day = ? GROUP BY sensor, finger"
        " ORDER BY sensor, finger",
        (str(Stage.FINGER), day.isoformat()),
    )
    return [FingerRates(row[0], row[1], int(row[2]), int(row[3]), int(row[4])) for row in rows]


def sensor_alert_change(rates: SensorRates) -> AlertChange:
    """Raise the booth's alert for this sensor, or clear it."""
    if not rates.doubled:
        return AlertChange("clear", rates.booth_id, SENSOR_ALERT, subject=rates.sensor)
    detail = (
        f"retries per finger {rates.retry_rate or 0:.2f} today against "
        f"{rates.baseline_rate or 0:.2f} over the last {BASELINE_DAYS} days"
    )
    return AlertChange("raise", rates.booth_id, SENSOR_ALERT, subject=rates.sensor, detail=detail)

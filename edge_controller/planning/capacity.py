"""Measured capacity: residents one booth records in a working day, from the stage events.

The schedule sizes days by a configured minutes-per-resident until the office has
measured itself: once :data:`MIN_MEASURED_DAYS` days have records sealed (issue 21's
stage events), the median of residents sealed per booth and day over the last
:data:`WINDOW_DAYS` measured days replaces it. The coverage projection uses the same
figure for "with one more booth".
"""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
import statistics
from dataclasses import dataclass

from ektp.service_stages import Stage

MIN_MEASURED_DAYS = 5
"""Fewer measured days than this say nothing yet: the configured figures stay."""
WINDOW_DAYS = 20
"""The measured days (the most recent ones) the median is taken over."""


@dataclass(frozen=True)
class MeasuredCapacity:
    days: int
    """Office days (before the day asked about) with at least one record sealed."""
    per_booth_day: float | None
    """Median residents sealed per booth and day; None until enough days are measured."""

    def daily(self, booths: int) -> int | None:
        """Residents ``booths`` booths record in a day, as measured (None: not yet)."""
        if self.per_booth_day is None:
            return None
        return math.floor(self.per_booth_day * booths + 1e-9)


def measured_capacity(
    conn: sqlite3.Connection, before: dt.date, *, min_days: int = MIN_MEASURED_DAYS
) -> MeasuredCapacity:
    """Residents per booth-day over the last measured days before ``before``."""
    rows = conn.execute(
        "SELECT day, booth_id, COUNT(*) FROM stage_events WHERE stage = ? AND day < ?"
        " GROUP BY day, booth_id ORDER BY day DESC",
        (str(Stage.SEALED), before.isoformat()),
    ).fetchall()
    days = sorted({row[0] for row in rows}, reverse=True)
    recent = set(days[:WINDOW_DAYS])
    counts = [int(row[2]) for row in rows if row[0] in recent]
    if len(days) < min_days or not counts:
        return MeasuredCapacity(len(days), None)
    return MeasuredCapacity(len(days), float(statistics.median(counts)))


def booths_recording(conn: sqlite3.Connection, before: dt.date) -> int:
    """Booths that sealed records on the last measured day before ``before`` (at least 1)."""
    row = conn.execute(
        "SELECT COUNT(DISTINCT booth_id) FROM stage_events WHERE stage = ? AND day = "
        "(SELECT MAX(day) FROM stage_events WHERE stage = ? AND day < ?)",
        (str(Stage.SEALED), str(Stage.SEALED), before.isoformat()),
    ).fetchone()
    return max(1, int(row[0]))

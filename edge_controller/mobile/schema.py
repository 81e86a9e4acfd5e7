"""Schema of the tickets booths issued on mobile duty (see :mod:`edge_controller.mobile.stats`).

Kept apart so :mod:`edge_controller.ingest.db` can list the migration without importing more.
"""

MOBILE_STATS_SQL = """
CREATE TABLE mobile_tickets (          -- tickets a booth issued away from the office
    request_id TEXT PRIMARY KEY,         -- the booth's check-in event id
    booth_id TEXT NOT NULL,
    day TEXT NOT NULL,                   -- the booth's local ISO date
    number TEXT NOT NULL,                -- e.g. M-001
    service TEXT NOT NULL,
    kelurahan TEXT NOT NULL,
    priority INTEGER NOT NULL DEFAULT 0 CHECK (priority IN (0, 1)),
    checked_in_at TEXT NOT NULL,         -- ISO date-time, UTC
    called_at TEXT                       -- ISO date-time, UTC, once called
) WITHOUT ROWID;
CREATE INDEX mobile_tickets_by_day ON mobile_tickets (day, kelurahan);
CREATE TABLE mobile_events (
    event_id TEXT PRIMARY KEY,           -- booth events already merged (re-sends ignored)
    booth_id TEXT NOT NULL,
    merged_at TEXT NOT NULL
) WITHOUT ROWID;
"""

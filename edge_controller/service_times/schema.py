"""Schema step for the stages of residents' visits (imports nothing: ``ingest.db`` uses it)."""

STAGE_EVENTS_SQL = """
CREATE TABLE stage_events (
    event_id TEXT PRIMARY KEY,           -- the booth's event id (re-deliveries ignored)
    booth_id TEXT NOT NULL,
    stage TEXT NOT NULL,                 -- ektp.service_stages.Stage
    at TEXT NOT NULL,                    -- ISO date-time, UTC, as the booth stamped it
    day TEXT NOT NULL,                   -- office-local ISO date of ``at``
    visit TEXT NOT NULL DEFAULT '',      -- ticket number @ check-in time: one visit
    operator TEXT NOT NULL DEFAULT '',
    kelurahan TEXT NOT NULL DEFAULT '',
    sensor TEXT NOT NULL DEFAULT '',     -- finger stages: the sensor used
    finger TEXT NOT NULL DEFAULT '',
    retries INTEGER NOT NULL DEFAULT 0,
    outcome TEXT NOT NULL DEFAULT '',    -- finger: captured/exception; abandoned: the reason
    received_at TEXT NOT NULL            -- ISO date-time, UTC
) WITHOUT ROWID;
CREATE INDEX stage_events_by_day ON stage_events (day, stage);
CREATE INDEX stage_events_by_sensor ON stage_events (sensor, day) WHERE sensor != '';
"""

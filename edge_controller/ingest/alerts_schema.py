"""Schema step for office-level alerts (imports nothing: :mod:`edge_controller.ingest.db` uses it).

Booth alerts name their booth; office alerts (the power state unknown, the upstream
backlog gone stale) belong to no booth. SQLite cannot drop a ``NOT NULL`` in place, so
the ``alerts`` table is rebuilt with a nullable ``booth_id`` (``NULL`` = the office),
keeping every row and id. The power watcher's alert, stored before this step under the
made-up booth ``edge``, becomes an office alert.
"""

OFFICE_ALERTS_SQL = """
CREATE TABLE alerts_with_office (
    alert_id INTEGER PRIMARY KEY,
    booth_id TEXT,                       -- NULL: an office-level alert (power, upstream)
    kind TEXT NOT NULL,                  -- device_failed, silent, ups_unreachable, upstream_stale
    subject TEXT NOT NULL DEFAULT '',    -- the device, packet or code concerned
    detail TEXT NOT NULL DEFAULT '',
    raised_at TEXT NOT NULL,             -- ISO date-time, UTC
    cleared_at TEXT
);
INSERT INTO alerts_with_office (alert_id, booth_id, kind, subject, detail, raised_at, cleared_at)
SELECT alert_id,
       CASE WHEN booth_id = 'edge' AND kind = 'ups_unreachable' THEN NULL ELSE booth_id END,
       kind, subject, detail, raised_at, cleared_at
FROM alerts;
DROP TABLE alerts;
ALTER TABLE alerts_with_office RENAME TO alerts;
CREATE INDEX alerts_open ON alerts (booth_id, kind, subject) WHERE cleared_at IS NULL;
"""

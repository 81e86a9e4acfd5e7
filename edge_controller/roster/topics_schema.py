"""Schema of the roster digests the edge published (see :mod:`edge_controller.roster.publisher`).

Kept apart so :mod:`edge_controller.ingest.db` can list the migration without importing the roster.
"""

ROSTER_TOPICS_SQL = """
CREATE TABLE roster_topics (           -- retained office/roster/<slug> the edge published
    slug TEXT PRIMARY KEY,
    kelurahan TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,        -- of the entries, before salting
    entries INTEGER NOT NULL,
    published_at TEXT NOT NULL           -- ISO date-time, UTC
) WITHOUT ROWID;
"""

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

ROSTER_KEYS_SQL = """
CREATE TABLE roster_secrets (          -- the office roster secret (ektp.roster_keys)
    secret_id TEXT PRIMARY KEY,
    secret BLOB NOT NULL,                -- 32 random bytes; leaves the edge only sealed
    kdf_log2_n INTEGER NOT NULL,
    kdf_r INTEGER NOT NULL,
    kdf_p INTEGER NOT NULL,
    created_at TEXT NOT NULL,            -- ISO date-time, UTC
    retired_at TEXT                      -- NULL: the one in use
) WITHOUT ROWID;
CREATE TABLE roster_lookup_keys (      -- each resident's keys, made once per secret (slow)
    nik TEXT NOT NULL,
    secret_id TEXT NOT NULL,
    lookup_key TEXT NOT NULL,
    check_key TEXT NOT NULL,             -- hex; the key of the KK check
    PRIMARY KEY (nik, secret_id)
) WITHOUT ROWID;
ALTER TABLE queue_tickets ADD COLUMN resident_key TEXT NOT NULL DEFAULT '';
CREATE TABLE queue_refusals (          -- check-ins the queue did not number, and why
    request_id TEXT PRIMARY KEY,
    day TEXT NOT NULL,                   -- office-local ISO date
    booth_id TEXT NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL,               -- ektp msgid
    params TEXT NOT NULL DEFAULT '{}',   -- JSON
    existing_number TEXT,
    refused_at TEXT NOT NULL             -- ISO date-time, UTC
) WITHOUT ROWID;
"""
"""The office roster secret, the residents' look-up keys, and the queue by look-up key
(see :mod:`edge_controller.roster.secret` and :mod:`edge_controller.queue_check_in`)."""

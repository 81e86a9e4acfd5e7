"""The schema step for retired booth keys (:mod:`edge_controller.booths.keys`).

Apart from that module so :mod:`edge_controller.ingest.db` can list it without an import cycle
(``booth_keys`` needs ``db.transaction``).
"""

RETIRED_KEYS_SQL = """
CREATE TABLE booth_retired_keys (
    booth_id TEXT NOT NULL,
    key_id TEXT NOT NULL,                -- first 16 bytes (hex) of SHA-256 of the raw key
    public_key_pem TEXT NOT NULL,        -- the booth's former Ed25519 packet-signing key
    registered_at TEXT NOT NULL,         -- ISO date-time, UTC, when it became active
    retired_at TEXT NOT NULL,            -- ISO date-time, UTC; packets sealed later are refused
    PRIMARY KEY (booth_id, key_id)
) WITHOUT ROWID;
"""
"""Migration: retired booth keys (the active key stays in ``booth_keys``)."""

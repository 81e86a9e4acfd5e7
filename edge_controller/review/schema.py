"""Supervisor review (#10): the review tables (the ``[review]`` section is
:mod:`edge_controller.config.review`).

Kept apart from :mod:`edge_controller.review.holds` so :mod:`edge_controller.ingest.db` and
:mod:`edge_controller.upstream.store` can import it without importing the review logic.

A packet whose manifest carries review flags, or that the edge itself flags at
ingest (a new recording of a NIK already recorded), gets a ``reviews`` row in state
``held`` in the same transaction that stores it. The forwarder sends a packet only
when its review row says ``approved`` (or, with no row, when it carries no flag).
Every decision is appended to ``edge_audit``, hash-chained like the booth's audit log
(:mod:`ektp.audit_chain`), in the same transaction as the decision.
"""

from __future__ import annotations

REVIEWS_SQL = """
CREATE TABLE reviews (
    packet_id TEXT PRIMARY KEY REFERENCES ingested_packets (packet_id),
    booth_id TEXT NOT NULL,
    flags TEXT NOT NULL DEFAULT '[]',    -- JSON list of ReviewFlag values
    state TEXT NOT NULL DEFAULT 'held' CHECK (state IN ('held', 'approved', 'rejected')),
    held_at TEXT NOT NULL,               -- ISO date-time, UTC (when the edge stored it)
    decided_by TEXT,                     -- dashboard user name
    decided_at TEXT,                     -- ISO date-time, UTC
    comment TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX reviews_by_state ON reviews (state, held_at);
CREATE INDEX reviews_by_booth ON reviews (booth_id, decided_at);
INSERT INTO reviews (packet_id, booth_id, flags, held_at)
    SELECT packet_id, booth_id, review_flags, received_at FROM ingested_packets
    WHERE needs_review = 1 AND state = 'committed';
CREATE TABLE edge_audit (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,                    -- ISO date-time, UTC
    event TEXT NOT NULL,
    fields TEXT NOT NULL,                -- JSON object (ids, names, reasons; no secrets)
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
"""

FORWARDABLE_SQL = (
    "COALESCE((SELECT r.state = 'approved' FROM reviews r WHERE r.packet_id = p.packet_id),"
    " p.needs_review = 0)"
)
"""True for an ``ingested_packets p`` row the review lets go to central."""

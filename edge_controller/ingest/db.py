"""The edge controller's SQLite database: durable settings, numbered migrations, transactions.

Every connection runs in WAL mode with ``synchronous=FULL`` (a committed row survives
a power cut) and foreign keys on. The schema is built by :data:`MIGRATIONS`, applied
in order; ``PRAGMA user_version`` records how many have run, and each migration runs
in one transaction together with the version bump, so a failed one leaves the database
exactly as it was.

To add a migration: write its SQL next to the others below and append one line,
``Migration("what it adds", YOUR_SQL),`` to :data:`MIGRATIONS`. Never edit or reorder
a migration that has shipped.

Connections are in autocommit mode (``isolation_level=None``): a write that must be
atomic goes inside ``with transaction(conn):``.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from edge_controller.booths.events import BOOTH_EVENTS_SQL
from edge_controller.booths.key_migration import RETIRED_KEYS_SQL
from edge_controller.errors import EdgeError
from edge_controller.ingest.alerts_schema import OFFICE_ALERTS_SQL
from edge_controller.mobile.schema import MOBILE_STATS_SQL
from edge_controller.planning.coverage_counts import COVERAGE_COUNTS_SQL
from edge_controller.review.schema import REVIEWS_SQL
from edge_controller.roster.topics_schema import ROSTER_KEYS_SQL, ROSTER_TOPICS_SQL
from edge_controller.service_times.schema import STAGE_EVENTS_SQL
from edge_controller.training import TRAINING_SQL
from ektp.sqlite_store import open_durable

BUSY_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class Migration:
    """One schema step: a description for the log and a SQL script (no BEGIN/COMMIT)."""

    description: str
    sql: str


ROSTER_SQL = """
CREATE TABLE residents (
    nik TEXT PRIMARY KEY CHECK (length(nik) = 16),
    kk TEXT NOT NULL CHECK (length(kk) = 16),
    name TEXT NOT NULL,
    sex TEXT NOT NULL CHECK (sex IN ('male', 'female')),
    birth_date TEXT NOT NULL,            -- ISO date
    kelurahan TEXT NOT NULL,
    rt INTEGER NOT NULL CHECK (rt >= 0),
    rw INTEGER NOT NULL CHECK (rw >= 0),
    married INTEGER NOT NULL DEFAULT 0 CHECK (married IN (0, 1)),
    card_status TEXT NOT NULL DEFAULT 'not_recorded'  -- as the roster export says
) WITHOUT ROWID;
CREATE INDEX residents_by_place ON residents (kelurahan, rw, rt);
"""

RECORDINGS_SQL = """
CREATE TABLE recordings (
    nik TEXT PRIMARY KEY CHECK (length(nik) = 16),
    packet_id TEXT NOT NULL,
    booth_id TEXT NOT NULL,
    kelurahan TEXT NOT NULL,
    recorded_at TEXT NOT NULL            -- ISO date-time, office local time
);
CREATE INDEX recordings_by_day ON recordings (substr(recorded_at, 1, 10));
"""


BOOTH_KEYS_SQL = """
CREATE TABLE booth_keys (
    booth_id TEXT PRIMARY KEY,
    public_key_pem TEXT NOT NULL,        -- the booth's Ed25519 packet-signing key
    registered_at TEXT NOT NULL          -- ISO date-time, UTC
) WITHOUT ROWID;
"""

INGESTED_PACKETS_SQL = """
CREATE TABLE ingested_packets (
    packet_id TEXT PRIMARY KEY,          -- UUID, as in the manifest
    booth_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,                -- of the whole sealed packet
    size INTEGER NOT NULL,
    data BLOB NOT NULL,                  -- the sealed packet, byte for byte
    manifest TEXT NOT NULL,              -- the verified manifest as JSON (no biometrics)
    nik TEXT NOT NULL,
    kelurahan TEXT NOT NULL,
    review_flags TEXT NOT NULL DEFAULT '[]',   -- JSON list of ReviewFlag values
    needs_review INTEGER NOT NULL DEFAULT 0 CHECK (needs_review IN (0, 1)),
    received_at TEXT NOT NULL,           -- ISO date-time, UTC
    state TEXT NOT NULL DEFAULT 'committed'
        CHECK (state IN ('committed', 'forwarded', 'purged'))
);
CREATE INDEX ingested_packets_by_state ON ingested_packets (state, received_at);
"""

QUEUE_SQL = """
CREATE TABLE queue_tickets (
    ticket_id INTEGER PRIMARY KEY,
    day TEXT NOT NULL,                   -- office-local ISO date: numbers restart daily
    seq INTEGER NOT NULL,
    number TEXT NOT NULL,                -- e.g. A-001
    request_id TEXT NOT NULL UNIQUE,     -- the check-in event id (duplicates ignored)
    from_booth TEXT NOT NULL,
    service TEXT NOT NULL,
    nik TEXT NOT NULL,
    kk TEXT NOT NULL,
    kelurahan TEXT NOT NULL,
    priority INTEGER NOT NULL DEFAULT 0 CHECK (priority IN (0, 1)),
    checked_in_at TEXT NOT NULL,         -- ISO date-time with offset, as sent by the booth
    state TEXT NOT NULL DEFAULT 'waiting'
        CHECK (state IN ('waiting', 'called', 'done', 'expired')),
    called_by TEXT,
    called_at TEXT,                      -- ISO date-time, UTC
    UNIQUE (day, seq)
);
CREATE INDEX queue_tickets_by_state ON queue_tickets (state, priority, ticket_id);
CREATE TABLE queue_events (
    event_id TEXT PRIMARY KEY,           -- booth events already applied (QoS 1 re-deliveries)
    applied_at TEXT NOT NULL
) WITHOUT ROWID;
"""

ALERTS_SQL = """
CREATE TABLE alerts (
    alert_id INTEGER PRIMARY KEY,
    booth_id TEXT NOT NULL,
    kind TEXT NOT NULL,                  -- device_failed, device_errors, silent, outbox_growing
    subject TEXT NOT NULL DEFAULT '',    -- the device, packet or code concerned
    detail TEXT NOT NULL DEFAULT '',
    raised_at TEXT NOT NULL,             -- ISO date-time, UTC
    cleared_at TEXT
);
CREATE INDEX alerts_open ON alerts (booth_id, kind, subject) WHERE cleared_at IS NULL;
"""

USERS_SQL = """
CREATE TABLE users (
    username TEXT PRIMARY KEY CHECK (length(username) BETWEEN 1 AND 64),
    password_hash TEXT NOT NULL,         -- scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>
    role TEXT NOT NULL CHECK (role IN ('supervisor', 'operator')),
    display_name TEXT NOT NULL DEFAULT '',
    disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at TEXT NOT NULL             -- ISO date-time, UTC
) WITHOUT ROWID;
"""

POWER_SQL = """
CREATE TABLE power_events (
    event_id INTEGER PRIMARY KEY,
    source TEXT NOT NULL CHECK (source IN
        ('mains_lost', 'generator_on', 'battery_low', 'restored', 'ups_unreachable', 'shutdown')),
    started_at TEXT NOT NULL,            -- ISO date-time, UTC
    ended_at TEXT,                       -- NULL while it lasts; = started_at for instants
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX power_events_by_time ON power_events (started_at);
CREATE INDEX power_events_open ON power_events (source) WHERE ended_at IS NULL;
CREATE TABLE power_refusals (
    event_id TEXT PRIMARY KEY,           -- the booth event's id (re-deliveries ignored)
    booth_id TEXT NOT NULL,
    refused_at TEXT NOT NULL,            -- ISO date-time, UTC
    power_state TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX power_refusals_by_time ON power_refusals (refused_at);
"""

UPSTREAM_SQL = """
CREATE TABLE upstream_receipts (       -- central's signed receipts, kept for good
    packet_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('enrollment', 'telemetry')),
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    central_received_at TEXT NOT NULL,   -- ISO date-time, UTC, as central signed it
    receipt BLOB NOT NULL,               -- the receipt body, byte for byte
    signature BLOB NOT NULL,             -- central's Ed25519 signature over it
    stored_at TEXT NOT NULL              -- ISO date-time, UTC
) WITHOUT ROWID;
CREATE INDEX upstream_receipts_by_time ON upstream_receipts (stored_at);
CREATE TABLE upstream_uploads (        -- forwarding state of items sent at least once
    packet_id TEXT PRIMARY KEY,
    upload_url TEXT,                     -- central's tus upload URL, once known
    bytes_sent INTEGER NOT NULL DEFAULT 0,   -- body bytes sent, all attempts
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    held_code TEXT,                      -- central refused it for good: not re-sent
    not_before TEXT,                     -- ISO date-time, UTC: retry later (e.g. booth unknown)
    updated_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE upstream_telemetry (      -- the edge's own reports for central
    item_id TEXT PRIMARY KEY,            -- UUID
    name TEXT NOT NULL,
    payload BLOB NOT NULL,               -- canonical JSON; emptied when purged
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL,            -- ISO date-time, UTC
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'forwarded', 'purged'))
) WITHOUT ROWID;
CREATE INDEX upstream_telemetry_by_state ON upstream_telemetry (state, created_at);
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration("resident roster", ROSTER_SQL),
    Migration("recordings (one row per recorded resident)", RECORDINGS_SQL),
    Migration("booth packet-signing keys", BOOTH_KEYS_SQL),
    Migration("ingested packets (the edge's store before forwarding)", INGESTED_PACKETS_SQL),
    Migration("office queue tickets", QUEUE_SQL),
    Migration("booth alerts", ALERTS_SQL),
    Migration("dashboard users (supervisors and operators)", USERS_SQL),
    Migration("power events and captures refused for power (outage log)", POWER_SQL),
    Migration("upstream receipts, upload state and telemetry", UPSTREAM_SQL),
    Migration("office-level alerts (alerts.booth_id may be NULL)", OFFICE_ALERTS_SQL),
    Migration("retired booth keys (replaced units)", RETIRED_KEYS_SQL),
    Migration("roster digests published to the booths", ROSTER_TOPICS_SQL),
    Migration("tickets issued by booths on mobile duty", MOBILE_STATS_SQL),
    Migration("supervisor reviews of flagged records and the edge audit log", REVIEWS_SQL),
    Migration("operators' practice results (training mode)", TRAINING_SQL),
    Migration("booth events received, each id once", BOOTH_EVENTS_SQL),
    Migration("stages of residents' visits (service times)", STAGE_EVENTS_SQL),
    Migration("roster secret and look-up keys; queue by look-up key, refusals", ROSTER_KEYS_SQL),
    Migration("coverage counts kept by triggers (regency-size dashboard)", COVERAGE_COUNTS_SQL),
)
"""The schema, in order. Migration ``i`` (0-based) brings ``user_version`` to ``i + 1``."""


class MigrationError(EdgeError, RuntimeError):
    """The database is newer than this software, or a migration failed."""

    code = "database.migration"


PAGE_SIZE = 16384
"""Of a new database file: a ~60 KB packet spans 4 pages, not 16, so committing it takes
a quarter of the WAL writes and checkpoint copies (issue 20: ~30% less CPU per packet
row, group commits ~45% faster than with 4 KB pages)."""


def connect(
    path: Path | str,
    *,
    migrations: tuple[Migration, ...] = MIGRATIONS,
    check_same_thread: bool = True,
) -> sqlite3.Connection:
    """Open (creating if needed) the edge database and bring its schema up to date.

    Rows come back as :class:`sqlite3.Row`. Pass ``check_same_thread=False`` only when
    one connection is handed between threads that never use it at the same time.
    """
    conn = open_durable(
        path,
        busy_timeout_seconds=BUSY_TIMEOUT_MS / 1000,
        check_same_thread=check_same_thread,
        row_factory=sqlite3.Row,
        page_size=PAGE_SIZE,
    )
    try:
        apply_migrations(conn, migrations)
    except BaseException:
        conn.close()
        raise
    return conn


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def apply_migrations(conn: sqlite3.Connection, migrations: tuple[Migration, ...]) -> int:
    """Run the migrations not yet applied; returns the new schema version."""
    current = schema_version(conn)
    if current > len(migrations):
        raise MigrationError(
            "the database is at schema version {current}, newer than this software "
            "({known}); refusing to touch it",
            current=current,
            known=len(migrations),
        )
    for version, migration in enumerate(migrations[current:], start=current + 1):
        # executescript() would COMMIT first; BEGIN inside the script keeps the step
        # and its version bump in one transaction.
        script = f"BEGIN IMMEDIATE;\n{migration.sql}\nPRAGMA user_version = {version};\nCOMMIT;"
        try:
            conn.executescript(script)
        except sqlite3.Error as err:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise MigrationError(
                "migration {version} ({description}) failed: {cause}",
                version=version,
                description=migration.description,
                cause=str(err),
            ) from err
    return schema_version(conn)


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``; rolls back if the block raises."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")

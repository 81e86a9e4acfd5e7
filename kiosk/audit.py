"""The booth's hash-chained audit log (entry and chain: :mod:`ektp.audit_chain`).

Each entry stores the SHA-256 of the previous entry's hash and its own canonical
JSON, so removing or editing any entry breaks the chain from there on. Entries
carry ids, names of steps and reasons — never a PIN, never biometric bytes.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ektp.audit_chain import GENESIS, AuditEntry, chained_entry, check_fields, first_broken
from ektp.sqlite_store import Migration, open_durable
from ektp.sqlite_transaction import write_transaction

AUDIT_MIGRATIONS = (
    Migration(
        "the hash-chained audit table",
        "CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY, at TEXT NOT NULL,"
        " event TEXT NOT NULL, fields TEXT NOT NULL, prev_hash TEXT NOT NULL,"
        " hash TEXT NOT NULL)",
    ),
)


class AuditLog:
    """Append-only, hash-chained, durable (SQLite WAL, synchronous=FULL). Thread-safe."""

    def __init__(self, path: Path | str) -> None:
        self._lock = threading.Lock()
        self._db = open_durable(path, migrations=AUDIT_MIGRATIONS)

    def append(self, event: str, **fields: Any) -> AuditEntry:
        check_fields(fields)
        at = datetime.now(UTC).isoformat(timespec="milliseconds")
        with self._lock, write_transaction(self._db) as db:
            row = db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
            entry = chained_entry(prev, seq, at, event, fields)
            db.execute(
                "INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?)",
                (seq, at, event, json.dumps(fields, sort_keys=True), prev, entry.hash),
            )
        return entry

    def entries(self) -> Iterator[AuditEntry]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM audit ORDER BY seq").fetchall()
        for seq, at, event, fields, prev, digest in rows:
            yield AuditEntry(seq, at, event, json.loads(fields), prev, digest)

    def verify_chain(self) -> int | None:
        """The sequence number of the first broken entry, or None when the chain is whole."""
        return first_broken(self.entries())

    def close(self) -> None:
        with self._lock:
            self._db.close()

"""The edge's hash-chained audit log, in the edge database (table ``edge_audit``).

Same entry and chain as the booth's log (:mod:`ektp.audit_chain`). :func:`append_audit` runs
inside the caller's transaction, so an audited change and its entry commit together
or not at all. Entries carry ids, user names, decisions and reasons — never a key,
a PIN or biometric bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from typing import Any

from ektp.audit_chain import GENESIS, AuditEntry, chained_entry, check_fields, first_broken


def append_audit(
    conn: sqlite3.Connection, event: str, at: dt.datetime, **fields: Any
) -> AuditEntry:
    """Append one entry; call inside ``with transaction(conn):``."""
    check_fields(fields)
    if not conn.in_transaction:
        raise RuntimeError("append_audit must run inside the change's transaction")
    stamp = at.astimezone(dt.UTC).isoformat(timespec="milliseconds")
    row = conn.execute("SELECT seq, hash FROM edge_audit ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
    entry = chained_entry(prev, seq, stamp, event, fields)
    conn.execute(
        "INSERT INTO edge_audit (seq, at, event, fields, prev_hash, hash)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (seq, stamp, event, json.dumps(fields, sort_keys=True), prev, entry.hash),
    )
    return entry


def audit_entries(conn: sqlite3.Connection, event_prefix: str = "") -> Iterator[AuditEntry]:
    rows = conn.execute(
        "SELECT seq, at, event, fields, prev_hash, hash FROM edge_audit ORDER BY seq"
    ).fetchall()
    for seq, at, event, fields, prev, digest in rows:
        if event.startswith(event_prefix):
            yield AuditEntry(seq, at, event, json.loads(fields), prev, digest)


def verify_audit_chain(conn: sqlite3.Connection) -> int | None:
    """The sequence number of the first broken entry, or None when the chain is whole."""
    return first_broken(audit_entries(conn))

"""The forwarder's reads and writes in the edge database (tables of migration
"upstream receipts, upload state and telemetry" in :mod:`edge_controller.ingest.db`).

An item is an enrollment (a ``committed`` row of ``ingested_packets``) or a telemetry
report (a ``pending`` row of ``upstream_telemetry``). It becomes ``forwarded`` in the
same transaction that stores central's verified receipt, and ``purged`` (bytes
emptied, row and receipt kept) after the retention period — as is a record a
supervisor rejected, that long after the decision.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
import uuid
from dataclasses import dataclass
from typing import Any

from edge_controller.ingest.db import transaction
from edge_controller.review.schema import FORWARDABLE_SQL
from edge_controller.upstream.status import BacklogFigures
from ektp._json import canonical_json
from ektp.receipts import ItemKind, SignedReceipt


@dataclass(frozen=True)
class OutgoingItem:
    """One item waiting for central, as the forwarder picks it."""

    packet_id: str
    kind: ItemKind
    sha256: str
    size: int
    created_at: dt.datetime
    upload_url: str | None
    tried: bool


@dataclass(frozen=True)
class Backlog:
    count: int
    bytes: int
    enrollments: int
    telemetry: int
    held: int
    oldest_at: dt.datetime | None

    def figures(self, now: dt.datetime) -> BacklogFigures:
        """The backlog as the status and the page show it, its oldest item's age at ``now``."""
        oldest = self.oldest_at
        return BacklogFigures(
            backlog_count=self.count,
            backlog_bytes=self.bytes,
            backlog_enrollments=self.enrollments,
            backlog_telemetry=self.telemetry,
            held_count=self.held,
            oldest_unsent_at=oldest,
            oldest_unsent_age_seconds=(now - oldest).total_seconds() if oldest else None,
        )


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


_PENDING_ENROLLMENTS = f"""
SELECT p.packet_id, p.sha256, p.size, p.received_at AS created_at,
       u.upload_url, u.packet_id IS NOT NULL AS tried
FROM ingested_packets p LEFT JOIN upstream_uploads u ON u.packet_id = p.packet_id
WHERE p.state = 'committed' AND u.held_code IS NULL AND {FORWARDABLE_SQL}
  AND (u.not_before IS NULL OR u.not_before <= ?)
ORDER BY p.received_at, p.packet_id LIMIT ?
"""  # noqa: S608 - a constant; flagged records wait for a supervisor (review_schema)
_BACKLOG_ENROLLMENTS = f"""
SELECT COUNT(*), COALESCE(SUM(size), 0), MIN(received_at) FROM ingested_packets p
WHERE state = 'committed' AND {FORWARDABLE_SQL}
"""  # noqa: S608 - a constant
_PENDING_TELEMETRY = """
SELECT t.item_id AS packet_id, t.sha256, t.size, t.created_at,
       u.upload_url, u.packet_id IS NOT NULL AS tried
FROM upstream_telemetry t LEFT JOIN upstream_uploads u ON u.packet_id = t.item_id
WHERE t.state = 'pending' AND u.held_code IS NULL
  AND (u.not_before IS NULL OR u.not_before <= ?)
ORDER BY t.created_at, t.item_id LIMIT ?
"""


def next_batch(conn: sqlite3.Connection, limit: int, now: dt.datetime) -> list[OutgoingItem]:
    """Up to ``limit`` items, oldest first, every enrollment before any telemetry."""
    items: list[OutgoingItem] = []
    for kind, sql in (("enrollment", _PENDING_ENROLLMENTS), ("telemetry", _PENDING_TELEMETRY)):
        room = limit - len(items)
        if room <= 0:
            break
        for row in conn.execute(sql, (_iso(now), room)):
            items.append(
                OutgoingItem(
                    packet_id=row["packet_id"],
                    kind=kind,  # type: ignore[arg-type]
                    sha256=row["sha256"],
                    size=row["size"],
                    created_at=dt.datetime.fromisoformat(row["created_at"]),
                    upload_url=row["upload_url"],
                    tried=bool(row["tried"]),
                )
            )
    return items


def item_bytes(conn: sqlite3.Connection, item: OutgoingItem) -> bytes:
    if item.kind == "enrollment":
        row = conn.execute(
            "SELECT data FROM ingested_packets WHERE packet_id = ?", (item.packet_id,)
        ).fetchone()
    else:
        row = conn.execute(
            "SELECT payload FROM upstream_telemetry WHERE item_id = ?", (item.packet_id,)
        ).fetchone()
    return bytes(row[0]) if row is not None else b""


def begin_attempt(conn: sqlite3.Connection, packet_id: str, now: dt.datetime) -> None:
    """Noted (committed) before the first byte goes out, so a restart knows the item
    may exist at central and never re-sends bytes with its creation request."""
    conn.execute(
        "INSERT INTO upstream_uploads (packet_id, attempts, updated_at) VALUES (?, 1, ?)"
        " ON CONFLICT (packet_id) DO UPDATE SET attempts = attempts + 1,"
        " updated_at = excluded.updated_at",
        (packet_id, _iso(now)),
    )


def save_progress(
    conn: sqlite3.Connection,
    packet_id: str,
    *,
    upload_url: str | None,
    bytes_sent: int,
    error: str,
    now: dt.datetime,
) -> None:
    conn.execute(
        "UPDATE upstream_uploads SET upload_url = COALESCE(?, upload_url),"
        " bytes_sent = bytes_sent + ?, last_error = ?, updated_at = ? WHERE packet_id = ?",
        (upload_url, bytes_sent, error[:200], _iso(now), packet_id),
    )


def forget_upload_url(conn: sqlite3.Connection, packet_id: str) -> None:
    conn.execute("UPDATE upstream_uploads SET upload_url = NULL WHERE packet_id = ?", (packet_id,))


def hold(conn: sqlite3.Connection, packet_id: str, code: str, now: dt.datetime) -> None:
    """Central refused the item for good: keep it, never send it again by itself."""
    conn.execute(
        "UPDATE upstream_uploads SET held_code = ?, last_error = ?, updated_at = ?"
        " WHERE packet_id = ?",
        (code, code, _iso(now), packet_id),
    )


def held_by_code(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    """Items central refused for good, counted per refusal code (most first)."""
    rows = conn.execute(
        "SELECT held_code, COUNT(*) FROM upstream_uploads WHERE held_code IS NOT NULL"
        " GROUP BY held_code ORDER BY COUNT(*) DESC, held_code"
    )
    return [(str(code), int(count)) for code, count in rows]


def release_held(conn: sqlite3.Connection, now: dt.datetime, code: str | None = None) -> list[str]:
    """Send held items again, from scratch (all, or those held with ``code``); their ids."""
    rows = conn.execute(
        "UPDATE upstream_uploads SET held_code = NULL, not_before = NULL, upload_url = NULL,"
        " updated_at = ? WHERE held_code IS NOT NULL AND (? IS NULL OR held_code = ?)"
        " RETURNING packet_id",
        (_iso(now), code, code),
    ).fetchall()
    return sorted(str(row[0]) for row in rows)


def defer(
    conn: sqlite3.Connection, packet_id: str, code: str, until: dt.datetime, now: dt.datetime
) -> None:
    """Central refused the item for now: try again after ``until``, from scratch."""
    conn.execute(
        "UPDATE upstream_uploads SET not_before = ?, last_error = ?, upload_url = NULL,"
        " updated_at = ? WHERE packet_id = ?",
        (_iso(until), code, _iso(now), packet_id),
    )


def record_receipt(
    conn: sqlite3.Connection, item: OutgoingItem, signed: SignedReceipt, now: dt.datetime
) -> None:
    """Store the verified receipt and mark the item forwarded, in one transaction."""
    with transaction(conn):
        conn.execute(
            "INSERT INTO upstream_receipts (packet_id, kind, sha256, size, central_received_at,"
            " receipt, signature, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (packet_id) DO NOTHING",
            (
                item.packet_id,
                item.kind,
                item.sha256,
                item.size,
                _iso(signed.receipt.received_at),
                signed.body,
                signed.signature,
                _iso(now),
            ),
        )
        if item.kind == "enrollment":
            conn.execute(
                "UPDATE ingested_packets SET state = 'forwarded'"
                " WHERE packet_id = ? AND state = 'committed'",
                (item.packet_id,),
            )
        else:
            conn.execute(
                "UPDATE upstream_telemetry SET state = 'forwarded'"
                " WHERE item_id = ? AND state = 'pending'",
                (item.packet_id,),
            )


def purge_forwarded(conn: sqlite3.Connection, stored_before: dt.datetime) -> int:
    """Empty the bytes of items whose receipt was stored before ``stored_before``.

    Records a supervisor rejected before then are emptied too: they will never be
    sent, and their sealed biometrics have no business staying at the office. Rows,
    receipts, review decisions and the audit log are kept.
    """
    cutoff = _iso(stored_before)
    with transaction(conn):
        rejected = conn.execute(
            "UPDATE ingested_packets SET data = x'', state = 'purged' WHERE state = 'committed'"
            " AND packet_id IN (SELECT packet_id FROM reviews"
            " WHERE state = 'rejected' AND decided_at < ?)",
            (cutoff,),
        ).rowcount
        purged = conn.execute(
            "UPDATE ingested_packets SET data = x'', state = 'purged' WHERE state = 'forwarded'"
            " AND packet_id IN (SELECT packet_id FROM upstream_receipts WHERE stored_at < ?)",
            (cutoff,),
        ).rowcount
        purged += conn.execute(
            "UPDATE upstream_telemetry SET payload = x'', state = 'purged'"
            " WHERE state = 'forwarded'"
            " AND item_id IN (SELECT packet_id FROM upstream_receipts WHERE stored_at < ?)",
            (cutoff,),
        ).rowcount
    return int(purged + rejected)


def backlog(conn: sqlite3.Connection) -> Backlog:
    """Everything not yet forwarded (held items included: they are unsent too).

    Records waiting for a supervisor's review, or rejected by one, are not in it: they
    are not waiting for the link (the review pages count them).
    """
    enrollments, enrollment_bytes, oldest_enrollment = conn.execute(_BACKLOG_ENROLLMENTS).fetchone()
    telemetry, telemetry_bytes, oldest_telemetry = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(size), 0), MIN(created_at) FROM upstream_telemetry"
        " WHERE state = 'pending'"
    ).fetchone()
    held = conn.execute(
        "SELECT COUNT(*) FROM upstream_uploads WHERE held_code IS NOT NULL"
    ).fetchone()[0]
    oldest = [
        dt.datetime.fromisoformat(text)
        for text in (oldest_enrollment, oldest_telemetry)
        if text is not None
    ]
    return Backlog(
        count=int(enrollments + telemetry),
        bytes=int(enrollment_bytes + telemetry_bytes),
        enrollments=int(enrollments),
        telemetry=int(telemetry),
        held=int(held),
        oldest_at=min(oldest) if oldest else None,
    )


def last_receipt_at(conn: sqlite3.Connection) -> dt.datetime | None:
    row = conn.execute("SELECT MAX(stored_at) FROM upstream_receipts").fetchone()
    return dt.datetime.fromisoformat(row[0]) if row[0] is not None else None


def receipts_stored(conn: sqlite3.Connection) -> int:
    """Central's receipts kept here (one per item forwarded, purged or not)."""
    return int(conn.execute("SELECT COUNT(*) FROM upstream_receipts").fetchone()[0])


def enqueue_telemetry(
    conn: sqlite3.Connection, name: str, payload: dict[str, Any], now: dt.datetime
) -> str:
    """Queue one edge report for central (sent after every waiting enrollment).

    ``payload`` must be a JSON object with an integer ``"v"`` (central checks that).
    Returns the item id.
    """
    if type(payload.get("v")) is not int:
        raise ValueError('a telemetry payload needs an integer "v"')
    data = canonical_json({**payload, "name": name})
    item_id = str(uuid.uuid4())
    conn.execute(
        "INSERT INTO upstream_telemetry (item_id, name, payload, size, sha256, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (item_id, name, data, len(data), hashlib.sha256(data).hexdigest(), _iso(now)),
    )
    return item_id

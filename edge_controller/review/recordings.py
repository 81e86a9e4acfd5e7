"""A rejected record does not count as a recording.

The ingest notes a resident as recorded when the packet commits (before any review),
so coverage and the booths' roster digests see the day's work at once. When a
supervisor rejects that packet the note is withdrawn: the resident is not recorded
(coverage drops by one, the booths' digests say so within a minute, and the resident
can check in again to be recorded anew). If another packet of the same resident is
stored and not rejected — a second recording, held as ``already_recorded`` — that one
becomes the resident's recording.

Runs inside the decision's transaction (:func:`edge_controller.review.holds.decide`).
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from ektp.packet_models import PacketManifest


def withdraw_recording(conn: sqlite3.Connection, packet_id: str) -> bool:
    """Remove ``packet_id``'s recording, letting a surviving packet take over; True if removed."""
    row = conn.execute(
        "SELECT nik, recorded_at FROM recordings WHERE packet_id = ?", (packet_id,)
    ).fetchone()
    if row is None:
        return False  # a second recording: the resident's first one stands
    nik, recorded_at = row[0], dt.datetime.fromisoformat(row[1])
    conn.execute("DELETE FROM recordings WHERE packet_id = ?", (packet_id,))
    survivor = conn.execute(
        "SELECT p.packet_id, p.booth_id, p.kelurahan, p.manifest FROM ingested_packets p"
        " LEFT JOIN reviews r ON r.packet_id = p.packet_id"
        " WHERE p.nik = ? AND p.packet_id != ? AND coalesce(r.state, '') != 'rejected'"
        " ORDER BY p.received_at LIMIT 1",
        (nik, packet_id),
    ).fetchone()
    if survivor is not None:
        manifest = PacketManifest.model_validate_json(survivor[3])
        # the office's offset, as the ingest wrote it (WITA/WIB/WIT have no summer time)
        local = manifest.record.captured_at.astimezone(recorded_at.tzinfo)
        conn.execute(
            "INSERT INTO recordings (nik, packet_id, booth_id, kelurahan, recorded_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (nik, survivor[0], survivor[1], survivor[2], local.isoformat(timespec="seconds")),
        )
    return True

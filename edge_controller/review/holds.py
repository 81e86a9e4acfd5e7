"""Supervisor review of flagged records (#10): hold, decide, count.

* **hold** (:func:`hold_if_flagged`, called by the ingest inside its commit): a packet
  whose manifest carries review flags, or a new recording of a NIK the edge already
  recorded (flag ``already_recorded`` added here), gets a ``held`` row in ``reviews``.
  The forwarder's selection (:data:`edge_controller.review.schema.FORWARDABLE_SQL`)
  never picks a held or rejected packet.
* **decide** (:func:`decide`): a supervisor approves (the forwarder then sends it) or
  rejects with a comment (never forwarded; the resident no longer counts as recorded,
  :mod:`edge_controller.review.recordings`). The decision and its audit entry
  (:mod:`edge_controller.audit_log`) commit together.
* **count and tell**: :func:`backlog_message` (``office/reviews``) and
  :func:`decisions_message` (``booths/<id>/reviews``), published by
  :mod:`edge_controller.review.publisher`.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import uuid
from dataclasses import dataclass
from typing import Literal, Protocol

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from edge_controller.audit_log import append_audit
from edge_controller.ingest.db import transaction
from edge_controller.review.recordings import withdraw_recording
from ektp.errors import RekamError
from ektp.i18n import N_
from ektp.messages import ReviewBacklogMessage, ReviewDecision, ReviewDecisionsMessage
from ektp.nik import format_masked
from ektp.packet import PacketError, open_thumbnail
from ektp.packet_models import PacketManifest
from ektp.record import ReviewFlag
from ektp.services import ServiceType

Decision = Literal["approved", "rejected"]
MAX_COMMENT = 300


class ReviewError(RekamError):
    code = "review"


MSG_NOT_FOUND = N_("No record waits for review under this id")
MSG_DECIDED = N_("This record was already decided")
MSG_COMMENT = N_("A rejection needs a comment for the booth")


@dataclass(frozen=True)
class ReviewItem:
    """One flagged record as the review pages show it (no biometrics)."""

    packet_id: str
    booth_id: str
    flags: tuple[str, ...]
    state: str
    held_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    comment: str
    nik: str
    kelurahan: str

    @property
    def masked_nik(self) -> str:
        return format_masked(self.nik)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


class VerifiedFacts(Protocol):
    """What a hold needs of a verified packet, as the ingest already read it from the
    manifest (:class:`edge_controller.ingest.checks.VerifiedPacket`): no second parse."""

    @property
    def packet_id(self) -> str: ...
    @property
    def booth_id(self) -> str: ...
    @property
    def nik(self) -> str: ...
    @property
    def service(self) -> str: ...
    @property
    def flags(self) -> tuple[str, ...]: ...


def hold_if_flagged(
    conn: sqlite3.Connection, verified: VerifiedFacts, received_at: dt.datetime
) -> bool:
    """Hold a just-stored packet for review when it is flagged; True when held.

    Runs inside the ingest's transaction, before the recording is noted, so "already
    recorded" means another packet recorded this NIK before.
    """
    packet_id = verified.packet_id
    flags = list(verified.flags)
    if verified.service == ServiceType.NEW_RECORDING and ReviewFlag.ALREADY_RECORDED not in flags:
        earlier = conn.execute(
            "SELECT packet_id FROM recordings WHERE nik = ?", (verified.nik,)
        ).fetchone()
        if earlier is not None and earlier[0] != packet_id:
            flags.append(str(ReviewFlag.ALREADY_RECORDED))
    if not flags:
        return False
    inserted = conn.execute(
        "INSERT INTO reviews (packet_id, booth_id, flags, held_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (packet_id) DO NOTHING",
        (packet_id, verified.booth_id, json.dumps(flags), _iso(received_at)),
    ).rowcount
    if inserted:
        append_audit(
            conn, "review.held", received_at, packet=packet_id, booth=verified.booth_id, flags=flags
        )
    return True


_SELECT = """
SELECT r.packet_id, r.booth_id, r.flags, r.state, r.held_at, r.decided_by, r.decided_at,
       r.comment, p.nik, p.kelurahan
FROM reviews r JOIN ingested_packets p ON p.packet_id = r.packet_id
"""


def _item(row: sqlite3.Row) -> ReviewItem:
    return ReviewItem(
        packet_id=row["packet_id"],
        booth_id=row["booth_id"],
        flags=tuple(json.loads(row["flags"])),
        state=row["state"],
        held_at=dt.datetime.fromisoformat(row["held_at"]),
        decided_by=row["decided_by"],
        decided_at=dt.datetime.fromisoformat(row["decided_at"]) if row["decided_at"] else None,
        comment=row["comment"],
        nik=row["nik"],
        kelurahan=row["kelurahan"],
    )


def held_items(conn: sqlite3.Connection) -> list[ReviewItem]:
    """Records waiting for a supervisor, oldest first."""
    rows = conn.execute(_SELECT + " WHERE r.state = 'held' ORDER BY r.held_at, r.packet_id")
    return [_item(row) for row in rows]


def review_item(conn: sqlite3.Connection, packet_id: str) -> ReviewItem | None:
    row = conn.execute(_SELECT + " WHERE r.packet_id = ?", (_normal_id(packet_id),)).fetchone()
    return _item(row) if row is not None else None


def decided_between(
    conn: sqlite3.Connection, start: dt.datetime, end: dt.datetime
) -> list[ReviewItem]:
    """Decisions taken in ``[start, end)``, oldest first (the end-of-day view)."""
    rows = conn.execute(
        _SELECT + " WHERE r.state != 'held' AND r.decided_at >= ? AND r.decided_at < ?"
        " ORDER BY r.decided_at",
        (_iso(start), _iso(end)),
    )
    return [_item(row) for row in rows]


def manifest_of(conn: sqlite3.Connection, packet_id: str) -> PacketManifest | None:
    """The verified manifest the edge stored (ids, NIK, names, scores; no biometrics)."""
    row = conn.execute(
        "SELECT manifest FROM ingested_packets WHERE packet_id = ?", (_normal_id(packet_id),)
    ).fetchone()
    return PacketManifest.model_validate_json(row[0]) if row is not None else None


def thumbnail_of(
    conn: sqlite3.Connection, packet_id: str, review_key: X25519PrivateKey
) -> bytes | None:
    """The photo thumbnail sealed for the edge's review key, or None when there is none."""
    row = conn.execute(
        "SELECT p.data FROM ingested_packets p JOIN reviews r ON r.packet_id = p.packet_id"
        " WHERE p.packet_id = ?",
        (_normal_id(packet_id),),
    ).fetchone()
    if row is None or not row[0]:
        return None
    try:
        return open_thumbnail(bytes(row[0]), review_key)
    except PacketError:
        return None


def decide(
    conn: sqlite3.Connection,
    packet_id: str,
    decision: Decision,
    *,
    user: str,
    comment: str,
    now: dt.datetime,
) -> ReviewItem:
    """Approve or reject a held record; the decision and its audit entry commit together."""
    comment = comment.strip()[:MAX_COMMENT]
    if decision == "rejected" and not comment:
        raise ReviewError(MSG_COMMENT, code="review.comment_required")
    packet_id = _normal_id(packet_id)
    with transaction(conn):
        row = conn.execute(
            "SELECT booth_id, state, flags FROM reviews WHERE packet_id = ?", (packet_id,)
        ).fetchone()
        if row is None:
            raise ReviewError(MSG_NOT_FOUND, code="review.not_found")
        if row["state"] != "held":
            raise ReviewError(MSG_DECIDED, code="review.already_decided", state=row["state"])
        conn.execute(
            "UPDATE reviews SET state = ?, decided_by = ?, decided_at = ?, comment = ?"
            " WHERE packet_id = ?",
            (decision, user, _iso(now), comment, packet_id),
        )
        if decision == "rejected":
            withdraw_recording(conn, packet_id)  # the resident is not recorded after all
        append_audit(
            conn,
            f"review.{decision}",
            now,
            packet=packet_id,
            booth=row["booth_id"],
            by=user,
            comment=comment,
            flags=json.loads(row["flags"]),
        )
    item = review_item(conn, packet_id)
    assert item is not None
    return item


def backlog_message(
    conn: sqlite3.Connection, warn_above: int, now: dt.datetime
) -> ReviewBacklogMessage:
    count, oldest = conn.execute(
        "SELECT COUNT(*), MIN(held_at) FROM reviews WHERE state = 'held'"
    ).fetchone()
    return ReviewBacklogMessage(
        at=now,
        waiting=int(count),
        warn_above=warn_above,
        oldest_held_at=dt.datetime.fromisoformat(oldest) if oldest else None,
    )


def booths_with_decisions(conn: sqlite3.Connection, since: dt.datetime) -> list[str]:
    rows = conn.execute(
        "SELECT DISTINCT booth_id FROM reviews WHERE state != 'held' AND decided_at >= ?"
        " ORDER BY booth_id",
        (_iso(since),),
    )
    return [row[0] for row in rows]


def decisions_message(
    conn: sqlite3.Connection, booth_id: str, since: dt.datetime, now: dt.datetime, limit: int = 500
) -> ReviewDecisionsMessage:
    """The decisions on ``booth_id``'s records since ``since``, newest first."""
    rows = conn.execute(
        "SELECT packet_id, state, decided_at, comment, flags FROM reviews"
        " WHERE booth_id = ? AND state != 'held' AND decided_at >= ?"
        " ORDER BY decided_at DESC, packet_id LIMIT ?",
        (booth_id, _iso(since), limit),
    )
    decisions = tuple(
        ReviewDecision(
            packet_id=uuid.UUID(row["packet_id"]),
            decision=row["state"],
            decided_at=dt.datetime.fromisoformat(row["decided_at"]),
            comment=row["comment"],
            flags=tuple(json.loads(row["flags"]))[:16],
        )
        for row in rows
    )
    return ReviewDecisionsMessage(booth_id=booth_id, at=now, decisions=decisions)


def _normal_id(packet_id: str) -> str:
    try:
        return str(uuid.UUID(packet_id))
    except ValueError as err:
        raise ReviewError(MSG_NOT_FOUND, code="review.not_found") from err

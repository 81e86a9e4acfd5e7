"""Ingest: sealed packets from ``booths/<id>/enrollments``, committed once, then acked.

The order is the guarantee (DESIGN.md, "Enrollment lifecycle"):

1. **check** (off the event loop, :func:`check_packet`): size limit, the booth's
   keys (:mod:`edge_controller.booths.keys`: the active key, then the keys of replaced
   units, each valid for packets sealed before its retirement),
   :func:`ektp.packet.verify` with ``expected_booth_id`` = the booth named by the topic
   (the broker's ACL ties that topic to the certificate CN), so booth-01 cannot pass
   off a packet of booth-02.
2. **commit** (on the database thread, :func:`commit_checked`): every good packet of
   the batch in ONE transaction (group commit) — the packet row in
   ``ingested_packets`` (state ``committed``, for the forwarder) together with
   :func:`edge_controller.roster.store.record_enrollments`, so coverage counts exactly the
   packets stored.
3. **ack** (:func:`ack_messages`): only after that commit returned, one
   :class:`~ektp.messages.AckMessage` per booth on ``booths/<id>/acks``.

Exactly once in effect: a re-sent packet (same id, same bytes) is acked again and
stored once. The same id with other bytes is refused (``packet.id_conflict``) and the
stored packet is untouched. A packet that fails verification is refused for good:
its id, when it can be read, goes back in the ack's ``rejected`` list with the
:class:`~ektp.packet_models.PacketError` code so the booth stops re-sending it;
nothing is stored, the refusal is counted per booth and code and logged once. A
packet from a booth with no registered key is *not* refused for good (it may be
registered in a minute): it is counted, raises an ``unknown_booth`` alert, and gets
no ack, so the booth keeps re-sending it.

Crash safety: if the edge dies between receiving and committing, the booth never
got an ack and re-sends (after reconnect, or its ack timeout). A test injects a
``before_commit`` hook into :class:`~edge_controller.ingest.pipeline.IngestPipeline`
to SIGKILL the process at exactly that point.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import logging
import sqlite3
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from edge_controller.booths.keys import BoothKeyRing
from edge_controller.ingest.db import transaction
from edge_controller.ingest.packet_rows import (
    PacketRow,
    insert_packets,
    recorded_by,
    stored_hashes,
)
from edge_controller.review.holds import hold_if_flagged
from edge_controller.roster.store import Recording, record_enrollments
from ektp.messages import AckMessage, RejectedPacket
from ektp.packet import PacketError, VerifiedManifest, verify

log = logging.getLogger(__name__)

CODE_UNKNOWN_BOOTH = "booth.unknown"
CODE_ID_CONFLICT = "packet.id_conflict"
CODE_KEY_RETIRED = "booth.key_retired"
CODE_BAD_SIGNATURE = "packet.bad_signature"

Outcome = Literal["committed", "duplicate", "rejected", "unknown_booth"]


@dataclass(frozen=True)
class Incoming:
    """One message as received: the booth named by its topic and the raw bytes."""

    booth_id: str
    payload: bytes
    received_at: dt.datetime


class VerifiedPacket(NamedTuple):
    """What the commit needs of a packet that passed the checks, read once from its
    verified manifest where it was checked (a tuple: it crosses from the check process
    cheaply, where the edge would otherwise validate the whole manifest again)."""

    packet_id: str
    booth_id: str
    packet_sha256: str
    manifest_json: str
    """The manifest as the booth signed it (JSON), as stored."""
    nik: str
    kelurahan: str
    service: str
    flags: tuple[str, ...]
    captured_at: dt.datetime
    sealed_at: dt.datetime

    @classmethod
    def of(cls, verified: VerifiedManifest) -> VerifiedPacket:
        record = verified.record
        signed = verified.manifest_json
        return cls(
            str(verified.packet_id),
            verified.booth_id,
            verified.packet_sha256,
            signed.decode("utf-8") if signed else verified.manifest.model_dump_json(),
            record.nik,
            record.kelurahan,
            str(record.service),
            tuple(str(flag) for flag in record.flags),
            record.captured_at,
            verified.manifest.sealed_at,
        )


@dataclass(frozen=True)
class Checked:
    """A packet after :func:`check_packet`: verified, or refused with a code."""

    incoming: Incoming
    verified: VerifiedPacket | None
    packet_id: str | None
    code: str | None = None


@dataclass(frozen=True)
class IngestResult:
    """What became of one received packet."""

    booth_id: str
    packet_id: str | None
    outcome: Outcome
    code: str | None = None


@dataclass(frozen=True)
class StoredPacket:
    packet_id: str
    booth_id: str
    sha256: str
    size: int
    data: bytes
    manifest: dict[str, object]
    nik: str
    kelurahan: str
    review_flags: tuple[str, ...]
    received_at: dt.datetime
    state: str


def readable_packet_id(payload: bytes) -> str | None:
    """The packet id of a refused packet, if its envelope and manifest still parse.

    Used only to tell the booth *which* packet was refused; never trusted otherwise.
    """
    try:
        envelope = json.loads(payload)
        manifest = json.loads(base64.b64decode(envelope["manifest"], validate=True))
        return str(uuid.UUID(str(manifest["packet_id"])))
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
        return None


def check_packet(
    incoming: Incoming,
    booth_keys: BoothKeyRing | Ed25519PublicKey | None,
    *,
    max_size: int,
    retired_key_grace: dt.timedelta = dt.timedelta(0),
) -> Checked:
    """Verify one packet (CPU only, no database); never raises for a bad packet.

    ``booth_keys`` are the keys of the booth named by the topic (a bare key stands for
    a booth never replaced). The active key is tried first; when its signature does
    not match, the retired keys are (Ed25519 verification is cheap). A packet signed
    by a retired key passes only if it was sealed before that key's retirement plus
    ``retired_key_grace``; otherwise it is refused with ``booth.key_retired``.
    """
    if booth_keys is None:
        return Checked(incoming, None, readable_packet_id(incoming.payload), CODE_UNKNOWN_BOOTH)
    ring = (
        booth_keys
        if isinstance(booth_keys, BoothKeyRing)
        else BoothKeyRing.single(incoming.booth_id, booth_keys)
    )
    try:
        verified = _verify_with(incoming, ring.active.public_key, max_size)
    except PacketError as err:
        if err.code != CODE_BAD_SIGNATURE:
            return Checked(incoming, None, readable_packet_id(incoming.payload), err.code)
        return _check_retired(incoming, ring, max_size, retired_key_grace, err)
    return Checked(incoming, VerifiedPacket.of(verified), str(verified.packet_id))


def _verify_with(incoming: Incoming, key: Ed25519PublicKey, max_size: int) -> VerifiedManifest:
    return verify(
        incoming.payload,
        booth_public_key=key,
        max_size=max_size,
        expected_booth_id=incoming.booth_id,
    )


def _check_retired(
    incoming: Incoming,
    ring: BoothKeyRing,
    max_size: int,
    grace: dt.timedelta,
    active_error: PacketError,
) -> Checked:
    packet_id = readable_packet_id(incoming.payload)
    for old in ring.retired:
        try:
            verified = _verify_with(incoming, old.public_key, max_size)
        except PacketError as err:
            if err.code == CODE_BAD_SIGNATURE:
                continue
            return Checked(incoming, None, packet_id, err.code)
        assert old.retired_at is not None
        if verified.manifest.sealed_at > old.retired_at + grace:
            return Checked(incoming, None, packet_id, CODE_KEY_RETIRED)
        return Checked(incoming, VerifiedPacket.of(verified), str(verified.packet_id))
    return Checked(incoming, None, packet_id, active_error.code)


def commit_checked(
    conn: sqlite3.Connection, checked: Iterable[Checked], timezone: ZoneInfo
) -> list[IngestResult]:
    """Store every verified packet of the batch in one transaction; results in order.

    Which packets are already stored and which residents already recorded is asked
    once for the batch, and the packet rows go in together (:mod:`.packet_rows`); a
    packet the review hold may act on (flagged, or its resident recorded by another
    packet) is stored on its own, after everything before it, as it always was.
    """
    items = list(checked)
    verified = [item.verified for item in items if item.verified is not None]
    results: list[IngestResult] = []
    with transaction(conn):
        stored = stored_hashes(conn, [v.packet_id for v in verified])
        recorded = recorded_by(conn, [v.nik for v in verified])
        batch = _Batch(conn, timezone)
        for item in items:
            booth_id = item.incoming.booth_id
            packet = item.verified
            if packet is None:
                outcome: Outcome = (
                    "unknown_booth" if item.code == CODE_UNKNOWN_BOOTH else "rejected"
                )
                results.append(IngestResult(booth_id, item.packet_id, outcome, item.code))
                continue
            known = stored.get(packet.packet_id)
            if known is not None:
                same = known == packet.packet_sha256
                outcome, code = ("duplicate", None) if same else ("rejected", CODE_ID_CONFLICT)
                results.append(IngestResult(booth_id, packet.packet_id, outcome, code))
                continue
            stored[packet.packet_id] = packet.packet_sha256
            earlier = recorded.setdefault(packet.nik, packet.packet_id)
            batch.add(item, packet, may_hold=bool(packet.flags) or earlier != packet.packet_id)
            results.append(IngestResult(booth_id, packet.packet_id, "committed"))
        batch.flush()
    return results


class _Batch:
    """Packets to store, in order: rows wait to go in together until a packet the review
    hold may act on, which is stored (with its hold) once everything before it is."""

    def __init__(self, conn: sqlite3.Connection, timezone: ZoneInfo) -> None:
        self._conn = conn
        self._timezone = timezone
        self._waiting: list[tuple[Checked, VerifiedPacket]] = []

    def add(self, item: Checked, packet: VerifiedPacket, *, may_hold: bool) -> None:
        self._waiting.append((item, packet))
        if may_hold:
            self.flush(hold=True)

    def flush(self, *, hold: bool = False) -> None:
        """Store what waits; with ``hold``, the last one may be held for review (#10)."""
        waiting, self._waiting = self._waiting, []
        insert_packets(self._conn, [_packet_row(item, packet) for item, packet in waiting])
        zone = self._timezone
        recordings = [
            Recording(
                p.nik, p.packet_id, i.incoming.booth_id, p.kelurahan, p.captured_at.astimezone(zone)
            )
            for i, p in waiting
        ]
        if hold:  # before its own recording, after every earlier one
            record_enrollments(self._conn, recordings[:-1])
            item, packet = waiting[-1]
            hold_if_flagged(self._conn, packet, item.incoming.received_at)
            recordings = recordings[-1:]
        record_enrollments(self._conn, recordings)


def _packet_row(item: Checked, packet: VerifiedPacket) -> PacketRow:
    flags = list(packet.flags)
    return (
        packet.packet_id,
        item.incoming.booth_id,
        packet.packet_sha256,
        len(item.incoming.payload),
        item.incoming.payload,
        packet.manifest_json,
        packet.nik,
        packet.kelurahan,
        json.dumps(flags),
        int(bool(flags)),
        item.incoming.received_at.astimezone(dt.UTC).isoformat(),
    )


def ack_messages(results: Iterable[IngestResult]) -> dict[str, AckMessage]:
    """One ack per booth: committed and duplicate ids, and the refused ones with codes.

    Unknown-booth packets get nothing (the booth keeps re-sending until registered);
    refused packets whose id could not be read cannot be named either.
    """
    acked: dict[str, list[uuid.UUID]] = {}
    rejected: dict[str, list[RejectedPacket]] = {}
    for result in results:
        if result.packet_id is None or result.outcome == "unknown_booth":
            continue
        packet_id = uuid.UUID(result.packet_id)
        if result.outcome == "rejected":
            code = result.code or "packet.rejected"
            rejected.setdefault(result.booth_id, []).append(
                RejectedPacket(packet_id=packet_id, code=code)
            )
        else:
            acked.setdefault(result.booth_id, []).append(packet_id)
    return {
        booth_id: AckMessage(
            booth_id=booth_id,
            packet_ids=tuple(dict.fromkeys(acked.get(booth_id, ()))),
            rejected=tuple(rejected.get(booth_id, ())),
        )
        for booth_id in sorted(set(acked) | set(rejected))
    }


class RejectionCounter:
    """Refusals per (booth, code), since the edge started (for the dashboard/metrics)."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()

    def add(self, booth_id: str, code: str) -> None:
        self._counts[(booth_id, code)] += 1

    def count(self, booth_id: str | None = None, code: str | None = None) -> int:
        return sum(
            n
            for (booth, reason), n in self._counts.items()
            if (booth_id is None or booth == booth_id) and (code is None or reason == code)
        )

    def as_dict(self) -> dict[str, dict[str, int]]:
        table: dict[str, dict[str, int]] = {}
        for (booth, reason), n in sorted(self._counts.items()):
            table.setdefault(booth, {})[reason] = n
        return table


def stored_packet(conn: sqlite3.Connection, packet_id: str) -> StoredPacket | None:
    """A packet as the edge stored it, or None."""
    row = conn.execute(
        "SELECT * FROM ingested_packets WHERE packet_id = ?", (packet_id,)
    ).fetchone()
    if row is None:
        return None
    return StoredPacket(
        packet_id=row["packet_id"],
        booth_id=row["booth_id"],
        sha256=row["sha256"],
        size=row["size"],
        data=bytes(row["data"]),
        manifest=json.loads(row["manifest"]),
        nik=row["nik"],
        kelurahan=row["kelurahan"],
        review_flags=tuple(json.loads(row["review_flags"])),
        received_at=dt.datetime.fromisoformat(row["received_at"]),
        state=row["state"],
    )


def count_packets(conn: sqlite3.Connection, booth_id: str | None = None) -> int:
    if booth_id is None:
        return int(conn.execute("SELECT COUNT(*) FROM ingested_packets").fetchone()[0])
    return int(
        conn.execute(
            "SELECT COUNT(*) FROM ingested_packets WHERE booth_id = ?", (booth_id,)
        ).fetchone()[0]
    )

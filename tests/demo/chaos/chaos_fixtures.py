"""A small made-up chaos run for the checker tests: real booth keys, real sealed packets in
real outboxes with their journals, and central's store (its real schema and file
layout) filled by hand, so a test can doctor it: drop a packet, store one twice,
change bytes."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from central.store import SCHEMA
from demo.chaos.checker import BoothEvidence, Verdict, check_delivery
from demo.chaos.enrollments import enrollment_parts, enrollment_record
from demo.chaos.evidence import (
    JOURNAL_NAME,
    OUTBOX_NAME,
    SERIAL_META_KEY,
    Journal,
    JournalEntry,
)
from kiosk.keys import load_or_create_signing_key, public_key_pem
from kiosk.outbox.store import Outbox
from kiosk.sealing import PacketSealer

SEED = 7


@dataclass(frozen=True)
class Sealed:
    booth_id: str
    serial: int
    packet_id: str
    data: bytes


@dataclass
class MiniRun:
    root: Path
    booth_ids: tuple[str, ...] = ("booth-01", "booth-02")
    central_key: X25519PrivateKey = field(default_factory=X25519PrivateKey.generate)
    evidence: list[BoothEvidence] = field(default_factory=list)
    sealers: dict[str, PacketSealer] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for booth_id in self.booth_ids:
            directory = self.root / booth_id
            key = load_or_create_signing_key(directory / "keys" / "booth-signing.pem")
            self.sealers[booth_id] = PacketSealer(
                booth_id=booth_id,
                signing_key=key,
                central_public_key=self.central_key.public_key(),
            )
            self.evidence.append(
                BoothEvidence(
                    booth_id, directory / JOURNAL_NAME, directory / OUTBOX_NAME, public_key_pem(key)
                )
            )
        conn = sqlite3.connect(self.central_data / "central.sqlite3")
        conn.executescript(SCHEMA)
        conn.close()

    @property
    def central_data(self) -> Path:
        path = self.root / "central"
        path.mkdir(exist_ok=True)
        return path

    def booth(self, booth_id: str) -> BoothEvidence:
        return next(b for b in self.evidence if b.booth_id == booth_id)

    def seal(self, booth_id: str, serial: int, parts: dict[str, bytes] | None = None) -> Sealed:
        index = self.booth_ids.index(booth_id)
        record = enrollment_record(booth_id, index, serial)
        sealed = self.sealers[booth_id].seal(
            record, parts or enrollment_parts(SEED, booth_id, serial)
        )
        return Sealed(booth_id, serial, sealed.packet_id, sealed.data)

    def commit(self, packet: Sealed, *, journal: bool = True) -> Sealed:
        """What a chaos booth does: outbox commit, then the journal line."""
        booth = self.booth(packet.booth_id)
        with Outbox(booth.outbox) as outbox:
            outbox.commit(packet.packet_id, packet.data, {SERIAL_META_KEY: packet.serial})
        if journal:
            digest = hashlib.sha256(packet.data).hexdigest()
            Journal(booth.journal).append(JournalEntry(packet.serial, packet.packet_id, digest))
        return packet

    def enroll(self, booth_id: str, serial: int) -> Sealed:
        return self.commit(self.seal(booth_id, serial))

    def store_at_central(self, packet: Sealed, *, folder: str | None = None) -> Path:
        """Central stored it: the file in packets/<booth>/ and its row."""
        path = self.central_data / "packets" / (folder or packet.booth_id)
        path.mkdir(parents=True, exist_ok=True)
        path /= f"{packet.packet_id}.packet"
        path.write_bytes(packet.data)
        if folder is None:
            conn = sqlite3.connect(self.central_data / "central.sqlite3")
            with conn:
                conn.execute(
                    "INSERT INTO packets (packet_id, kind, booth_id, sha256, size, path,"
                    " bytes_received, received_at, receipt_body, receipt_signature)"
                    " VALUES (?, 'enrollment', ?, ?, ?, ?, ?, '2026-03-10T01:00:00+00:00',"
                    " x'00', x'00')",
                    (
                        packet.packet_id,
                        packet.booth_id,
                        hashlib.sha256(packet.data).hexdigest(),
                        len(packet.data),
                        str(path),
                        len(packet.data),
                    ),
                )
            conn.close()
        return path

    def central_sql(self, sql: str, *args: object) -> None:
        conn = sqlite3.connect(self.central_data / "central.sqlite3")
        with conn:
            conn.execute(sql, args)
        conn.close()

    def outbox_sql(self, booth_id: str, sql: str, *args: object) -> None:
        conn = sqlite3.connect(self.booth(booth_id).outbox)
        with conn:
            conn.execute(sql, args)
        conn.close()

    def check(self) -> Verdict:
        return check_delivery(self.evidence, self.central_data, self.central_key, SEED)

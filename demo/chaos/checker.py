"""After the storm: what was committed at the booths against what central stored.

* **committed** — every packet a booth promised: each journal line (written only after
  the outbox commit returned) and every packet its outbox holds.
* **lost** — committed and not stored at central (no row, or the row's file is gone);
  a journaled packet that its own outbox no longer holds is lost as well.
* **duplicated** — one enrollment stored more than once at central. Central's table
  keys rows by packet id, so that alone could never show a duplicate: the checker
  also groups central's rows by the resident's NIK read from each stored manifest (an
  enrollment re-sealed under a new packet id), and counts the packet files on disk
  per packet id (a copy in a second folder).
* **events** — every check-in, ticket call and card delivery of every committed
  enrollment at the edge exactly once: :mod:`demo.chaos.events`.
* **corrupted** — a central copy whose bytes differ from what the booth committed
  (file hash, row hash), that fails verification with the booth's key, whose
  content does not decrypt with central's key to the enrollment's own parts, or that
  no booth ever committed; and a journal line whose hash differs from the outbox's.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from demo.chaos.enrollments import enrollment_parts
from demo.chaos.evidence import (
    CentralRow,
    central_packet_files,
    central_rows,
    outbox_rows,
    read_journal,
)
from demo.chaos.findings import Findings
from ektp.packet import PacketError, open_sealed, verify
from kiosk.keys import load_booth_public_key


@dataclass(frozen=True)
class BoothEvidence:
    booth_id: str
    journal: Path
    outbox: Path
    public_key_pem: bytes


@dataclass(frozen=True)
class Committed:
    booth_id: str
    serial: int
    packet_id: str
    sha256: str


@dataclass
class Verdict(Findings):
    enrollments: int = 0
    committed_packets: int = 0
    stored_at_central: int = 0
    lost: int = 0
    duplicated: int = 0
    corrupted: int = 0

    @property
    def clean(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and self.corrupted == 0


def committed_packets(
    booths: list[BoothEvidence], verdict: Verdict
) -> tuple[dict[str, Committed], set[str]]:
    """Packet id → what a booth committed (journal ∪ outbox), and the ids a booth lost."""
    committed: dict[str, Committed] = {}
    lost_at_booth: set[str] = set()
    for booth in booths:
        in_outbox = {row.packet_id: row for row in outbox_rows(booth.outbox)}
        for entry in read_journal(booth.journal):
            row = in_outbox.get(entry.packet_id)
            if row is None:
                lost_at_booth.add(entry.packet_id)
                verdict.note(f"{booth.booth_id}: journaled {entry.packet_id} is not in the outbox")
            elif row.sha256 != entry.sha256:
                verdict.corrupted += 1
                verdict.note(f"{booth.booth_id}: the outbox copy of {entry.packet_id} changed")
            committed[entry.packet_id] = Committed(
                booth.booth_id, entry.serial, entry.packet_id, entry.sha256
            )
        for row in in_outbox.values():
            if row.packet_id not in committed and row.serial is not None:
                committed[row.packet_id] = Committed(
                    booth.booth_id, row.serial, row.packet_id, row.sha256
                )
    return committed, lost_at_booth


def committed_enrollments(committed: dict[str, Committed]) -> set[tuple[str, int]]:
    """(booth id, serial) of every enrollment a booth committed a packet for."""
    return {(promise.booth_id, promise.serial) for promise in committed.values()}


def check_delivery(
    booths: list[BoothEvidence],
    central_data: Path,
    central_private_key: X25519PrivateKey,
    seed: int,
) -> Verdict:
    """Compare the booths' commitments with central's store (see the module docstring)."""
    verdict = Verdict()
    committed, lost_at_booth = committed_packets(booths, verdict)
    verdict.committed_packets = len(committed)
    verdict.enrollments = len({(c.booth_id, c.serial) for c in committed.values()})
    keys = {booth.booth_id: load_booth_public_key(booth.public_key_pem) for booth in booths}
    rows = {row.packet_id: row for row in central_rows(central_data)}
    verdict.stored_at_central = len(rows)

    for packet_id, promise in committed.items():
        row = rows.get(packet_id)
        if row is None or not row.path.exists():
            verdict.lost += 1
            if packet_id not in lost_at_booth:
                verdict.note(f"{promise.booth_id}: {packet_id} never reached central")

    residents: Counter[tuple[str, str]] = Counter()
    for row in rows.values():
        if not row.path.exists():
            continue  # lost (above)
        outcome = _check_stored(row, committed.get(row.packet_id), keys, central_private_key, seed)
        if isinstance(outcome, Corrupt):
            verdict.corrupted += 1
            verdict.note(f"central: {row.packet_id} {outcome.reason}")
        else:
            residents[(row.booth_id or "", outcome)] += 1
    for (booth_id, _nik), copies in residents.items():
        if copies > 1:
            verdict.duplicated += copies - 1
            verdict.note(f"central: one enrollment of {booth_id} stored {copies} times")
    for packet_id, files in central_packet_files(central_data).items():
        if len(files) > 1:
            verdict.duplicated += len(files) - 1
            verdict.note(f"central: {packet_id} stored in {len(files)} files")
    return verdict


@dataclass(frozen=True)
class Corrupt:
    reason: str


def _check_stored(
    row: CentralRow,
    promise: Committed | None,
    keys: dict[str, Ed25519PublicKey],
    central_private_key: X25519PrivateKey,
    seed: int,
) -> str | Corrupt:
    """The stored resident's NIK when the copy is sound, else why it is corrupt."""
    if promise is None:
        return Corrupt("is stored at central but no booth committed it")
    data = row.path.read_bytes()
    if hashlib.sha256(data).hexdigest() != promise.sha256 or row.sha256 != promise.sha256:
        return Corrupt("differs from the bytes the booth committed")
    try:
        verified = verify(
            data, booth_public_key=keys[promise.booth_id], expected_booth_id=promise.booth_id
        )
        parts = open_sealed(data, central_private_key)
    except PacketError as err:
        return Corrupt(f"fails verification ({err.code})")
    expected = enrollment_parts(seed, promise.booth_id, promise.serial)
    if dict(parts) != expected:
        return Corrupt("does not hold the enrollment's own content")
    return verified.record.nik

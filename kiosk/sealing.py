"""Seal a finished enrollment for central and sign it with the booth key."""

from __future__ import annotations

from collections.abc import Mapping

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from ektp.packet import seal
from ektp.record import EnrollmentRecord
from kiosk.flow.session import SealedRecord


class PacketSealer:
    """The capture flow's ``Sealer``: biometrics encrypted for central, manifest signed."""

    def __init__(
        self,
        *,
        booth_id: str,
        signing_key: Ed25519PrivateKey,
        central_public_key: X25519PublicKey,
    ) -> None:
        self._booth_id = booth_id
        self._signing_key = signing_key
        self._central_public_key = central_public_key

    def seal(self, record: EnrollmentRecord, parts: Mapping[str, bytes]) -> SealedRecord:
        packet = seal(
            record,
            parts,
            booth_id=self._booth_id,
            booth_signing_key=self._signing_key,
            central_public_key=self._central_public_key,
        )
        meta = {
            "kelurahan": record.kelurahan,
            "service": str(record.service),
            "size": len(packet.data),
            "flags": [str(f) for f in record.flags],
        }
        return SealedRecord(packet_id=str(packet.packet_id), data=packet.data, outbox_meta=meta)

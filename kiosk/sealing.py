"""Seal a finished enrollment for central and sign it with the booth key.

With the edge's review key configured (``[edge] review_public_key_path``), a small
JPEG thumbnail of the photo is sealed as a second blob for the edge only, so a
supervisor can see the face of a flagged record; the biometrics stay sealed for central.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import cv2
import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from ektp.packet import MAX_THUMBNAIL_BYTES, seal
from ektp.packet_models import PHOTO_PART
from ektp.record import EnrollmentRecord
from kiosk.config.booth import EdgeLink
from kiosk.flow.session import SealedRecord
from kiosk.keys import load_central_public_key

log = logging.getLogger(__name__)
THUMBNAIL_SIZE = (160, 213)  # width, height: the 3:4 photo at a third of 480×640


def edge_review_key(edge: EdgeLink | None) -> X25519PublicKey | None:
    """The edge's review key from the booth config, or None when none is configured."""
    if edge is None or edge.review_public_key_path is None:
        return None
    return load_central_public_key(edge.review_public_key_path)  # any X25519 public PEM


def make_thumbnail(photo_jpeg: bytes, quality: int = 80) -> bytes | None:
    """A small JPEG of the photo, or None when the photo does not decode."""
    image = cv2.imdecode(np.frombuffer(photo_jpeg, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        return None
    small = cv2.resize(image, THUMBNAIL_SIZE, interpolation=cv2.INTER_AREA)
    ok, encoded = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok or len(encoded) > MAX_THUMBNAIL_BYTES:
        return None
    return encoded.tobytes()


class PacketSealer:
    """The capture flow's ``Sealer``: biometrics encrypted for central, manifest signed."""

    def __init__(
        self,
        *,
        booth_id: str,
        signing_key: Ed25519PrivateKey,
        central_public_key: X25519PublicKey,
        edge_public_key: X25519PublicKey | None = None,
    ) -> None:
        self._booth_id = booth_id
        self._signing_key = signing_key
        self._central_public_key = central_public_key
        self._edge_public_key = edge_public_key

    def seal(self, record: EnrollmentRecord, parts: Mapping[str, bytes]) -> SealedRecord:
        thumbnail = None
        if self._edge_public_key is not None and PHOTO_PART in parts:
            thumbnail = make_thumbnail(parts[PHOTO_PART])
            if thumbnail is None:
                log.warning("no thumbnail: the photo does not decode")
        packet = seal(
            record,
            parts,
            booth_id=self._booth_id,
            booth_signing_key=self._signing_key,
            central_public_key=self._central_public_key,
            edge_public_key=self._edge_public_key if thumbnail is not None else None,
            thumbnail=thumbnail,
        )
        meta = {
            "kelurahan": record.kelurahan,
            "service": str(record.service),
            "size": len(packet.data),
            "flags": [str(f) for f in record.flags],
        }
        return SealedRecord(packet_id=str(packet.packet_id), data=packet.data, outbox_meta=meta)

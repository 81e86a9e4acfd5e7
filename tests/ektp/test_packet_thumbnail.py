"""The photo thumbnail sealed for the edge's review key (#10): the supervisor sees the
face, the edge never sees the biometrics, and central's opening is unchanged."""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass

import cv2
import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from ektp._json import canonical_json
from ektp.kk import build_kk
from ektp.nik import Sex, build_nik
from ektp.packet import open_sealed, open_thumbnail, seal, verify
from ektp.packet_models import PHOTO_PART, SIGNATURE_PART, PacketError
from ektp.record import EnrollmentRecord, ReviewFlag
from ektp.services import ServiceType

BOOTH = "booth-01"
WITA = dt.timezone(dt.timedelta(hours=8))


def _jpeg(width: int, height: int) -> bytes:
    gradient = np.linspace(0, 255, width * height * 3).astype(np.uint8)
    ok, encoded = cv2.imencode(".jpg", gradient.reshape(height, width, 3))
    assert ok
    return encoded.tobytes()


def _record() -> EnrollmentRecord:
    started = dt.datetime(2026, 3, 10, 9, 0, tzinfo=WITA)
    return EnrollmentRecord(
        nik=build_nik("640306", dt.date(1990, 2, 14), Sex.FEMALE, 7),
        kk=build_kk("640306", dt.date(2010, 1, 1), 7),
        name="Siti Aminah",
        kelurahan="Sambakungan",
        service=ServiceType.NEW_RECORDING,
        operator_id="op-0001",
        booth_id=BOOTH,
        capture_started_at=started,
        captured_at=started + dt.timedelta(minutes=8),
        flags=(ReviewFlag.NOT_IN_ROSTER,),
    )


@dataclass(frozen=True)
class Keys:
    booth: Ed25519PrivateKey
    central: X25519PrivateKey
    edge: X25519PrivateKey


@pytest.fixture
def keys() -> Keys:
    return Keys(
        Ed25519PrivateKey.generate(), X25519PrivateKey.generate(), X25519PrivateKey.generate()
    )


@pytest.fixture
def parts() -> dict[str, bytes]:
    return {PHOTO_PART: _jpeg(480, 640), SIGNATURE_PART: b"\x89PNG" + b"s" * 300}


def _seal(keys: Keys, parts: dict[str, bytes], thumbnail: bytes) -> bytes:
    return seal(
        _record(),
        parts,
        booth_id=BOOTH,
        booth_signing_key=keys.booth,
        central_public_key=keys.central.public_key(),
        edge_public_key=keys.edge.public_key(),
        thumbnail=thumbnail,
    ).data


def test_the_edge_opens_the_thumbnail_and_central_the_biometrics(
    keys: Keys, parts: dict[str, bytes]
) -> None:
    thumbnail = _jpeg(160, 213)
    data = _seal(keys, parts, thumbnail)
    verified = verify(data, booth_public_key=keys.booth.public_key())
    assert set(verified.manifest.blobs) == {"biometrics", "thumbnail"}
    assert open_thumbnail(data, keys.edge) == thumbnail
    opened = open_sealed(data, keys.central)
    assert dict(opened) == parts  # the thumbnail is not one of central's parts


def test_the_biometrics_stay_closed_to_the_edge_and_the_thumbnail_to_others(
    keys: Keys, parts: dict[str, bytes]
) -> None:
    data = _seal(keys, parts, _jpeg(160, 213))
    with pytest.raises(PacketError) as edge_opening_biometrics:
        open_sealed(data, keys.edge)
    assert edge_opening_biometrics.value.code == "packet.no_recipient"
    for stranger in (keys.central, X25519PrivateKey.generate()):
        with pytest.raises(PacketError) as refused:
            open_thumbnail(data, stranger)
        assert refused.value.code == "packet.no_recipient"


def test_a_packet_without_thumbnail_has_none_to_open(keys: Keys, parts: dict[str, bytes]) -> None:
    data = seal(
        _record(),
        parts,
        booth_id=BOOTH,
        booth_signing_key=keys.booth,
        central_public_key=keys.central.public_key(),
    ).data
    with pytest.raises(PacketError) as refused:
        open_thumbnail(data, keys.edge)
    assert refused.value.code == "packet.no_recipient"


def test_a_changed_thumbnail_blob_is_rejected_at_ingest(
    keys: Keys, parts: dict[str, bytes]
) -> None:
    data = _seal(keys, parts, _jpeg(160, 213))
    envelope = json.loads(data)
    blob = bytearray(base64.b64decode(envelope["blobs"]["thumbnail"]))
    blob[10] ^= 0x01
    envelope["blobs"]["thumbnail"] = base64.b64encode(bytes(blob)).decode()
    with pytest.raises(PacketError) as refused:
        verify(canonical_json(envelope), booth_public_key=keys.booth.public_key())
    assert refused.value.code == "packet.ciphertext_hash"


def test_the_thumbnail_needs_the_edge_key_and_stays_small(
    keys: Keys, parts: dict[str, bytes]
) -> None:
    with pytest.raises(ValueError, match="edge key"):
        seal(
            _record(),
            parts,
            booth_id=BOOTH,
            booth_signing_key=keys.booth,
            central_public_key=keys.central.public_key(),
            thumbnail=_jpeg(160, 213),
        )
    with pytest.raises(ValueError, match="thumbnail exceeds"):
        _seal(keys, parts, b"\xff" * (70 * 1024))


def test_the_kiosk_makes_a_160_by_213_thumbnail() -> None:
    from kiosk.sealing import make_thumbnail  # noqa: PLC0415 - the kiosk's half of the pair

    thumbnail = make_thumbnail(_jpeg(480, 640))
    assert thumbnail is not None
    image = cv2.imdecode(np.frombuffer(thumbnail, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    assert image.shape[:2] == (213, 160)
    assert make_thumbnail(b"not a jpeg") is None

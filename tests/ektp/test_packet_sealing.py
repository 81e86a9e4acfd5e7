"""Sealed packets: what the edge accepts, what it refuses and why, what central opens."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from ektp_samples import BOOTH_ID, make_record

from ektp._json import canonical_json
from ektp.packet import (
    _SIGNATURE_CONTEXT,
    SealedPacket,
    open_sealed,
    seal,
    verify,
)
from ektp.packet_keys import public_key_id
from ektp.packet_models import PacketError, template_part
from ektp.record import FINGER_ORDER, EnrollmentRecord, Finger


def envelope_of(packet: bytes) -> dict[str, object]:
    return json.loads(packet)


def refusal(booth_key: Ed25519PrivateKey, packet: bytes, **checks: Any) -> PacketError:
    """The error ``verify`` refuses ``packet`` with (it must refuse it)."""
    with pytest.raises(PacketError) as caught:
        verify(packet, booth_public_key=booth_key.public_key(), **checks)
    return caught.value


def resigned(
    envelope: dict[str, object], manifest: dict[str, object], key: Ed25519PrivateKey
) -> bytes:
    """The envelope with a changed manifest, correctly signed by ``key``."""
    manifest_bytes = canonical_json(manifest)
    signature = key.sign(_SIGNATURE_CONTEXT + manifest_bytes)
    envelope = dict(envelope)
    envelope["manifest"] = base64.b64encode(manifest_bytes).decode()
    envelope["signature"] = base64.b64encode(signature).decode()
    return canonical_json(envelope)


def manifest_of(packet: bytes) -> dict[str, object]:
    return json.loads(base64.b64decode(envelope_of(packet)["manifest"]))  # type: ignore[arg-type]


def test_edge_accepts_an_untouched_packet(
    sealed: SealedPacket, booth_key: Ed25519PrivateKey, record: EnrollmentRecord
) -> None:
    verified = verify(
        sealed.data, booth_public_key=booth_key.public_key(), expected_booth_id=BOOTH_ID
    )
    assert verified.packet_id == sealed.packet_id
    assert verified.booth_id == BOOTH_ID
    assert verified.record == record
    assert verified.record.nik == "6403065402900001"
    assert set(verified.manifest.parts) >= {"photo", "signature", "template.right_thumb"}
    assert envelope_of(sealed.data)["v"] == 1


def test_central_opens_photo_ten_templates_and_signature(
    sealed: SealedPacket,
    central_key: X25519PrivateKey,
    booth_key: Ed25519PrivateKey,
    biometrics: dict[str, bytes],
) -> None:
    opened = open_sealed(sealed, central_key, booth_public_key=booth_key.public_key())
    assert dict(opened) == biometrics
    assert opened.photo is not None
    assert opened.photo.startswith(b"\xff\xd8")
    assert opened.signature == biometrics["signature"]
    assert all(opened.template(finger) for finger in FINGER_ORDER)
    assert "\\x" not in repr(opened)  # no bytes in the repr


def test_biometrics_are_not_readable_without_the_central_key(
    sealed: SealedPacket, biometrics: dict[str, bytes]
) -> None:
    assert biometrics["photo"] not in sealed.data
    assert base64.b64encode(biometrics["photo"][:48]) not in sealed.data
    assert biometrics[template_part(Finger.RIGHT_THUMB)][:32] not in sealed.data
    with pytest.raises(PacketError) as caught:
        open_sealed(sealed.data, X25519PrivateKey.generate())
    assert caught.value.code == "packet.no_recipient"


def test_packet_signed_by_another_booth_is_refused(sealed: SealedPacket) -> None:
    with pytest.raises(PacketError) as caught:
        verify(sealed.data, booth_public_key=Ed25519PrivateKey.generate().public_key())
    assert caught.value.code == "packet.bad_signature"
    assert "kunci booth" in caught.value.localized("id")


def test_forged_manifest_signed_by_another_key_is_refused(
    sealed: SealedPacket, booth_key: Ed25519PrivateKey
) -> None:
    manifest = manifest_of(sealed.data)
    manifest["record"]["nik"] = "6403061408850123"  # type: ignore[index]
    forged = resigned(envelope_of(sealed.data), manifest, Ed25519PrivateKey.generate())
    assert refusal(booth_key, forged).code == "packet.bad_signature"


def test_packet_for_another_booth_topic_is_refused(
    sealed: SealedPacket, booth_key: Ed25519PrivateKey
) -> None:
    refused = refusal(booth_key, sealed.data, expected_booth_id="booth-02")
    assert refused.code == "packet.booth_mismatch"


@pytest.mark.parametrize("version", [0, 2, "1", True, None])
def test_unknown_envelope_version_is_refused(
    sealed: SealedPacket, booth_key: Ed25519PrivateKey, version: object
) -> None:
    envelope = envelope_of(sealed.data)
    envelope["v"] = version
    assert refusal(booth_key, canonical_json(envelope)).code == "packet.unknown_version"


def test_unknown_manifest_version_is_refused_even_when_signed(
    sealed: SealedPacket, booth_key: Ed25519PrivateKey
) -> None:
    manifest = manifest_of(sealed.data)
    manifest["v"] = 2
    packet = resigned(envelope_of(sealed.data), manifest, booth_key)
    assert refusal(booth_key, packet).code == "packet.unknown_version"


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda m: m.update(extra="field"), "extra"),
        (lambda m: m["record"].update(nik="12"), "record.nik"),
        (lambda m: m.pop("parts"), "parts"),
        (lambda m: m["blobs"]["biometrics"].update(cipher="DES"), "blobs"),
        (lambda m: m.update(booth_id="booth-02"), "booth"),
    ],
)
def test_signed_manifest_with_wrong_schema_is_refused(
    sealed: SealedPacket, booth_key: Ed25519PrivateKey, change: object, where: str
) -> None:
    manifest = manifest_of(sealed.data)
    change(manifest)  # type: ignore[operator]
    packet = resigned(envelope_of(sealed.data), manifest, booth_key)
    assert refusal(booth_key, packet).code == "packet.manifest_schema"


@pytest.mark.parametrize(
    "change",
    [
        lambda e: e.update(extra="x"),
        lambda e: e.pop("signature"),
        lambda e: e.update(blobs=["not", "a", "map"]),
        lambda e: e.update(blobs={}),
    ],
)
def test_envelope_with_wrong_schema_is_refused(
    sealed: SealedPacket, booth_key: Ed25519PrivateKey, change: object
) -> None:
    envelope = envelope_of(sealed.data)
    change(envelope)  # type: ignore[operator]
    assert refusal(booth_key, canonical_json(envelope)).code == "packet.schema"


def test_a_second_blob_not_in_the_manifest_is_refused(
    sealed: SealedPacket, booth_key: Ed25519PrivateKey
) -> None:
    envelope = envelope_of(sealed.data)
    envelope["blobs"]["thumbnail"] = "AAAA"  # type: ignore[index]
    assert refusal(booth_key, canonical_json(envelope)).code == "packet.manifest_schema"


def test_same_meaning_in_other_spelling_is_refused(
    sealed: SealedPacket, booth_key: Ed25519PrivateKey
) -> None:
    pretty = json.dumps(envelope_of(sealed.data), indent=1).encode()
    assert refusal(booth_key, pretty).code == "packet.not_canonical"


def test_oversize_packet_is_refused_before_parsing(
    sealed: SealedPacket, booth_key: Ed25519PrivateKey
) -> None:
    refused = refusal(booth_key, sealed.data, max_size=len(sealed.data) - 1)
    assert refused.code == "packet.oversize"
    assert str(len(sealed.data)) in refused.localized("id")


def test_not_json_and_cut_short(sealed: SealedPacket, booth_key: Ed25519PrivateKey) -> None:
    public = booth_key.public_key()
    for garbage, code in [
        (b"\x00\xff\xfe", "packet.malformed"),
        (b"[1, 2]", "packet.schema"),
        (sealed.data[: len(sealed.data) // 2], "packet.truncated"),
        (sealed.data[:-1], "packet.truncated"),
        (b"", "packet.truncated"),
    ]:
        with pytest.raises(PacketError) as caught:
            verify(garbage, booth_public_key=public)
        assert caught.value.code == code, garbage[:20]


def test_seal_refuses_a_record_from_another_booth(
    booth_key: Ed25519PrivateKey, central_key: X25519PrivateKey, biometrics: dict[str, bytes]
) -> None:
    with pytest.raises(ValueError, match="another booth"):
        seal(
            make_record(booth_id="booth-02"),
            biometrics,
            booth_id=BOOTH_ID,
            booth_signing_key=booth_key,
            central_public_key=central_key.public_key(),
        )


@pytest.mark.parametrize("parts", [{}, {"Photo": b"x"}, {"../etc": b"x"}, {"photo": "text"}])
def test_seal_refuses_bad_parts(
    booth_key: Ed25519PrivateKey, central_key: X25519PrivateKey, parts: dict[str, bytes]
) -> None:
    with pytest.raises((ValueError, TypeError)):
        seal(
            make_record(),
            parts,
            booth_id=BOOTH_ID,
            booth_signing_key=booth_key,
            central_public_key=central_key.public_key(),
        )


def test_each_seal_uses_fresh_keys_and_ids(
    record: EnrollmentRecord,
    biometrics: dict[str, bytes],
    booth_key: Ed25519PrivateKey,
    central_key: X25519PrivateKey,
) -> None:
    kwargs = {
        "booth_id": BOOTH_ID,
        "booth_signing_key": booth_key,
        "central_public_key": central_key.public_key(),
    }
    first, second = seal(record, biometrics, **kwargs), seal(record, biometrics, **kwargs)  # type: ignore[arg-type]
    assert first.packet_id != second.packet_id
    recipients = [p.manifest.blobs["biometrics"].recipients[0] for p in (first, second)]
    assert recipients[0].wrapped_key != recipients[1].wrapped_key
    assert recipients[0].key_id == public_key_id(central_key.public_key())
    chosen = uuid.UUID(int=7)
    assert seal(record, biometrics, packet_id=chosen, **kwargs).packet_id == chosen  # type: ignore[arg-type]

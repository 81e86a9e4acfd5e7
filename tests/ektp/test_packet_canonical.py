"""The quick reading of canonical packets (issue 20) accepts and refuses exactly as before.

:mod:`ektp.packet_canonical` reads a canonical envelope by slicing and a manifest
without the depth walk; anything else takes the full path. Here: every other spelling
of a packet is still refused with its old reason, the quick readers never accept what
the full rules refuse, and base64 is taken in its canonical spelling only.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from ektp._json import JsonProblem, canonical_json, strict_loads
from ektp.packet import _SIGNATURE_CONTEXT, MAX_MANIFEST_BYTES, SealedPacket, verify
from ektp.packet_canonical import quick_manifest, read_canonical_envelope
from ektp.packet_models import PacketError, PacketManifest, b64decode_exact


def refusal_code(packet: bytes, booth_key: Ed25519PrivateKey) -> str:
    with pytest.raises(PacketError) as caught:
        verify(packet, booth_public_key=booth_key.public_key())
    return caught.value.code


def signed_with_manifest(
    sealed: SealedPacket, manifest_bytes: bytes, key: Ed25519PrivateKey
) -> bytes:
    """The packet with these manifest bytes (any spelling), correctly signed."""
    envelope = json.loads(sealed.data)
    envelope["manifest"] = base64.b64encode(manifest_bytes).decode()
    envelope["signature"] = base64.b64encode(key.sign(_SIGNATURE_CONTEXT + manifest_bytes)).decode()
    return canonical_json(envelope)


def full_envelope(data: bytes) -> tuple[bytes, bytes, dict[str, bytes]] | None:
    """The envelope by the full rules (strict JSON, canonical, exact base64), or None."""
    try:
        envelope = strict_loads(data)
        if canonical_json(envelope) != data or set(envelope) != {
            "v",
            "manifest",
            "signature",
            "blobs",
        }:
            return None
        blobs = {name: b64decode_exact(text, name) for name, text in envelope["blobs"].items()}
        manifest = b64decode_exact(envelope["manifest"], "manifest")
        return manifest, b64decode_exact(envelope["signature"], "signature"), blobs
    except (JsonProblem, PacketError, AttributeError, TypeError):
        return None


def flip_last_bit(text: str) -> str:
    """The same bytes in a non-canonical base64 spelling (an unused bit set)."""
    body = text.rstrip("=")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    return body[:-1] + alphabet[alphabet.index(body[-1]) + 1] + text[len(body) :]


def test_a_booths_packet_is_read_quickly_and_as_the_full_rules_read_it(
    sealed: SealedPacket,
) -> None:
    quick = read_canonical_envelope(sealed.data, MAX_MANIFEST_BYTES)
    assert quick is not None
    assert quick == full_envelope(sealed.data)
    manifest = quick_manifest(quick[0])
    assert manifest == PacketManifest.model_validate(strict_loads(quick[0]))


@pytest.mark.parametrize(
    ("respell", "code"),
    [
        (lambda d: d.replace(b'"v":1}', b'"v":1.0}'), "packet.unknown_version"),
        (lambda d: d.replace(b'"v":1}', b'"v":true}'), "packet.unknown_version"),
        (lambda d: d + b"\n", "packet.not_canonical"),
        (lambda d: d.replace(b'","signature"', b'", "signature"'), "packet.not_canonical"),
        (lambda d: d.replace(b"/", b"\\/", 1), "packet.not_canonical"),
        (lambda d: d.replace(b'"biometrics"', b'"biometric\\u0073"'), "packet.not_canonical"),
        (lambda d: d.replace(b'"manifest":"', b'"manifest":"', 1) + b" ", "packet.not_canonical"),
    ],
)
def test_other_spellings_of_the_envelope_keep_their_refusal(
    sealed: SealedPacket, booth_key: Ed25519PrivateKey, respell: Any, code: str
) -> None:
    respelled = respell(sealed.data)
    assert respelled != sealed.data
    assert read_canonical_envelope(respelled, MAX_MANIFEST_BYTES) is None
    assert refusal_code(respelled, booth_key) == code


@pytest.mark.parametrize("field", ["manifest", "signature"])
def test_a_non_canonical_base64_field_is_refused(
    sealed: SealedPacket, booth_key: Ed25519PrivateKey, field: str
) -> None:
    envelope = json.loads(sealed.data)
    envelope[field] = flip_last_bit(envelope[field])
    packet = canonical_json(envelope)
    assert read_canonical_envelope(packet, MAX_MANIFEST_BYTES) is None
    assert refusal_code(packet, booth_key) == "packet.bad_encoding"


def test_envelope_keys_out_of_order_or_twice_are_refused(
    sealed: SealedPacket, booth_key: Ed25519PrivateKey
) -> None:
    envelope = json.loads(sealed.data)
    blob = envelope["blobs"]["biometrics"]
    twice = sealed.data.replace(
        b'{"blobs":{"biometrics":"',
        b'{"blobs":{"biometrics":"' + blob.encode() + b'","biometrics":"',
    )
    assert refusal_code(twice, booth_key) == "packet.malformed"  # a duplicate key
    unsorted = (
        b'{"blobs":{"zz":"AAAA","biometrics":"' + sealed.data[len(b'{"blobs":{"biometrics":"') :]
    )
    assert read_canonical_envelope(unsorted, MAX_MANIFEST_BYTES) is None
    assert refusal_code(unsorted, booth_key) == "packet.not_canonical"


@pytest.mark.parametrize(
    ("respell", "code"),
    [
        # a key twice: refused, though the schema alone would take the last one
        (lambda m: m[:-1] + b',"booth_id":"booth-01"}', "packet.manifest_schema"),
        (lambda m: m.replace(b'"sealed_at"', b'"extra":NaN,"sealed_at"'), "packet.manifest_schema"),
        # too deep: the JSON is refused before its version is looked at, as before
        (
            lambda m: m.replace(b'"v":1', b'"v":2,"x":' + b"[" * 20 + b"]" * 20),
            "packet.manifest_schema",
        ),
        (lambda m: m.replace(b'"v":1', b'"v":2'), "packet.unknown_version"),
        (lambda m: b"\xff" + m, "packet.manifest_schema"),
    ],
)
def test_signed_manifests_in_other_spellings_keep_their_refusal(
    sealed: SealedPacket, booth_key: Ed25519PrivateKey, respell: Any, code: str
) -> None:
    manifest_bytes = respell(canonical_json(sealed.manifest.model_dump(mode="json")))
    assert quick_manifest(manifest_bytes) is None
    packet = signed_with_manifest(sealed, manifest_bytes, booth_key)
    assert refusal_code(packet, booth_key) == code


def test_a_signed_manifest_in_another_valid_spelling_is_still_accepted(
    sealed: SealedPacket, booth_key: Ed25519PrivateKey
) -> None:
    pretty = json.dumps(sealed.manifest.model_dump(mode="json"), indent=2).encode()
    packet = signed_with_manifest(sealed, pretty, booth_key)
    verified = verify(packet, booth_public_key=booth_key.public_key())
    assert verified.manifest == sealed.manifest
    assert verified.manifest_json == pretty  # stored as signed


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_the_quick_reader_never_takes_what_the_full_rules_refuse(
    sealed: SealedPacket, data: st.DataObject
) -> None:
    packet = bytearray(sealed.data)
    for _ in range(data.draw(st.integers(1, 3))):
        index = data.draw(st.integers(0, len(packet) - 1))
        action = data.draw(st.sampled_from(["set", "insert", "delete"]))
        byte = data.draw(st.sampled_from(b'"\\,:{}=/+Aa0 \x00\xff'))
        if action == "set":
            packet[index] = byte
        elif action == "insert":
            packet.insert(index, byte)
        else:
            del packet[index]
    mutated = bytes(packet)
    quick = read_canonical_envelope(mutated, MAX_MANIFEST_BYTES)
    assert quick is None or quick == full_envelope(mutated)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet='AQgw/+=B9 \\"é', max_size=12))
def test_base64_is_taken_in_its_canonical_spelling_only(text: str) -> None:
    try:
        expected: bytes | None = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        expected = None
    if expected is not None and base64.b64encode(expected).decode() != text:
        expected = None
    try:
        decoded: bytes | None = b64decode_exact(text, "field")
    except PacketError:
        decoded = None
    assert decoded == expected

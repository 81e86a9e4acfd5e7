"""Property tests: no mutation of a sealed packet is ever accepted; seal → open is lossless."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from ektp_samples import BOOTH_ID, make_record
from hypothesis import given, settings
from hypothesis import strategies as st

from ektp.packet import SealedPacket, open_sealed, seal, verify
from ektp.packet_models import PacketError


def assert_rejected(packet: bytes, booth_key: Ed25519PrivateKey) -> PacketError:
    with pytest.raises(PacketError) as caught:
        verify(packet, booth_public_key=booth_key.public_key())
    return caught.value


def test_every_byte_with_a_flipped_bit_is_rejected(
    sealed: SealedPacket, booth_key: Ed25519PrivateKey
) -> None:
    """Exhaustive over positions: byte i gets bit i % 8 flipped."""
    data = sealed.data
    codes = set()
    for index in range(len(data)):
        mutated = bytearray(data)
        mutated[index] ^= 1 << (index % 8)
        codes.add(assert_rejected(bytes(mutated), booth_key).code)
    # The whole envelope is covered: structure, encoding, signature and ciphertext hash.
    assert {"packet.bad_signature", "packet.ciphertext_hash"} <= codes


@given(data=st.data())
def test_random_single_bit_flip_is_rejected(
    sealed: SealedPacket, booth_key: Ed25519PrivateKey, data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(sealed.data) - 1))
    bit = data.draw(st.integers(0, 7))
    mutated = bytearray(sealed.data)
    mutated[index] ^= 1 << bit
    assert_rejected(bytes(mutated), booth_key)


@given(data=st.data())
def test_random_truncation_is_rejected(
    sealed: SealedPacket, booth_key: Ed25519PrivateKey, data: st.DataObject
) -> None:
    cut = data.draw(st.integers(0, len(sealed.data) - 1))
    error = assert_rejected(sealed.data[:cut], booth_key)
    assert error.code in {"packet.truncated", "packet.malformed"}


@given(data=st.data())
def test_random_byte_mutations_are_rejected(
    sealed: SealedPacket, booth_key: Ed25519PrivateKey, data: st.DataObject
) -> None:
    mutated = bytearray(sealed.data)
    positions = st.integers(0, len(mutated) - 1)
    for index in data.draw(st.lists(positions, min_size=1, max_size=4, unique=True)):
        mutated[index] ^= data.draw(st.integers(1, 255))  # a different byte each time
    if data.draw(st.booleans()):  # also insert or delete a byte
        index = data.draw(st.integers(0, len(mutated) - 1))
        if data.draw(st.booleans()):
            del mutated[index]
        else:
            mutated.insert(index, data.draw(st.integers(0, 255)))
    assert_rejected(bytes(mutated), booth_key)


@given(st.binary(max_size=300))
def test_random_bytes_are_rejected_with_a_reason(
    booth_key: Ed25519PrivateKey, garbage: bytes
) -> None:
    assert assert_rejected(garbage, booth_key).code.startswith("packet.")


@given(data=st.data())
def test_open_with_signature_check_rejects_mutations(
    sealed: SealedPacket,
    booth_key: Ed25519PrivateKey,
    central_key: X25519PrivateKey,
    data: st.DataObject,
) -> None:
    index = data.draw(st.integers(0, len(sealed.data) - 1))
    mutated = bytearray(sealed.data)
    mutated[index] ^= 1 << data.draw(st.integers(0, 7))
    with pytest.raises(PacketError):
        open_sealed(bytes(mutated), central_key, booth_public_key=booth_key.public_key())


part_names = st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,20}", fullmatch=True)


@settings(max_examples=60)
@given(st.dictionaries(part_names, st.binary(max_size=2000), min_size=1, max_size=12))
def test_seal_then_open_gives_the_same_biometrics(
    booth_key: Ed25519PrivateKey, central_key: X25519PrivateKey, parts: dict[str, bytes]
) -> None:
    packet = seal(
        make_record(),
        parts,
        booth_id=BOOTH_ID,
        booth_signing_key=booth_key,
        central_public_key=central_key.public_key(),
    )
    verified = verify(packet.data, booth_public_key=booth_key.public_key())
    assert set(verified.manifest.parts) == set(parts)
    assert dict(open_sealed(packet.data, central_key)) == parts

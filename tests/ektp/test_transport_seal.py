"""The booth→edge transport envelope: opens only as the booth's message under the office key."""

from __future__ import annotations

import uuid

import pytest

from ektp.roster_keys import RosterSecret
from ektp.transport_seal import OVERHEAD, TransportKey, TransportSealError, is_sealed

SECRET = RosterSecret(bytes(range(32)))
PACKET = b'{"blobs":{},"manifest":"nik 6403065402900001 kk 6403060101100001","v":1}'


def sealed(booth_id: str = "booth-01", message_id: uuid.UUID | None = None) -> bytes:
    return TransportKey(SECRET).seal(booth_id, message_id or uuid.UUID(int=7), PACKET)


def refusal(booth_id: str, envelope: bytes, secret: RosterSecret = SECRET) -> str:
    with pytest.raises(TransportSealError) as caught:
        TransportKey(secret).open(booth_id, envelope)
    return caught.value.code


def test_the_envelope_opens_to_the_packet_unchanged_with_its_message_id() -> None:
    envelope = sealed(message_id=uuid.UUID(int=42))

    opened = TransportKey(SECRET).open("booth-01", envelope)

    assert opened.payload == PACKET
    assert opened.message_id == uuid.UUID(int=42)
    assert len(envelope) == len(PACKET) + OVERHEAD
    assert is_sealed(envelope)
    assert not is_sealed(PACKET)


def test_nothing_of_the_resident_is_readable_in_the_envelope() -> None:
    envelope = sealed()
    assert b"6403065402900001" not in envelope
    assert b"6403060101100001" not in envelope
    assert b"manifest" not in envelope


def test_each_seal_differs_though_the_packet_is_the_same() -> None:
    assert sealed() != sealed()


def test_another_booth_cannot_pass_the_envelope_off_as_its_own() -> None:
    assert refusal("booth-02", sealed("booth-01")) == "transport.unreadable"


def test_a_changed_message_id_or_any_flipped_bit_is_refused() -> None:
    envelope = bytearray(sealed())
    header_id = envelope.index(uuid.UUID(int=7).bytes)
    relabelled = (
        bytes(envelope[:header_id]) + uuid.UUID(int=8).bytes + bytes(envelope[header_id + 16 :])
    )
    assert refusal("booth-01", relabelled) == "transport.unreadable"
    for position in (len(envelope) // 2, len(envelope) - 1):
        damaged = bytearray(envelope)
        damaged[position] ^= 0x01
        assert refusal("booth-01", bytes(damaged)) == "transport.unreadable"


def test_a_bare_packet_a_short_one_an_unknown_version_or_another_key_are_refused() -> None:
    envelope = sealed()
    assert refusal("booth-01", PACKET) == "transport.unsealed"
    assert refusal("booth-01", envelope[: OVERHEAD - 1]) == "transport.unreadable"
    assert refusal("booth-01", envelope[:3] + b"\x02" + envelope[4:]) == "transport.version"
    assert refusal("booth-01", envelope, RosterSecret(bytes(32))) == "transport.old_key"

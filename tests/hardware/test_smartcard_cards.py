"""The card programs and APDU codec on their own (no pcscd): odd input never crashes them."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from hypothesis import given
from hypothesis import strategies as st

from hardware.smartcard.apdu import CommandApdu, MalformedApdu, split_response
from hardware.smartcard.cards import (
    OPERATOR_AID,
    RESIDENT_AID,
    CardProgram,
    OperatorCard,
    ResidentEktpCard,
    encode_pin_block,
)

TEMPLATES = (bytes(range(256)) * 2, b"\x5a" * 700)


def operator() -> OperatorCard:
    card = OperatorCard("OPR-1", "Dewi", "4321")
    card.power_on()
    return card


def resident() -> ResidentEktpCard:
    card = ResidentEktpCard("6403051708900001", "Budi", TEMPLATES)
    card.power_on()
    return card


def send(card: CardProgram, command: CommandApdu) -> tuple[bytes, int]:
    return split_response(card.process(command.to_bytes()))


def select(card: CardProgram, aid: bytes) -> int:
    return send(card, CommandApdu(0x00, 0xA4, 0x04, 0x00, aid))[1]


header = st.tuples(*(st.integers(0, 255) for _ in range(4)))
anything = st.binary(min_size=0, max_size=600)
structured = st.builds(
    lambda h, body: bytes(h) + body,
    header,
    st.one_of(
        anything, st.builds(lambda d: bytes([len(d)]) + d, st.binary(min_size=1, max_size=255))
    ),
)


@given(st.lists(st.one_of(anything, structured), min_size=1, max_size=20))
def test_random_apdus_always_get_a_status_word_and_the_card_keeps_working(
    commands: list[bytes],
) -> None:
    for make in (operator, resident):
        card = make()
        select(card, card.aid)
        for raw in commands:
            answer = card.process(raw)
            assert len(answer) >= 2
            assert answer[-2] in (0x61, 0x62, 0x63, 0x67, 0x69, 0x6A, 0x6B, 0x6D, 0x6E, 0x6F, 0x90)
        card.reset()
        assert select(card, card.aid) == 0x9000


@given(st.binary(min_size=1, max_size=255))
def test_signature_covers_any_challenge(challenge: bytes) -> None:
    card = operator()
    select(card, OPERATOR_AID)
    send(card, CommandApdu(0x00, 0x20, 0x00, 0x80, encode_pin_block("4321")))
    assert send(card, CommandApdu(0x00, 0xA4, 0x02, 0x0C, b"\x01\x03"))[1] == 0x9000
    public_key, status = send(card, CommandApdu(0x00, 0xB0, 0x00, 0x00, le=256))
    assert status == 0x9000
    signature, status = send(card, CommandApdu(0x00, 0x88, 0x00, 0x00, challenge, le=256))
    assert status == 0x9000
    Ed25519PublicKey.from_public_bytes(public_key).verify(signature, challenge)


@given(
    st.integers(0, 255),
    st.integers(0, 255),
    st.binary(max_size=300),
    st.one_of(st.none(), st.integers(1, 65536)),
)
def test_apdu_codec_round_trips(ins: int, p1: int, data: bytes, le: int | None) -> None:
    command = CommandApdu(0x00, ins, p1, 0x00, data, le)
    assert CommandApdu.parse(command.to_bytes()) == command


@pytest.mark.parametrize("raw", ["00A4", "00A4040005A0", "00A404000000", "00A40400000005AA"])
def test_malformed_apdus_are_rejected(raw: str) -> None:
    with pytest.raises(MalformedApdu):
        CommandApdu.parse(bytes.fromhex(raw))


def test_pin_and_key_do_not_show_in_repr() -> None:
    card = OperatorCard("OPR-1", "Dewi", "98765")
    assert "98765" not in repr(card)
    assert b"98765" not in repr(vars(card)).encode()  # only a salted digest is kept
    assert "OPR-1" not in repr(card)


def test_long_template_reads_in_chunks_with_offsets() -> None:
    card = resident()
    assert select(card, RESIDENT_AID) == 0x9000
    assert send(card, CommandApdu(0x00, 0xA4, 0x02, 0x0C, b"\x02\x02"))[1] == 0x9000
    first, _ = send(card, CommandApdu(0x00, 0xB0, 0x00, 0x00, le=256))
    second, _ = send(card, CommandApdu(0x00, 0xB0, 0x01, 0x00, le=256))
    tail, _ = send(card, CommandApdu(0x00, 0xB0, 0x02, 0x00, le=256))
    assert first + second + tail == TEMPLATES[1]
    assert send(card, CommandApdu(0x00, 0xB0, 0x03, 0x00, le=256))[1] == 0x6B00


def test_selecting_another_application_is_file_not_found() -> None:
    assert select(operator(), RESIDENT_AID) == 0x6A82
    assert select(resident(), OPERATOR_AID) == 0x6A82


def test_commands_before_select_are_refused() -> None:
    card = operator()
    verify = CommandApdu(0x00, 0x20, 0x00, 0x80, encode_pin_block("4321"))
    assert send(card, verify)[1] == 0x6985
    assert card.pin_tries_left == 3

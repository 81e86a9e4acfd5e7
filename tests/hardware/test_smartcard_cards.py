"""The card programs and APDU codec on their own (no pcscd): odd input never crashes them."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import example, given
from hypothesis import strategies as st

from hardware.smartcard.apdu import CommandApdu, MalformedApdu, response, split_response
from hardware.smartcard.card_client import CardApplicationClient, file_size_from_fcp
from hardware.smartcard.cards import RESIDENT_AID, CardProgram, ResidentEktpCard
from hardware.smartcard.piv import PIV_AID, encode_pin
from hardware.smartcard.piv_personalise import OperatorCard, direct_client

TEMPLATES = (bytes(range(256)) * 2, b"\x5a" * 700)


def operator() -> OperatorCard:
    card = OperatorCard("OPR-1", "Dewi", "432100")
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


ISO_7816_SW1 = (0x61, 0x62, 0x63, 0x67, 0x68, 0x69, 0x6A, 0x6B, 0x6D, 0x6E, 0x6F, 0x90)


@given(st.lists(st.one_of(anything, structured), min_size=1, max_size=20))
@example([b"\x10\x00\x00\x01", b"\x00\x00\x00\x00"])  # a chain broken off: 6883 (CI found it)
def test_random_apdus_always_get_a_status_word_and_the_card_keeps_working(
    commands: list[bytes],
) -> None:
    for make in (operator, resident):
        card = make()
        select(card, card.aid)
        for raw in commands:
            answer = card.process(raw)
            assert len(answer) >= 2
            # ISO 7816-4 status groups; 68xx is the CLA's functions (6883: a command chain
            # broken off, which a chained CLA 0x10 then another command makes)
            assert answer[-2] in ISO_7816_SW1
        card.reset()
        assert select(card, card.aid) == 0x9000


@given(st.binary(min_size=1, max_size=255))
def test_signature_covers_any_challenge(challenge: bytes) -> None:
    card = operator()
    client = direct_client(card)
    client.select()
    client.verify_pin("432100")
    digest = hashes.Hash(hashes.SHA256())
    digest.update(challenge)
    signature = client.sign(digest.finalize())
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), card.public_key)
    key.verify(signature, challenge, ec.ECDSA(hashes.SHA256()))


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
    card = OperatorCard("OPR-1", "Dewi", "987650")
    assert "987650" not in repr(card)
    assert b"987650" not in repr(vars(card)).encode()  # only a salted digest is kept


def test_long_template_reads_in_chunks_with_offsets() -> None:
    card = resident()
    assert select(card, RESIDENT_AID) == 0x9000
    assert send(card, CommandApdu(0x00, 0xA4, 0x02, 0x0C, b"\x02\x02"))[1] == 0x9000
    first, _ = send(card, CommandApdu(0x00, 0xB0, 0x00, 0x00, le=256))
    second, _ = send(card, CommandApdu(0x00, 0xB0, 0x01, 0x00, le=256))
    tail, status = send(card, CommandApdu(0x00, 0xB0, 0x02, 0x00, le=256))
    assert first + second + tail == TEMPLATES[1]
    assert status == 0x6282  # 188 bytes left of the 256 asked: the end of the file
    assert send(card, CommandApdu(0x00, 0xB0, 0x03, 0x00, le=256)) == (b"", 0x6B00)


def test_read_binary_at_the_end_of_a_file_answers_as_iso_7816_4() -> None:
    card = resident()
    select(card, RESIDENT_AID)
    fcp, status = send(card, CommandApdu(0x00, 0xA4, 0x02, 0x04, b"\x02\x01", le=256))
    assert status == 0x9000
    assert file_size_from_fcp(fcp) == 512  # SELECT gives the size in the FCP (tag 80)
    read = CommandApdu(0x00, 0xB0, 0x01, 0x00, le=256)  # offset 256, 256 bytes: all there
    assert send(card, read) == (TEMPLATES[0][256:], 0x9000)
    at_end = CommandApdu(0x00, 0xB0, 0x02, 0x00, le=256)  # offset 512 = the size: no data
    assert send(card, at_end) == (b"", 0x6B00)
    past_end = CommandApdu(0x00, 0xB0, 0x02, 0x10, le=1)
    assert send(card, past_end) == (b"", 0x6B00)
    last = CommandApdu(0x00, 0xB0, 0x01, 0xFF, le=16)  # one byte left of 16 asked
    assert send(card, last) == (TEMPLATES[0][-1:], 0x6282)


class CardWithoutFcp(ResidentEktpCard):
    """A card that refuses SELECT with P2 04: the reader must find the end by reading."""

    def _select(self, command: CommandApdu) -> bytes:
        if command.p2 == 0x04:
            return response(status=0x6A86)
        return super()._select(command)


@given(size=st.integers(1, 1300), gives_size=st.booleans())
def test_the_reader_reads_any_length_and_never_past_the_end(size: int, gives_size: bool) -> None:
    template = bytes(i % 251 for i in range(size))
    card = (CardWithoutFcp if not gives_size else ResidentEktpCard)(
        "6403051708900001", "Budi", (template, b"x")
    )
    card.power_on()
    reads: list[tuple[int, int, int]] = []

    def transmit(raw: bytes, action: str) -> bytes:
        answer = card.process(raw)
        command = CommandApdu.parse(raw)
        if command.ins == 0xB0:
            assert command.le is not None
            reads.append(((command.p1 << 8) | command.p2, command.le, int.from_bytes(answer[-2:])))
        return answer

    client = CardApplicationClient(transmit, RESIDENT_AID, "resident")
    client.select()
    assert client.read_file(0x0201, "template") == template
    if gives_size:  # each READ BINARY asks for no byte beyond the end
        assert all(offset + le <= size and status == 0x9000 for offset, le, status in reads)
        assert len(reads) == -(-size // 256)
    else:  # at most the one READ BINARY at the end itself, answered 6B00
        assert all(offset < size for offset, _, _ in reads[:-1])
        assert reads[-1][0] < size or reads[-1] == (size, 256, 0x6B00)


def test_selecting_another_application_is_file_not_found() -> None:
    assert select(operator(), RESIDENT_AID) == 0x6A82
    assert select(resident(), PIV_AID) == 0x6A82


def test_commands_before_select_are_refused() -> None:
    card = operator()
    verify = CommandApdu(0x00, 0x20, 0x00, 0x80, encode_pin("432100"))
    assert send(card, verify)[1] == 0x6D00  # no application selected: no PIV instructions
    assert card.pin_tries_left == 3

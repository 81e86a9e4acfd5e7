"""The smart-card reader: real pyscard → real pcscd → vpcd → Rekam's virtual cards
(the operator's PIV card and the resident's e-KTP)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError
from smartcard_fixtures import (
    emulated_reader,
    smartcard_config,
    take_out_and_insert,
    wait_until,
)

from ektp.pki import (
    CertifiedOperator,
    OfficeCA,
    PkiError,
    verify_card_signature,
    verify_operator_certificate,
)
from hardware.errors import CardError, DeviceTimeout, DeviceUnavailable, PinBlocked, PinError
from hardware.smartcard import (
    EmulatedSmartCardConfig,
    EmulatedSmartCardReader,
    OperatorCard,
    PcscSmartCardReader,
    RealSmartCardConfig,
    ResidentEktpCard,
    SmartCardConfig,
    open_smartcard,
)
from hardware.smartcard.apdu import CommandApdu
from hardware.smartcard.piv import PIV_AID

NIK = "6403051708900001"
PIN = "246810"


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> OfficeCA:
    return OfficeCA.create(tmp_path_factory.mktemp("office") / "ca", "Kantor Gunung Tabur")


def operator_card(office: OfficeCA | None = None, pin: str = PIN) -> OperatorCard:
    """Siti's PIV operator card; issued (certificate in slot 9A) when ``office`` is given."""
    card = OperatorCard(operator_id="OPR-0042", name="Siti Rahmawati", pin=pin)
    if office is not None:
        office.operator_card_issuer().personalise(card)
    return card


def certified(reader: PcscSmartCardReader, office: OfficeCA) -> CertifiedOperator:
    """The booth's first step: the card's certificate, checked against the office CA."""
    return verify_operator_certificate(reader.read_operator_certificate(), [office.certificate])


def resident_card() -> tuple[ResidentEktpCard, tuple[bytes, bytes]]:
    templates = (os.urandom(512), os.urandom(512))
    return ResidentEktpCard(nik=NIK, name="Budi Santoso", templates=templates), templates


def test_insert_and_remove_reach_an_observer(emulated_reader: EmulatedSmartCardReader) -> None:
    events: list[str] = []
    emulated_reader.add_card_observer(events.append)
    assert not emulated_reader.card_present()

    emulated_reader.insert_card(operator_card())
    assert wait_until(lambda: events == ["inserted"])
    assert emulated_reader.card_present()

    emulated_reader.remove_card()
    assert wait_until(lambda: events == ["inserted", "removed"])
    assert not emulated_reader.card_present()


def test_wait_for_card_reports_the_atr_and_removal(
    emulated_reader: EmulatedSmartCardReader,
) -> None:
    card = operator_card()
    emulated_reader.insert_card(card)
    info = emulated_reader.wait_for_card(timeout=15)
    assert info.atr_hex == card.atr.hex().upper()
    assert info.reader == emulated_reader.endpoint.reader_name

    emulated_reader.remove_card()
    emulated_reader.wait_for_removal(timeout=15)
    assert not emulated_reader.card_present()


def test_waiting_for_a_card_that_never_comes_times_out(
    emulated_reader: EmulatedSmartCardReader,
) -> None:
    with pytest.raises(DeviceTimeout, match="No card was inserted"):
        emulated_reader.wait_for_card(timeout=1.0)


def test_right_pin_unlocks_the_operator_identity(
    emulated_reader: EmulatedSmartCardReader, office: OfficeCA
) -> None:
    emulated_reader.insert_card(operator_card(office, pin="13579135"))
    operator = certified(emulated_reader, office)
    challenge = os.urandom(32)

    emulated_reader.verify_pin("13579135")
    signature = emulated_reader.sign_challenge(challenge)

    verify_card_signature(operator, challenge, signature)  # the card holds the certified key
    assert (operator.operator_id, operator.name) == ("OPR-0042", "Siti Rahmawati")
    with pytest.raises(PkiError):
        verify_card_signature(operator, challenge[::-1], signature)


def test_using_the_operator_key_without_pin_is_refused(
    emulated_reader: EmulatedSmartCardReader, office: OfficeCA
) -> None:
    emulated_reader.insert_card(operator_card(office))
    certified(emulated_reader, office)  # the certificate is public, as on every PIV card

    with pytest.raises(CardError, match="needs the PIN"):
        emulated_reader.sign_challenge(b"nonce-1")
    emulated_reader.verify_pin(PIN)
    emulated_reader.logout()
    with pytest.raises(CardError, match="needs the PIN"):
        emulated_reader.sign_challenge(b"nonce-2")


def test_wrong_pin_counts_down_tries(emulated_reader: EmulatedSmartCardReader) -> None:
    emulated_reader.insert_card(operator_card())
    assert emulated_reader.pin_tries_left() == 3

    with pytest.raises(PinError) as first:
        emulated_reader.verify_pin("000000")
    assert first.value.tries_left == 2
    assert "000000" not in str(first.value)
    with pytest.raises(PinError) as second:
        emulated_reader.verify_pin("111111")
    assert second.value.tries_left == 1
    assert emulated_reader.pin_tries_left() == 1

    emulated_reader.verify_pin(PIN)  # the right PIN restores the counter
    assert emulated_reader.pin_tries_left() == -1  # verified
    emulated_reader.logout()
    assert emulated_reader.pin_tries_left() == 3


def block(reader: EmulatedSmartCardReader) -> None:
    for _ in range(2):
        with pytest.raises(PinError):
            reader.verify_pin("999999")
    with pytest.raises(PinBlocked):
        reader.verify_pin("999999")


def test_three_wrong_pins_block_the_card_even_for_the_right_pin(
    emulated_reader: EmulatedSmartCardReader, office: OfficeCA
) -> None:
    emulated_reader.insert_card(operator_card(office))
    block(emulated_reader)

    with pytest.raises(PinBlocked):
        emulated_reader.verify_pin(PIN)
    with pytest.raises(CardError, match="needs the PIN"):
        emulated_reader.sign_challenge(b"nonce")
    assert emulated_reader.pin_tries_left() == 0


def test_block_survives_taking_the_card_out(emulated_reader: EmulatedSmartCardReader) -> None:
    card = operator_card()
    emulated_reader.insert_card(card)
    block(emulated_reader)

    take_out_and_insert(emulated_reader, card)
    with pytest.raises(PinBlocked):
        emulated_reader.verify_pin(PIN)


def test_malformed_pin_is_refused_before_reaching_the_card(
    emulated_reader: EmulatedSmartCardReader,
) -> None:
    emulated_reader.insert_card(operator_card())
    for malformed in ("12a456", "1234", "123456789"):
        with pytest.raises(ValueError, match="6 to 8 digits"):
            emulated_reader.verify_pin(malformed)
    assert emulated_reader.pin_tries_left() == 3


def test_each_operator_card_has_its_own_key(
    emulated_reader: EmulatedSmartCardReader, office: OfficeCA
) -> None:
    keys = []
    for _ in range(2):
        emulated_reader.insert_card(operator_card(office))
        keys.append(certified(emulated_reader, office).public_key)
    assert keys[0] != keys[1]


def test_resident_card_reads_nik_name_and_templates(
    emulated_reader: EmulatedSmartCardReader,
) -> None:
    card, templates = resident_card()
    emulated_reader.insert_card(card)
    emulated_reader.wait_for_card(timeout=15)

    resident = emulated_reader.read_resident_card()

    assert resident.nik == NIK
    assert resident.name == "Budi Santoso"
    assert resident.templates == templates
    assert templates[0].hex() not in repr(resident)


class CountingResidentCard(ResidentEktpCard):
    """A resident card that notes each READ BINARY it is sent: (file, offset, Le, status)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reads: list[tuple[int, int, int, int]] = []

    def process(self, raw: bytes) -> bytes:
        answer = super().process(raw)
        command = CommandApdu.parse(raw)
        if command.ins == 0xB0 and self._current_file is not None and command.le is not None:
            offset = (command.p1 << 8) | command.p2
            status = int.from_bytes(answer[-2:], "big")
            self.reads.append((self._current_file, offset, command.le, status))
        return answer


def test_a_512_byte_template_is_read_through_pcscd_without_passing_its_end(
    emulated_reader: EmulatedSmartCardReader,
) -> None:
    templates = (os.urandom(512), os.urandom(300))  # a chunk multiple, and a short tail
    card = CountingResidentCard(nik=NIK, name="Budi Santoso", templates=templates)
    emulated_reader.insert_card(card)

    assert emulated_reader.read_resident_card().templates == templates

    sizes = {0x0101: 16, 0x0102: len("Budi Santoso"), 0x0201: 512, 0x0202: 300}
    for file_id, offset, le, status in card.reads:
        assert offset + le <= sizes[file_id], f"READ BINARY past the end of {file_id:04X}"
        assert status == 0x9000
    per_file = [file_id for file_id, *_ in card.reads]
    assert per_file == [0x0101, 0x0102, 0x0201, 0x0201, 0x0202, 0x0202]


def test_operator_calls_on_a_resident_card_say_it_is_not_an_operator_card(
    emulated_reader: EmulatedSmartCardReader,
) -> None:
    emulated_reader.insert_card(resident_card()[0])
    with pytest.raises(CardError, match="not an operator card"):
        emulated_reader.verify_pin(PIN)
    emulated_reader.insert_card(operator_card())
    with pytest.raises(CardError, match="not a Rekam resident e-KTP card"):
        emulated_reader.read_resident_card()


def test_odd_apdus_get_proper_status_words_and_the_card_keeps_working(
    emulated_reader: EmulatedSmartCardReader, office: OfficeCA
) -> None:
    emulated_reader.insert_card(operator_card(office))
    select = bytes([0x00, 0xA4, 0x04, 0x00, len(PIV_AID)]) + PIV_AID
    odd = {
        bytes.fromhex("000E000000"): 0x6D00,  # unknown instruction
        bytes.fromhex("80A4040000"): 0x6E00,  # proprietary class
        bytes.fromhex("00A4040005A0000003"): 0x6700,  # Lc says 5, 4 bytes follow
        bytes.fromhex("00A4040008F000000000000000"): 0x6A82,  # another application
        bytes.fromhex("0020000408313233343536FFFF"): 0x6A88,  # no such PIN reference
        bytes.fromhex("0020008003313233"): 0x6A80,  # PIN block too short
        bytes.fromhex("00CB3FFF035C015E00"): 0x6A82,  # a data object the card lacks
    }
    for command, expected in odd.items():
        _, status = emulated_reader.transmit_raw(select)
        assert status == 0x9000
        _, status = emulated_reader.transmit_raw(command)
        assert status == expected, command.hex()

    assert emulated_reader.pin_tries_left() == 3  # no odd command cost a PIN try
    emulated_reader.verify_pin(PIN)
    challenge = os.urandom(32)
    operator = certified(emulated_reader, office)
    verify_card_signature(operator, challenge, emulated_reader.sign_challenge(challenge))


def test_card_dropping_the_link_mid_command_is_a_typed_error(
    emulated_reader: EmulatedSmartCardReader,
) -> None:
    emulated_reader.insert_card(operator_card())

    emulated_reader.fail_next_command("disconnect")
    with pytest.raises(CardError, match="stopped answering"):
        emulated_reader.verify_pin(PIN)

    take_out_and_insert(emulated_reader, operator_card())
    emulated_reader.verify_pin(PIN)


def test_card_that_never_answers_times_out_instead_of_hanging(
    smartcard_config: EmulatedSmartCardConfig,
) -> None:
    config = smartcard_config.model_copy(update={"timeout": 2.0})
    with EmulatedSmartCardReader(config) as reader:
        reader.insert_card(operator_card())
        reader.fail_next_command("stall")
        with pytest.raises(DeviceTimeout, match="did not finish"):
            reader.verify_pin(PIN)

        take_out_and_insert(reader, operator_card())  # taking it out frees pcscd's reader thread
        reader.verify_pin(PIN)


def test_emulated_reader_reuses_the_session_pcscd(
    emulated_reader: EmulatedSmartCardReader,
) -> None:
    assert not emulated_reader.started_pcscd
    result = emulated_reader.self_test()
    assert result.ok
    assert emulated_reader.endpoint.reader_name in result.detail


def test_real_backend_reads_the_same_reader_by_name(
    emulated_reader: EmulatedSmartCardReader, office: OfficeCA
) -> None:
    emulated_reader.insert_card(operator_card(office))
    name = emulated_reader.endpoint.reader_name
    config = RealSmartCardConfig(reader_name_contains=name, timeout=10)
    with open_smartcard(config) as real:
        assert isinstance(real, PcscSmartCardReader)
        assert real.card_present()
        operator = certified(real, office)
        real.verify_pin(PIN)
        challenge = os.urandom(32)
        verify_card_signature(operator, challenge, real.sign_challenge(challenge))
        assert operator.name == "Siti Rahmawati"


def test_real_backend_without_its_reader_fails_self_test_and_calls(
    smartcard_pcscd: object,
) -> None:
    config = RealSmartCardConfig(reader_name_contains="No Such Reader", timeout=5)
    with open_smartcard(config) as real:
        result = real.self_test()
        assert not result.ok
        assert "No Such Reader" in result.detail
        with pytest.raises(DeviceUnavailable, match="No smart-card reader"):
            real.card_present()


def test_config_picks_the_backend_and_rejects_unknown_fields() -> None:
    adapter: TypeAdapter[object] = TypeAdapter(SmartCardConfig)
    real = adapter.validate_python({"backend": "real", "reader_name_contains": "ACS"})
    assert isinstance(real, RealSmartCardConfig)
    emulated = adapter.validate_python({"backend": "emulated"})
    assert isinstance(emulated, EmulatedSmartCardConfig)
    assert emulated.isolate_network
    with pytest.raises(ValidationError):
        adapter.validate_python({"backend": "real", "reader": "ACS"})

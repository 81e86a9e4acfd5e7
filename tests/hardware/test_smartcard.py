"""The smart-card reader: real pyscard → real pcscd → vpcd → Rekam's virtual cards."""

from __future__ import annotations

import os

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import TypeAdapter, ValidationError
from smartcard_fixtures import (
    emulated_reader,
    smartcard_config,
    take_out_and_insert,
    wait_until,
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
from hardware.smartcard.cards import OPERATOR_AID

NIK = "6403051708900001"


def operator_card(pin: str = "1234") -> OperatorCard:
    return OperatorCard(operator_id="OPR-0042", name="Siti Rahmawati", pin=pin)


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


def test_right_pin_unlocks_the_operator_identity(emulated_reader: EmulatedSmartCardReader) -> None:
    emulated_reader.insert_card(operator_card(pin="246810"))
    emulated_reader.wait_for_card(timeout=15)

    emulated_reader.verify_pin("246810")

    identity = emulated_reader.read_operator()
    assert identity.operator_id == "OPR-0042"
    assert identity.name == "Siti Rahmawati"


def test_reading_the_operator_without_pin_is_refused(
    emulated_reader: EmulatedSmartCardReader,
) -> None:
    emulated_reader.insert_card(operator_card())
    emulated_reader.wait_for_card(timeout=15)

    with pytest.raises(CardError, match="needs the PIN"):
        emulated_reader.read_operator()
    with pytest.raises(CardError, match="needs the PIN"):
        emulated_reader.sign_challenge(b"nonce-1")


def test_wrong_pin_counts_down_tries(emulated_reader: EmulatedSmartCardReader) -> None:
    emulated_reader.insert_card(operator_card(pin="1234"))
    emulated_reader.wait_for_card(timeout=15)
    assert emulated_reader.pin_tries_left() == 3

    with pytest.raises(PinError) as first:
        emulated_reader.verify_pin("0000")
    assert first.value.tries_left == 2
    assert "0000" not in str(first.value)
    with pytest.raises(PinError) as second:
        emulated_reader.verify_pin("1111")
    assert second.value.tries_left == 1
    assert emulated_reader.pin_tries_left() == 1

    emulated_reader.verify_pin("1234")  # the right PIN restores the counter
    assert emulated_reader.pin_tries_left() == -1  # verified
    emulated_reader.logout()
    assert emulated_reader.pin_tries_left() == 3


def test_three_wrong_pins_block_the_card_even_for_the_right_pin(
    emulated_reader: EmulatedSmartCardReader,
) -> None:
    emulated_reader.insert_card(operator_card(pin="1234"))
    emulated_reader.wait_for_card(timeout=15)

    for _ in range(2):
        with pytest.raises(PinError):
            emulated_reader.verify_pin("9999")
    with pytest.raises(PinBlocked):
        emulated_reader.verify_pin("9999")

    with pytest.raises(PinBlocked):
        emulated_reader.verify_pin("1234")
    with pytest.raises(CardError, match="needs the PIN"):
        emulated_reader.read_operator()
    assert emulated_reader.pin_tries_left() == 0


def test_block_survives_taking_the_card_out(emulated_reader: EmulatedSmartCardReader) -> None:
    card = operator_card(pin="1234")
    emulated_reader.insert_card(card)
    emulated_reader.wait_for_card(timeout=15)
    for _ in range(2):
        with pytest.raises(PinError):
            emulated_reader.verify_pin("9999")
    with pytest.raises(PinBlocked):
        emulated_reader.verify_pin("9999")

    take_out_and_insert(emulated_reader, card)
    with pytest.raises(PinBlocked):
        emulated_reader.verify_pin("1234")


def test_malformed_pin_is_refused_before_reaching_the_card(
    emulated_reader: EmulatedSmartCardReader,
) -> None:
    emulated_reader.insert_card(operator_card())
    emulated_reader.wait_for_card(timeout=15)
    with pytest.raises(ValueError, match="4 to 8 digits"):
        emulated_reader.verify_pin("12a4")
    assert emulated_reader.pin_tries_left() == 3


def test_challenge_signature_verifies_with_the_card_public_key(
    emulated_reader: EmulatedSmartCardReader,
) -> None:
    emulated_reader.insert_card(operator_card())
    emulated_reader.wait_for_card(timeout=15)
    public_key = Ed25519PublicKey.from_public_bytes(emulated_reader.operator_public_key())
    challenge = os.urandom(32)

    emulated_reader.verify_pin("1234")
    signature = emulated_reader.sign_challenge(challenge)

    public_key.verify(signature, challenge)
    with pytest.raises(InvalidSignature):
        public_key.verify(signature, challenge[::-1])


def test_each_operator_card_has_its_own_key(emulated_reader: EmulatedSmartCardReader) -> None:
    keys = []
    for _ in range(2):
        emulated_reader.insert_card(operator_card())
        emulated_reader.wait_for_card(timeout=15)
        keys.append(emulated_reader.operator_public_key())
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


def test_operator_calls_on_a_resident_card_say_it_is_not_an_operator_card(
    emulated_reader: EmulatedSmartCardReader,
) -> None:
    emulated_reader.insert_card(resident_card()[0])
    emulated_reader.wait_for_card(timeout=15)
    with pytest.raises(CardError, match="not a Rekam operator card"):
        emulated_reader.verify_pin("1234")
    emulated_reader.insert_card(operator_card())
    emulated_reader.wait_for_card(timeout=15)
    with pytest.raises(CardError, match="not a Rekam resident e-KTP card"):
        emulated_reader.read_resident_card()


def test_odd_apdus_get_proper_status_words_and_the_card_keeps_working(
    emulated_reader: EmulatedSmartCardReader,
) -> None:
    emulated_reader.insert_card(operator_card())
    emulated_reader.wait_for_card(timeout=15)
    select = bytes([0x00, 0xA4, 0x04, 0x00, len(OPERATOR_AID)]) + OPERATOR_AID
    odd = {
        bytes.fromhex("00CA00000100"): 0x6D00,  # unknown instruction
        bytes.fromhex("80A4040000"): 0x6E00,  # proprietary class
        bytes.fromhex("00A4040005A0000003"): 0x6700,  # Lc says 5, 4 bytes follow
        bytes.fromhex("00A4040008F000000000000000"): 0x6A82,  # another application
        bytes.fromhex("00A4090002AABB"): 0x6A86,  # unknown SELECT mode
        bytes.fromhex("0020000408313233340000FFFF"): 0x6A86,  # wrong PIN reference
        bytes.fromhex("0020008003313233"): 0x6700,  # PIN block too short
        bytes.fromhex("0088000000"): 0x6700,  # empty challenge (extended Le only)
    }
    for command, expected in odd.items():
        _, status = emulated_reader.transmit_raw(select)
        assert status == 0x9000
        _, status = emulated_reader.transmit_raw(command)
        assert status == expected, command.hex()

    assert emulated_reader.pin_tries_left() == 3  # no odd command cost a PIN try
    emulated_reader.verify_pin("1234")
    assert emulated_reader.read_operator().operator_id == "OPR-0042"


def test_card_dropping_the_link_mid_command_is_a_typed_error(
    emulated_reader: EmulatedSmartCardReader,
) -> None:
    emulated_reader.insert_card(operator_card())
    emulated_reader.wait_for_card(timeout=15)

    emulated_reader.fail_next_command("disconnect")
    with pytest.raises(CardError, match="stopped answering"):
        emulated_reader.verify_pin("1234")

    take_out_and_insert(emulated_reader, operator_card())
    emulated_reader.verify_pin("1234")


def test_card_that_never_answers_times_out_instead_of_hanging(
    smartcard_config: EmulatedSmartCardConfig,
) -> None:
    config = smartcard_config.model_copy(update={"timeout": 2.0})
    with EmulatedSmartCardReader(config) as reader:
        reader.insert_card(operator_card())
        reader.wait_for_card(timeout=15)
        reader.fail_next_command("stall")
        with pytest.raises(DeviceTimeout, match="did not finish"):
            reader.verify_pin("1234")

        take_out_and_insert(reader, operator_card())  # taking it out frees pcscd's reader thread
        reader.verify_pin("1234")


def test_emulated_reader_reuses_the_session_pcscd(
    emulated_reader: EmulatedSmartCardReader,
) -> None:
    assert not emulated_reader.started_pcscd
    result = emulated_reader.self_test()
    assert result.ok
    assert emulated_reader.endpoint.reader_name in result.detail


def test_real_backend_reads_the_same_reader_by_name(
    emulated_reader: EmulatedSmartCardReader,
) -> None:
    emulated_reader.insert_card(operator_card())
    emulated_reader.wait_for_card(timeout=15)
    name = emulated_reader.endpoint.reader_name
    config = RealSmartCardConfig(reader_name_contains=name, timeout=10)
    with open_smartcard(config) as real:
        assert isinstance(real, PcscSmartCardReader)
        assert real.card_present()
        real.verify_pin("1234")
        assert real.read_operator().name == "Siti Rahmawati"


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

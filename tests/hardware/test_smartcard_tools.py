"""A standard PC/SC tool (pcsc-tools' scriptor and pcsc_scan), not our code, sees our cards
(the operator card is a PIV card: the APDUs are SP 800-73-4's)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from smartcard_fixtures import emulated_reader, smartcard_config

from hardware.smartcard import EmulatedSmartCardReader, OperatorCard

pytestmark = pytest.mark.skipif(
    shutil.which("scriptor") is None, reason="pcsc-tools (scriptor, pcsc_scan) not installed"
)

SELECT_PIV = "00 A4 04 00 0B A0 00 00 03 08 00 00 10 00 01 00 00"
VERIFY_999999 = "00 20 00 80 08 39 39 39 39 39 39 FF FF"
VERIFY_123456 = "00 20 00 80 08 31 32 33 34 35 36 FF FF"
PIN_STATUS = "00 20 00 80"
# GENERAL AUTHENTICATE, ECC P-256, slot 9A: 7C { 82 00, 81 <32-byte digest> }
SIGN_9A = "00 87 11 9A 26 7C 24 82 00 81 20 " + " ".join(["AB"] * 32) + " 00"


def scriptor(reader: str, commands: list[str]) -> list[str]:
    """Run scriptor on ``reader``; return the answer lines ("< 90 00 : ...")."""
    result = subprocess.run(
        ["scriptor", "-r", reader],
        input="\n".join(commands) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return [line for line in result.stdout.splitlines() if line.startswith("<")]


def test_scriptor_sees_the_same_pin_answers(emulated_reader: EmulatedSmartCardReader) -> None:
    emulated_reader.insert_card(OperatorCard("OPR-7", "Rina", pin="123456"))
    reader = emulated_reader.endpoint.reader_name

    answers = scriptor(
        reader, [SELECT_PIV, SIGN_9A, PIN_STATUS, VERIFY_999999, VERIFY_123456, SIGN_9A]
    )

    assert answers[0].startswith("< 61 ")  # the application property template
    assert answers[1].startswith("< 69 82")  # signing before the PIN
    assert answers[2].startswith("< 63 C3")  # PIN status: three tries
    assert answers[3].startswith("< 63 C2")  # wrong PIN: two tries left
    assert answers[4].startswith("< 90 00")  # right PIN
    assert answers[5].startswith("< 7C ")  # the signature template: signed
    # ... and our own reader sees the state the tool left on the card: PIN verified.
    assert emulated_reader.pin_tries_left() == -1
    emulated_reader.logout()  # a reset clears it
    assert emulated_reader.pin_tries_left() == 3


def test_scriptor_sees_a_blocked_card_as_blocked(emulated_reader: EmulatedSmartCardReader) -> None:
    emulated_reader.insert_card(OperatorCard("OPR-7", "Rina", pin="123456"))
    reader = emulated_reader.endpoint.reader_name

    answers = scriptor(
        reader, [SELECT_PIV, VERIFY_999999, VERIFY_999999, VERIFY_999999, VERIFY_123456]
    )

    assert [a[:7] for a in answers[1:]] == ["< 63 C2", "< 63 C1", "< 63 C0", "< 69 83"]
    assert emulated_reader.pin_tries_left() == 0


def test_pcsc_scan_lists_our_reader(emulated_reader: EmulatedSmartCardReader) -> None:
    result = subprocess.run(
        ["pcsc_scan", "-r"], capture_output=True, text=True, timeout=60, check=False
    )
    assert emulated_reader.endpoint.reader_name in result.stdout

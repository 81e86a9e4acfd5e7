"""A standard PC/SC tool (pcsc-tools' scriptor and pcsc_scan), not our code, sees our cards."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from smartcard_fixtures import emulated_reader, smartcard_config

from hardware.smartcard import EmulatedSmartCardReader, OperatorCard

pytestmark = pytest.mark.skipif(
    shutil.which("scriptor") is None, reason="pcsc-tools (scriptor, pcsc_scan) not installed"
)

SELECT_OPERATOR = "00 A4 04 00 08 F0 52 45 4B 41 4D 4F 50"
VERIFY_9999 = "00 20 00 80 08 39 39 39 39 FF FF FF FF"
VERIFY_1234 = "00 20 00 80 08 31 32 33 34 FF FF FF FF"
READ_NAME = ["00 A4 02 0C 02 01 02", "00 B0 00 00 00"]


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
    emulated_reader.insert_card(OperatorCard("OPR-7", "Rina", pin="1234"))
    reader = emulated_reader.endpoint.reader_name

    answers = scriptor(reader, [SELECT_OPERATOR, *READ_NAME, VERIFY_9999, VERIFY_1234, *READ_NAME])

    assert answers[0].startswith("< 90 00")  # SELECT
    assert answers[2].startswith("< 69 82")  # READ BINARY before the PIN
    assert answers[3].startswith("< 63 C2")  # wrong PIN: two tries left
    assert answers[4].startswith("< 90 00")  # right PIN
    assert answers[6].startswith("< 52 69 6E 61 90 00")  # "Rina"
    # ... and our own reader sees the state the tool left on the card: PIN verified.
    assert emulated_reader.pin_tries_left() == -1
    emulated_reader.logout()  # a reset clears it
    assert emulated_reader.pin_tries_left() == 3


def test_scriptor_sees_a_blocked_card_as_blocked(emulated_reader: EmulatedSmartCardReader) -> None:
    emulated_reader.insert_card(OperatorCard("OPR-7", "Rina", pin="1234"))
    reader = emulated_reader.endpoint.reader_name

    answers = scriptor(
        reader, [SELECT_OPERATOR, VERIFY_9999, VERIFY_9999, VERIFY_9999, VERIFY_1234]
    )

    assert [a[:7] for a in answers] == ["< 90 00", "< 63 C2", "< 63 C1", "< 63 C0", "< 69 83"]
    assert emulated_reader.pin_tries_left() == 0


def test_pcsc_scan_lists_our_reader(emulated_reader: EmulatedSmartCardReader) -> None:
    result = subprocess.run(
        ["pcsc_scan", "-r"], capture_output=True, text=True, timeout=60, check=False
    )
    assert emulated_reader.endpoint.reader_name in result.stdout

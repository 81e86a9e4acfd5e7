"""``rekam-provision operator enrol`` personalises a blank PIV card through the real pcscd
(an emulated card behind vpcd), and a booth then logs the operator in with it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from provisioning_cli_fixtures import init_test_office

from ektp.pki import verify_card_signature, verify_operator_certificate
from hardware.smartcard import EmulatedSmartCardConfig, EmulatedSmartCardReader, PivCard
from hardware.smartcard.pcscd import VpcdEndpoint
from provisioning.inventory import OfficeSettings
from provisioning.office import OfficeDirectory, init_office
from provisioning.operator_cards import OperatorRegister

PIN, PUK = "731904", "88112233"


@pytest.fixture
def office(tmp_path: Path) -> OfficeDirectory:
    return init_test_office(tmp_path)


@pytest.fixture
def blank_card_reader(smartcard_pcscd: VpcdEndpoint) -> Iterator[EmulatedSmartCardReader]:
    config = EmulatedSmartCardConfig(vpcd_port=smartcard_pcscd.port, timeout=10.0)
    with EmulatedSmartCardReader(config) as reader:
        reader.insert_card(PivCard())
        yield reader


def enrol(office: OfficeDirectory, reader: str, typed: str) -> subprocess.CompletedProcess[str]:
    """The technician's command, in its own process; PIN and PUK come on stdin."""
    command = [
        sys.executable, "-m", "provisioning.cli", "--lang", "en", "--office", str(office.root),
        "operator", "enrol", "--operator-id", "OP-0077", "--name", "Dewi Lestari",
        "--reader", reader,
    ]  # fmt: skip
    return subprocess.run(
        command, input=typed, capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "PYTHONPATH": str(Path.cwd())},
    )  # fmt: skip


def test_enrol_personalises_a_blank_card_that_then_logs_in(
    office: OfficeDirectory, blank_card_reader: EmulatedSmartCardReader
) -> None:
    result = enrol(office, blank_card_reader.endpoint.reader_name, f"{PIN}\n{PIN}\n{PUK}\n{PUK}\n")
    assert result.returncode == 0, result.stderr
    assert "Enrolled the card for OP-0077 (Dewi Lestari)" in result.stdout
    assert PIN not in result.stdout + result.stderr
    assert PUK not in result.stdout + result.stderr

    (record,) = OperatorRegister(office).cards()
    assert (record.operator_id, record.revoked_at) == ("OP-0077", None)

    # What a booth does with the card now: certificate, PIN, fresh challenge.
    ca = office.load_ca()
    certified = verify_operator_certificate(
        blank_card_reader.read_operator_certificate(), [ca.certificate]
    )
    assert (certified.operator_id, certified.serial) == ("OP-0077", record.serial)
    blank_card_reader.verify_pin(PIN)
    verify_card_signature(certified, b"fresh", blank_card_reader.sign_challenge(b"fresh"))
    card = blank_card_reader.inserted_card
    assert isinstance(card, PivCard)
    assert card.pin_tries_left == 3
    assert card.puk_tries_left == 3


def test_enrol_refuses_a_short_pin_and_changes_nothing(
    office: OfficeDirectory, blank_card_reader: EmulatedSmartCardReader
) -> None:
    result = enrol(
        office, blank_card_reader.endpoint.reader_name, "1234\n1234\n88112233\n88112233\n"
    )
    assert result.returncode != 0
    assert "6 to 8 digits" in result.stdout + result.stderr
    assert OperatorRegister(office).cards() == []
    assert blank_card_reader.read_operator_certificate() is None

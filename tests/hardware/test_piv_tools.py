"""Standard PIV clients, not our code, drive the emulated PIV operator card through the
real pcscd: OpenSC's opensc-tool and pkcs11-tool (with opensc-pkcs11.so) and
yubico-piv-tool list its certificate, sign with its slot 9A key after the PIN, count a
wrong PIN down and block the PIN after three."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from smartcard_fixtures import emulated_reader, smartcard_config

from ektp.pki import OfficeCA
from hardware.smartcard import EmulatedSmartCardReader, OperatorCard

PKCS11_MODULE = Path("/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so")
PIN = "123456"

pytestmark = pytest.mark.skipif(
    shutil.which("pkcs11-tool") is None or not PKCS11_MODULE.exists(),
    reason="OpenSC (opensc, opensc-pkcs11) not installed",
)


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> OfficeCA:
    return OfficeCA.create(tmp_path_factory.mktemp("office") / "ca", "Kantor Tanjung Redeb")


@pytest.fixture
def reader_with_card(
    emulated_reader: EmulatedSmartCardReader, office: OfficeCA
) -> tuple[EmulatedSmartCardReader, OperatorCard]:
    card = OperatorCard("OP-0042", "Siti Rahma", PIN)
    office.operator_card_issuer().personalise(card)
    emulated_reader.insert_card(card)
    return emulated_reader, card


def pkcs11_tool(*args: str) -> subprocess.CompletedProcess[str]:
    command = ["pkcs11-tool", "--module", str(PKCS11_MODULE), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def sign_with_tool(pin: str, message: Path, signature: Path) -> subprocess.CompletedProcess[str]:
    return pkcs11_tool(
        "--login", "--pin", pin, "--sign", "--mechanism", "ECDSA-SHA256", "--id", "01",
        "--input-file", str(message), "--output-file", str(signature),
    )  # fmt: skip


def test_opensc_tool_names_a_piv_card(
    reader_with_card: tuple[EmulatedSmartCardReader, OperatorCard],
) -> None:
    reader, _ = reader_with_card
    result = subprocess.run(
        ["opensc-tool", "--reader", reader.endpoint.reader_name, "--name"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.stdout.strip() == "Personal Identity Verification Card"


def test_pkcs11_tool_lists_the_certificate_and_signs_with_the_pin(
    reader_with_card: tuple[EmulatedSmartCardReader, OperatorCard], tmp_path: Path
) -> None:
    _, card = reader_with_card
    listed = pkcs11_tool("--list-objects", "--type", "cert")
    assert "Certificate for PIV Authentication" in listed.stdout
    assert "UID=OP-0042" in listed.stdout
    assert "CN=Siti Rahma" in listed.stdout

    message, signature = tmp_path / "message", tmp_path / "signature"
    message.write_bytes(b"booth-07 login challenge")
    signed = sign_with_tool(PIN, message, signature)
    assert signed.returncode == 0, signed.stderr

    raw = signature.read_bytes()  # PKCS#11 ECDSA: r || s, 32 bytes each
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    assert card.certificate is not None
    key = x509.load_der_x509_certificate(card.certificate).public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    key.verify(der, message.read_bytes(), ec.ECDSA(hashes.SHA256()))  # raises if wrong


def test_a_wrong_pin_counts_down_and_three_block_the_card(
    reader_with_card: tuple[EmulatedSmartCardReader, OperatorCard], tmp_path: Path
) -> None:
    reader, card = reader_with_card
    message, signature = tmp_path / "message", tmp_path / "signature"
    message.write_bytes(b"x")

    first = sign_with_tool("000000", message, signature)
    assert "CKR_PIN_INCORRECT" in first.stderr
    assert card.pin_tries_left == 2
    assert reader.pin_tries_left() == 2  # our reader reads the same counter

    sign_with_tool("000000", message, signature)
    last = sign_with_tool("000000", message, signature)
    assert last.returncode != 0
    assert not signature.exists()
    assert reader.pin_tries_left() == 0
    blocked = sign_with_tool(PIN, message, signature)  # even the right PIN now
    assert "CKR_PIN_LOCKED" in blocked.stderr
    assert not signature.exists()


@pytest.mark.skipif(shutil.which("yubico-piv-tool") is None, reason="yubico-piv-tool missing")
def test_yubico_piv_tool_reads_the_card_status(
    reader_with_card: tuple[EmulatedSmartCardReader, OperatorCard],
) -> None:
    reader, _ = reader_with_card
    result = subprocess.run(
        ["yubico-piv-tool", "--reader", reader.endpoint.reader_name, "--action", "status"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Algorithm:\tECCP256" in result.stdout
    assert "UID=OP-0042" in result.stdout
    assert "PIN tries left:\t3" in result.stdout

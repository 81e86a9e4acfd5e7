"""``rekam-provision operator certify-key``: a PEM public key in, an operator certificate out
(what ``rekam-hw emulate smartcard --card operator`` runs to have its card certified)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ektp.pki import OfficeCA, PkiError, verify_operator_certificate

ROOT = Path(__file__).resolve().parents[2]


def certify_key(public_pem: bytes, *options: str) -> subprocess.CompletedProcess[bytes]:
    command = [
        sys.executable, "-m", "provisioning.cli", "--lang", "en", "operator", "certify-key",
        "--operator-id", "OP-0042", "--name", "Siti Rahma", *options,
    ]  # fmt: skip
    return subprocess.run(
        command, input=public_pem, capture_output=True, cwd=ROOT, timeout=120, check=False
    )


def card_key() -> tuple[ec.EllipticCurvePublicKey, bytes]:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    pem = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return key, pem


def point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def test_the_office_ca_certifies_the_key_for_the_operator(tmp_path: Path) -> None:
    office = OfficeCA.create(tmp_path / "ca", "Kantor Tanjung Redeb")
    key, pem = card_key()

    done = certify_key(pem, "--office-ca", str(tmp_path / "ca"), "--days", "30")

    assert done.returncode == 0, done.stderr
    assert done.stderr == b""
    certificate = x509.load_pem_x509_certificate(done.stdout)  # stdout is the PEM, nothing else
    der = certificate.public_bytes(serialization.Encoding.DER)
    operator = verify_operator_certificate(der, [office.certificate])
    assert (operator.operator_id, operator.name) == ("OP-0042", "Siti Rahma")
    assert operator.public_key == point(key)
    lifetime = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert lifetime.days <= 30


def test_without_an_office_ca_a_throwaway_one_certifies_and_says_so(tmp_path: Path) -> None:
    office = OfficeCA.create(tmp_path / "ca", "Kantor Tanjung Redeb")
    key, pem = card_key()

    done = certify_key(pem)

    assert done.returncode == 0, done.stderr
    assert b"throwaway office CA" in done.stderr
    der = x509.load_pem_x509_certificate(done.stdout).public_bytes(serialization.Encoding.DER)
    with pytest.raises(PkiError):  # no office trusts it
        verify_operator_certificate(der, [office.certificate])
    assert x509.load_der_x509_certificate(der).public_key() == key


@pytest.mark.parametrize(
    ("given", "options", "said"),
    [
        (b"not a key", (), b"is not a public key"),
        (None, ("--office-ca", "/nonexistent/ca"), b"No office CA in /nonexistent/ca"),
    ],
)
def test_bad_input_is_one_line_and_no_certificate(
    given: bytes | None, options: tuple[str, ...], said: bytes
) -> None:
    done = certify_key(given if given is not None else card_key()[1], *options)

    assert done.returncode == 1
    assert done.stdout == b""
    assert said in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1

"""An operator card (PIV) proves it is the office's: its certificate, read through the real pcscd,
names a key only the card holds. Cloned, self-signed and revoked cards are told apart."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from smartcard_fixtures import emulated_reader, smartcard_config

from ektp.pki import (
    CardNotGenuine,
    OperatorCardIssuer,
    verify_card_signature,
    verify_operator_certificate,
)
from hardware.smartcard import EmulatedSmartCardConfig, EmulatedSmartCardReader, OperatorCard

PIN = "246810"


def make_ca(directory: Path, office: str) -> OperatorCardIssuer:
    """An office CA directory as provisioning keeps it (ca.key, ca.crt), ECDSA P-256."""
    directory.mkdir(parents=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Rekam office CA {office}")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    (directory / "ca.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (directory / "ca.crt").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return OperatorCardIssuer.from_ca_directory(directory)


@pytest.fixture
def office(tmp_path: Path) -> OperatorCardIssuer:
    return make_ca(tmp_path / "office-ca", "Gunung Tabur")


def operator_card() -> OperatorCard:
    return OperatorCard(operator_id="OPR-0042", name="Siti Rahmawati", pin=PIN)


def prove(
    reader: EmulatedSmartCardReader,
    office: OperatorCardIssuer,
    revoked: frozenset[int] = frozenset(),
) -> str:
    """What a booth does: certificate first, then PIN, then a fresh challenge."""
    certified = verify_operator_certificate(
        reader.read_operator_certificate(), [office.certificate], revoked_serials=revoked
    )
    reader.verify_pin(PIN)
    challenge = os.urandom(32)
    verify_card_signature(certified, challenge, reader.sign_challenge(challenge))
    return certified.operator_id


def test_an_issued_card_proves_itself_and_names_its_operator(
    emulated_reader: EmulatedSmartCardReader, office: OperatorCardIssuer
) -> None:
    card = operator_card()
    office.personalise(card)
    emulated_reader.insert_card(card)

    assert prove(emulated_reader, office) == "OPR-0042"
    certified = verify_operator_certificate(
        emulated_reader.read_operator_certificate(), [office.certificate]
    )
    assert (certified.name, certified.public_key) == ("Siti Rahmawati", card.public_key)
    assert "Gunung Tabur" in certified.issuer


def test_a_blank_card_has_no_certificate(
    emulated_reader: EmulatedSmartCardReader, office: OperatorCardIssuer
) -> None:
    emulated_reader.insert_card(operator_card())
    assert emulated_reader.read_operator_certificate() is None
    with pytest.raises(CardNotGenuine) as refused:
        prove(emulated_reader, office)
    assert refused.value.reason == "no_certificate"
    assert emulated_reader.pin_tries_left() == 3  # refused before the PIN was sent


def test_a_card_from_another_office_or_self_signed_is_unknown(
    emulated_reader: EmulatedSmartCardReader, office: OperatorCardIssuer, tmp_path: Path
) -> None:
    other_office = make_ca(tmp_path / "other-ca", "Tanjung Redeb")
    card = operator_card()
    other_office.personalise(card)
    emulated_reader.insert_card(card)
    with pytest.raises(CardNotGenuine) as refused:
        prove(emulated_reader, office)
    assert refused.value.reason == "unknown_issuer"
    assert emulated_reader.pin_tries_left() == 3  # refused before the PIN was sent


def test_a_copied_certificate_without_its_key_fails_the_challenge(
    emulated_reader: EmulatedSmartCardReader, office: OperatorCardIssuer
) -> None:
    genuine = operator_card()
    office.personalise(genuine)
    clone = operator_card()  # same operator, same PIN, but its own key
    assert genuine.certificate is not None
    clone.install_certificate(genuine.certificate)
    emulated_reader.insert_card(clone)

    with pytest.raises(CardNotGenuine) as refused:
        prove(emulated_reader, office)
    assert refused.value.reason == "wrong_key"


def test_a_revoked_or_expired_certificate_is_refused(
    emulated_reader: EmulatedSmartCardReader, office: OperatorCardIssuer
) -> None:
    card = operator_card()
    serial = office.personalise(card)
    emulated_reader.insert_card(card)
    with pytest.raises(CardNotGenuine) as revoked:
        prove(emulated_reader, office, revoked=frozenset({serial}))
    assert (revoked.value.reason, revoked.value.serial) == ("revoked", serial)

    with pytest.raises(CardNotGenuine) as expired:
        verify_operator_certificate(
            emulated_reader.read_operator_certificate(),
            [office.certificate],
            now=dt.datetime.now(dt.UTC) + dt.timedelta(days=6 * 365),
        )
    assert expired.value.reason == "expired"


def test_a_certificate_that_is_not_an_operator_card_is_refused(
    office: OperatorCardIssuer, tmp_path: Path
) -> None:
    with pytest.raises(CardNotGenuine) as garbage:
        verify_operator_certificate(b"\x30\x03\x02\x01\x00", [office.certificate])
    assert garbage.value.reason == "bad_certificate"

    tls_key = ec.generate_private_key(ec.SECP256R1())  # e.g. a booth's TLS identity
    issuer_key = serialization.load_pem_private_key(
        (tmp_path / "office-ca" / "ca.key").read_bytes(), None
    )
    assert isinstance(issuer_key, ec.EllipticCurvePrivateKey)
    now = dt.datetime.now(dt.UTC)
    booth_certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "booth-01")]))
        .issuer_name(office.certificate.subject)
        .public_key(tls_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(issuer_key, hashes.SHA256())
    )
    with pytest.raises(CardNotGenuine) as not_operator:
        verify_operator_certificate(
            booth_certificate.public_bytes(serialization.Encoding.DER), [office.certificate]
        )
    assert not_operator.value.reason == "not_operator_card"


def test_the_emulated_reader_issues_blank_cards_like_the_office(
    smartcard_config: EmulatedSmartCardConfig, office: OperatorCardIssuer, tmp_path: Path
) -> None:
    already_issued = operator_card()
    make_ca(tmp_path / "elsewhere", "Elsewhere").personalise(already_issued)
    with EmulatedSmartCardReader(smartcard_config, card_issuer=office.personalise) as reader:
        reader.insert_card(operator_card())
        assert prove(reader, office) == "OPR-0042"

        reader.insert_card(already_issued)  # an issued card is left as it is
        with pytest.raises(CardNotGenuine):
            prove(reader, office)

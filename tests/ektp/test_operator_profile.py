"""The one PKI builds every certificate of the office; only an operator card's passes as one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ektp.pki import (
    OPERATOR_LOGIN_USAGE,
    CardNotGenuine,
    OfficeCA,
    dev_issue_booth,
    verify_card_signature,
    verify_operator_certificate,
)


class BlankCard:
    """A stand-in for a PIV card: its own P-256 key (slot 9A), its holder, a slot for the
    certificate."""

    def __init__(self, operator_id: str, name: str) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        self.public_key = self._key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.operator_id = operator_id
        self.name = name
        self.certificate: bytes | None = None

    def install_certificate(self, certificate_der: bytes) -> None:
        self.certificate = certificate_der

    def sign(self, challenge: bytes) -> bytes:
        return self._key.sign(challenge, ec.ECDSA(hashes.SHA256()))


def test_the_office_ca_issues_an_operator_card_its_booths_accept(tmp_path: Path) -> None:
    ca = OfficeCA.create(tmp_path / "ca", "Kecamatan Gunung Tabur")
    card = BlankCard("OPR-0007", "Rina Wati")
    serial = ca.operator_card_issuer().personalise(card)

    certified = verify_operator_certificate(card.certificate, [ca.certificate])
    assert (certified.operator_id, certified.name, certified.serial) == (
        "OPR-0007",
        "Rina Wati",
        serial,
    )
    certificate = x509.load_der_x509_certificate(card.certificate or b"")
    usages = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usages) == [OPERATOR_LOGIN_USAGE]
    organisation = certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    assert organisation[0].value == "Kecamatan Gunung Tabur"
    verify_card_signature(certified, b"challenge", card.sign(b"challenge"))


def test_a_blank_card_and_a_booth_certificate_do_not_pass_as_operator_cards(
    tmp_path: Path,
) -> None:
    ca = OfficeCA.create(tmp_path / "ca", "Kecamatan Gunung Tabur")
    with pytest.raises(CardNotGenuine) as blank:
        verify_operator_certificate(None, [ca.certificate])
    assert blank.value.reason == "no_certificate"

    booth = dev_issue_booth(ca, "booth-01", tmp_path / "booth")
    booth_certificate = x509.load_pem_x509_certificate(booth.cert_path.read_bytes())
    usages = booth_certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usages) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    with pytest.raises(CardNotGenuine) as not_operator:
        verify_operator_certificate(
            booth_certificate.public_bytes(serialization.Encoding.DER), [ca.certificate]
        )
    assert not_operator.value.reason == "not_operator_card"


def test_an_expired_operator_certificate_is_refused(tmp_path: Path) -> None:
    ca = OfficeCA.create(tmp_path / "ca", "Kecamatan Gunung Tabur")
    card = BlankCard("OPR-0007", "Rina Wati")
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    card.certificate = ca.operator_card_issuer().certificate_for(
        card.public_key, operator_id=card.operator_id, name=card.name, days=1, not_before=long_ago
    )
    with pytest.raises(CardNotGenuine) as expired:
        verify_operator_certificate(card.certificate, [ca.certificate])
    assert expired.value.reason == "expired"

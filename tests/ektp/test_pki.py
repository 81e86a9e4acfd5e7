"""The office CA and booth identities (no broker needed)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ektp.pki import (
    CertificateRequestError,
    InvalidIdentityError,
    OfficeCA,
    PkiError,
    certificate_serial,
    dev_issue_booth,
    install_certificate,
    make_key_and_csr,
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_ca_key_is_private_and_the_ca_loads_back(tmp_path: Path) -> None:
    created = OfficeCA.create(tmp_path / "ca", "Kecamatan Gunung Tabur")

    assert mode(tmp_path / "ca" / "ca.key") == 0o600
    assert mode(tmp_path / "ca") == 0o700
    loaded = OfficeCA.load(tmp_path / "ca")
    assert loaded.certificate == created.certificate
    assert loaded.office_name == "Kecamatan Gunung Tabur"
    with pytest.raises(PkiError):
        OfficeCA.create(tmp_path / "ca", "Kecamatan Gunung Tabur")


def test_booth_key_never_leaves_the_booth_directory(tmp_path: Path) -> None:
    ca = OfficeCA.create(tmp_path / "ca", "Kecamatan Sambaliung")
    booth_dir = tmp_path / "booth-01"

    csr_pem = make_key_and_csr("booth-01", booth_dir)
    cert_pem = ca.issue_certificate(csr_pem, common_name_expected="booth-01")
    issued = install_certificate("booth-01", booth_dir, cert_pem, ca.cert_pem())

    assert b"PRIVATE KEY" not in csr_pem
    assert mode(issued.key_path) == 0o600
    key_bytes = issued.key_path.read_bytes()
    holders = [
        path for path in tmp_path.rglob("*") if path.is_file() and key_bytes in path.read_bytes()
    ]
    assert holders == [issued.key_path]
    private_keys_at_ca = [
        path.name
        for path in (tmp_path / "ca").rglob("*")
        if path.is_file() and b"PRIVATE KEY" in path.read_bytes()
    ]
    assert private_keys_at_ca == ["ca.key"]


def test_issued_certificate_names_the_booth_and_chains_to_the_office(tmp_path: Path) -> None:
    ca = OfficeCA.create(tmp_path / "ca", "Kecamatan Sambaliung")
    issued = dev_issue_booth(ca, "booth-12", tmp_path / "booth-12")

    certificate = x509.load_pem_x509_certificate(issued.cert_path.read_bytes())
    certificate.verify_directly_issued_by(ca.certificate)
    assert certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "booth-12"
    usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert certificate_serial(issued.cert_path) == issued.serial
    assert issued.ca_cert_path.read_bytes() == ca.cert_pem()


def test_csr_for_one_booth_cannot_get_another_booths_certificate(tmp_path: Path) -> None:
    ca = OfficeCA.create(tmp_path / "ca", "Kecamatan Sambaliung")
    csr_pem = make_key_and_csr("booth-01", tmp_path / "booth-01")

    with pytest.raises(CertificateRequestError):
        ca.issue_certificate(csr_pem, common_name_expected="booth-02")
    with pytest.raises(CertificateRequestError):
        ca.issue_certificate(b"not a csr", common_name_expected="booth-01")


def test_tampered_csr_is_refused(tmp_path: Path) -> None:
    ca = OfficeCA.create(tmp_path / "ca", "Kecamatan Sambaliung")
    csr = x509.load_pem_x509_csr(make_key_and_csr("booth-01", tmp_path / "booth-01"))
    der = bytearray(csr.public_bytes(serialization.Encoding.DER))
    der[-10] ^= 0x01  # one flipped bit inside the signature
    tampered = x509.load_der_x509_csr(bytes(der)).public_bytes(serialization.Encoding.PEM)

    with pytest.raises(CertificateRequestError):
        ca.issue_certificate(tampered, common_name_expected="booth-01")


def test_ed25519_csr_is_refused_because_tls_clients_use_ecdsa(tmp_path: Path) -> None:
    ca = OfficeCA.create(tmp_path / "ca", "Kecamatan Sambaliung")
    key = ed25519.Ed25519PrivateKey.generate()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "booth-01")])
    csr = x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, None)

    with pytest.raises(CertificateRequestError):
        ca.issue_certificate(
            csr.public_bytes(serialization.Encoding.PEM), common_name_expected="booth-01"
        )


@pytest.mark.parametrize(
    "booth_id", ["edge", "Booth-01", "booth/01", "booth+", "booth-#", "booth--1", "-booth", ""]
)
def test_booth_ids_that_could_escape_the_acl_are_refused(tmp_path: Path, booth_id: str) -> None:
    ca = OfficeCA.create(tmp_path / "ca", "Kecamatan Sambaliung")
    with pytest.raises(InvalidIdentityError):
        dev_issue_booth(ca, booth_id, tmp_path / "booth")
    assert not (tmp_path / "booth").exists()


def test_revoked_serial_is_listed_in_the_crl(tmp_path: Path) -> None:
    ca = OfficeCA.create(tmp_path / "ca", "Kecamatan Sambaliung")
    revoked = dev_issue_booth(ca, "booth-01", tmp_path / "booth-01")
    kept = dev_issue_booth(ca, "booth-02", tmp_path / "booth-02")

    crl_path = ca.revoke(revoked.serial)

    crl = x509.load_pem_x509_crl(crl_path.read_bytes())
    assert crl.is_signature_valid(ca.certificate.public_key())  # type: ignore[arg-type]
    assert crl.get_revoked_certificate_by_serial_number(revoked.serial) is not None
    assert crl.get_revoked_certificate_by_serial_number(kept.serial) is None
    assert OfficeCA.load(tmp_path / "ca").revoked_serials() == {revoked.serial}
    assert isinstance(crl.signature_hash_algorithm, hashes.SHA256)

"""The office certificate authority, kept by provisioning in one directory.

It signs every certificate of the office (profiles: :mod:`ektp.pki.profiles`): the
booths' and the edge's TLS client certificates from their CSRs, the broker's server
certificate, operator cards (through :meth:`OfficeCA.operator_card_issuer`), and the
revocation list. Directory layout: :mod:`ektp.pki.files`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
from collections.abc import Iterable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ektp.i18n import N_
from ektp.pki.files import (
    CA_CERT_FILE,
    CA_KEY_FILE,
    CRL_FILE,
    ISSUED_DIR,
    REVOKED_FILE,
    pem_private_key,
    private_directory,
    write_private,
    write_public,
)
from ektp.pki.identity import CertificateRequestError, IssuedIdentity, PkiError, validate_identity
from ektp.pki.operator import OperatorCardIssuer
from ektp.pki.profiles import (
    CLOCK_SKEW,
    DEFAULT_CA_DAYS,
    DEFAULT_CERT_DAYS,
    DEFAULT_CRL_DAYS,
    ca_certificate_builder,
    tls_builder,
    utcnow,
)


def _check_tls_public_key(public_key: object) -> None:
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if public_key.curve.name in {"secp256r1", "secp384r1"}:
            return
    elif isinstance(public_key, rsa.RSAPublicKey) and public_key.key_size >= 2048:
        return
    raise CertificateRequestError(
        N_("The request's key must be ECDSA P-256/P-384 or RSA of at least 2048 bits")
    )


class OfficeCA:
    """The office certificate authority, stored in one directory (see the module doc)."""

    def __init__(
        self, directory: Path, key: ec.EllipticCurvePrivateKey, certificate: x509.Certificate
    ) -> None:
        self.directory = directory
        self._key = key
        self.certificate = certificate

    def __repr__(self) -> str:
        return f"OfficeCA({str(self.directory)!r})"

    @classmethod
    def create(
        cls, directory: Path | str, office_name: str, *, days: int = DEFAULT_CA_DAYS
    ) -> OfficeCA:
        """Make a new CA in ``directory``; refuses to overwrite an existing ``ca.key``."""
        directory = private_directory(Path(directory))
        if (directory / CA_KEY_FILE).exists():
            raise PkiError(
                N_("An office CA already exists in {directory}"), directory=str(directory)
            )
        key = ec.generate_private_key(ec.SECP256R1())
        certificate = ca_certificate_builder(key, office_name, days).sign(key, hashes.SHA256())
        write_private(directory / CA_KEY_FILE, pem_private_key(key))
        write_public(directory / CA_CERT_FILE, certificate.public_bytes(serialization.Encoding.PEM))
        ca = cls(directory, key, certificate)
        ca.write_crl()
        return ca

    @classmethod
    def load(cls, directory: Path | str) -> OfficeCA:
        """Open the CA kept in ``directory``."""
        directory = Path(directory)
        try:
            key = serialization.load_pem_private_key((directory / CA_KEY_FILE).read_bytes(), None)
            certificate = x509.load_pem_x509_certificate((directory / CA_CERT_FILE).read_bytes())
        except (OSError, ValueError) as err:
            raise PkiError(
                N_("Cannot load the office CA from {directory}"), directory=str(directory)
            ) from err
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise PkiError(N_("The office CA key is not an ECDSA key"))
        return cls(directory, key, certificate)

    @property
    def office_name(self) -> str:
        names = self.certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        return str(names[0].value) if names else ""

    @property
    def cert_path(self) -> Path:
        return self.directory / CA_CERT_FILE

    @property
    def crl_path(self) -> Path:
        return self.directory / CRL_FILE

    def cert_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def operator_card_issuer(self) -> OperatorCardIssuer:
        """This CA as the issuer of operator card certificates."""
        return OperatorCardIssuer(self._key, self.certificate)

    def _sign_and_record(self, builder: x509.CertificateBuilder, identity: str) -> x509.Certificate:
        certificate = builder.sign(self._key, hashes.SHA256())
        issued = self.directory / ISSUED_DIR
        issued.mkdir(exist_ok=True)
        record = issued / f"{identity}-{certificate.serial_number:x}.crt"
        write_public(record, certificate.public_bytes(serialization.Encoding.PEM))
        return certificate

    def issue_certificate(
        self, csr_pem: bytes, *, common_name_expected: str, days: int = DEFAULT_CERT_DAYS
    ) -> bytes:
        """Sign a client CSR whose only CN is ``common_name_expected``; return the PEM."""
        validate_identity(common_name_expected)
        try:
            csr = x509.load_pem_x509_csr(csr_pem)
        except ValueError as err:
            raise CertificateRequestError(
                N_("The certificate request is not a valid PEM CSR")
            ) from err
        if not csr.is_signature_valid:
            raise CertificateRequestError(N_("The certificate request's signature is invalid"))
        names = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        if len(names) != 1 or names[0].value != common_name_expected:
            raise CertificateRequestError(
                N_("The certificate request does not name {identity!r}"),
                identity=common_name_expected,
            )
        public_key = csr.public_key()
        _check_tls_public_key(public_key)
        builder = tls_builder(self.certificate, common_name_expected, public_key, days)
        certificate = self._sign_and_record(builder, common_name_expected)
        return certificate.public_bytes(serialization.Encoding.PEM)

    def issue_server_certificate(
        self,
        directory: Path | str,
        *,
        common_name: str = "broker",
        dns_names: Iterable[str] = ("localhost",),
        ip_addresses: Iterable[str] = ("127.0.0.1",),
        days: int = DEFAULT_CERT_DAYS,
    ) -> IssuedIdentity:
        """Make the broker's key (0600) and certificate in ``directory``, for these names."""
        validate_identity(common_name)
        directory = private_directory(Path(directory))
        key = ec.generate_private_key(ec.SECP256R1())
        alt_names: list[x509.GeneralName] = [x509.DNSName(name) for name in dns_names]
        alt_names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ip_addresses]
        builder = tls_builder(
            self.certificate, common_name, key.public_key(), days, server_names=alt_names
        )
        certificate = self._sign_and_record(builder, common_name)
        key_path = directory / f"{common_name}.key"
        write_private(key_path, pem_private_key(key), overwrite=True)
        cert_path = directory / f"{common_name}.crt"
        write_public(cert_path, certificate.public_bytes(serialization.Encoding.PEM))
        ca_cert_path = directory / CA_CERT_FILE
        write_public(ca_cert_path, self.cert_pem())
        return IssuedIdentity(
            common_name, key_path, cert_path, ca_cert_path, certificate.serial_number
        )

    def _read_revoked(self) -> dict[str, object]:
        path = self.directory / REVOKED_FILE
        if not path.exists():
            return {"crl_number": 0, "revoked": []}
        data: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
        return data

    def revoked_serials(self) -> set[int]:
        entries = self._read_revoked()["revoked"]
        assert isinstance(entries, list)
        return {int(entry["serial"]) for entry in entries}

    def revoke(self, serial: int, *, crl_days: int = DEFAULT_CRL_DAYS) -> Path:
        """Add ``serial`` to the revocation list and rewrite ``crl.pem``; return its path.

        mosquitto re-reads its ``crlfile`` on a reload (SIGHUP, ``systemctl reload``):
        the revoked client is refused at its next connect, the others stay connected.
        Check the file against this CA before a reload: mosquitto 2.0 reloaded with an
        unreadable CRL checks no revocation at all.
        """
        data = self._read_revoked()
        entries = data["revoked"]
        assert isinstance(entries, list)
        if serial not in {int(entry["serial"]) for entry in entries}:
            entries.append({"serial": serial, "revoked_at": utcnow().isoformat()})
            write_public(self.directory / REVOKED_FILE, json.dumps(data, indent=1).encode())
        return self.write_crl(days=crl_days)

    def write_crl(self, *, days: int = DEFAULT_CRL_DAYS) -> Path:
        """Write ``crl.pem`` listing every revoked serial, valid for ``days``."""
        data = self._read_revoked()
        crl_number = int(str(data["crl_number"])) + 1
        data["crl_number"] = crl_number
        now = utcnow()
        ca_ski = self.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.certificate.subject)
            .last_update(now - CLOCK_SKEW)
            .next_update(now + dt.timedelta(days=days))
            .add_extension(x509.CRLNumber(crl_number), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski.value),
                critical=False,
            )
        )
        entries = data["revoked"]
        assert isinstance(entries, list)
        for entry in entries:
            revoked = (
                x509.RevokedCertificateBuilder()
                .serial_number(int(entry["serial"]))
                .revocation_date(dt.datetime.fromisoformat(entry["revoked_at"]))
                .build()
            )
            builder = builder.add_revoked_certificate(revoked)
        crl = builder.sign(self._key, hashes.SHA256())
        write_public(self.crl_path, crl.public_bytes(serialization.Encoding.PEM))
        write_public(self.directory / REVOKED_FILE, json.dumps(data, indent=1).encode())
        return self.crl_path

"""The office certificate authority and the booths' TLS identities.

Every booth and the edge connect to the office broker with their own client
certificate; the broker takes the certificate's common name (CN) as the MQTT user
name, so the CN *is* the identity the ACL checks. Keys are ECDSA P-256 (what
mosquitto 2.0 / OpenSSL 3.0 and Python's ``ssl`` accept for TLS on every side).
The booth's *packet signing* key is a separate Ed25519 key made by the kiosk.

A booth's private key is made on the booth and never leaves it:
:func:`make_key_and_csr` writes the key (mode 0600) in the booth's directory and
returns only a certificate signing request; the office CA (kept by provisioning)
signs it with :meth:`OfficeCA.issue_certificate`; :func:`install_certificate`
puts the certificate beside the key. :func:`dev_issue_booth` does all three at
once for development and tests.

CA directory layout: ``ca.key`` (0600), ``ca.crt``, ``crl.pem`` (always present,
possibly empty, so the broker can use ``crlfile`` from day one), ``revoked.json``
and ``issued/<cn>-<serial>.crt`` (a record of every certificate signed).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ektp.errors import RekamError
from ektp.i18n import N_

EDGE_IDENTITY = "edge"
"""The edge controller's certificate CN (its MQTT user name)."""

RESERVED_IDENTITIES = frozenset({EDGE_IDENTITY, "broker", "office", "admin", "root"})
IDENTITY_PATTERN = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
IDENTITY_MAX_LENGTH = 32

CA_KEY_FILE = "ca.key"
CA_CERT_FILE = "ca.crt"
CRL_FILE = "crl.pem"
REVOKED_FILE = "revoked.json"
ISSUED_DIR = "issued"

DEFAULT_CA_DAYS = 3650
DEFAULT_CERT_DAYS = 1825
DEFAULT_CRL_DAYS = 3650
"""Long on purpose: an expired CRL makes OpenSSL refuse *every* client."""

_CLOCK_SKEW = dt.timedelta(minutes=5)


class PkiError(RekamError):
    """Something about the office CA or a certificate is wrong."""

    code = "pki"


class InvalidIdentityError(PkiError, ValueError):
    """A booth id / certificate CN that breaks the naming rule."""

    code = "invalid_identity"


class CertificateRequestError(PkiError, ValueError):
    """A CSR that is malformed, badly signed, or names the wrong identity."""

    code = "bad_csr"


@dataclass(frozen=True)
class IssuedIdentity:
    """Where one identity's TLS files are (key, certificate, the office CA's certificate)."""

    identity: str
    key_path: Path
    cert_path: Path
    ca_cert_path: Path
    serial: int


def validate_identity(identity: str) -> str:
    """Return ``identity`` if it is a valid CN: lower-case letters, digits, single '-'."""
    if (
        not isinstance(identity, str)
        or len(identity) > IDENTITY_MAX_LENGTH
        or not IDENTITY_PATTERN.fullmatch(identity)
    ):
        raise InvalidIdentityError(
            N_("Identity {identity!r} must be lower-case letters, digits and '-', like booth-01"),
            identity=str(identity)[:40],
        )
    return identity


def validate_booth_id(booth_id: str) -> str:
    """Like :func:`validate_identity`, and not one of the reserved names (``edge``...)."""
    validate_identity(booth_id)
    if booth_id in RESERVED_IDENTITIES:
        raise InvalidIdentityError(
            N_("{identity!r} is reserved and cannot be a booth id"), identity=booth_id
        )
    return booth_id


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _write_private(path: Path, data: bytes, *, overwrite: bool = False) -> None:
    """Write a secret file created with mode 0600 (never briefly world-readable)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o600)


def _write_public(path: Path, data: bytes) -> None:
    """Write a public file atomically (readers never see half a certificate or CRL)."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


def _private_directory(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    return directory


def _pem_private_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
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

    @classmethod
    def create(
        cls, directory: Path | str, office_name: str, *, days: int = DEFAULT_CA_DAYS
    ) -> OfficeCA:
        """Make a new CA in ``directory``; refuses to overwrite an existing ``ca.key``."""
        directory = _private_directory(Path(directory))
        if (directory / CA_KEY_FILE).exists():
            raise PkiError(
                N_("An office CA already exists in {directory}"), directory=str(directory)
            )
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, office_name),
                x509.NameAttribute(NameOID.COMMON_NAME, f"Rekam office CA {office_name}"),
            ]
        )
        now = _utcnow()
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _CLOCK_SKEW)
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .sign(key, hashes.SHA256())
        )
        _write_private(directory / CA_KEY_FILE, _pem_private_key(key))
        _write_public(
            directory / CA_CERT_FILE, certificate.public_bytes(serialization.Encoding.PEM)
        )
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

    def _builder(self, subject_cn: str, public_key: object, days: int) -> x509.CertificateBuilder:
        now = _utcnow()
        ca_ski = self.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.office_name or "Rekam"),
                x509.NameAttribute(NameOID.COMMON_NAME, subject_cn),
            ]
        )
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.certificate.subject)
            .public_key(public_key)  # type: ignore[arg-type]
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _CLOCK_SKEW)
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(public_key),  # type: ignore[arg-type]
                critical=False,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski.value),
                critical=False,
            )
        )

    def _sign_and_record(self, builder: x509.CertificateBuilder, identity: str) -> x509.Certificate:
        certificate = builder.sign(self._key, hashes.SHA256())
        issued = self.directory / ISSUED_DIR
        issued.mkdir(exist_ok=True)
        record = issued / f"{identity}-{certificate.serial_number:x}.crt"
        _write_public(record, certificate.public_bytes(serialization.Encoding.PEM))
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
        builder = self._builder(common_name_expected, public_key, days).add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
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
        directory = _private_directory(Path(directory))
        key = ec.generate_private_key(ec.SECP256R1())
        alt_names: list[x509.GeneralName] = [x509.DNSName(name) for name in dns_names]
        alt_names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ip_addresses]
        builder = (
            self._builder(common_name, key.public_key(), days)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        )
        certificate = self._sign_and_record(builder, common_name)
        key_path = directory / f"{common_name}.key"
        _write_private(key_path, _pem_private_key(key), overwrite=True)
        cert_path = directory / f"{common_name}.crt"
        _write_public(cert_path, certificate.public_bytes(serialization.Encoding.PEM))
        ca_cert_path = directory / CA_CERT_FILE
        _write_public(ca_cert_path, self.cert_pem())
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

        The broker reads the CRL when it starts: restart it (or, where the broker
        version reloads certificates, send it SIGHUP) for the revocation to bite.
        """
        data = self._read_revoked()
        entries = data["revoked"]
        assert isinstance(entries, list)
        if serial not in {int(entry["serial"]) for entry in entries}:
            entries.append({"serial": serial, "revoked_at": _utcnow().isoformat()})
            _write_public(self.directory / REVOKED_FILE, json.dumps(data, indent=1).encode())
        return self.write_crl(days=crl_days)

    def write_crl(self, *, days: int = DEFAULT_CRL_DAYS) -> Path:
        """Write ``crl.pem`` listing every revoked serial, valid for ``days``."""
        data = self._read_revoked()
        crl_number = int(str(data["crl_number"])) + 1
        data["crl_number"] = crl_number
        now = _utcnow()
        ca_ski = self.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.certificate.subject)
            .last_update(now - _CLOCK_SKEW)
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
        _write_public(self.crl_path, crl.public_bytes(serialization.Encoding.PEM))
        _write_public(self.directory / REVOKED_FILE, json.dumps(data, indent=1).encode())
        return self.crl_path


def make_key_and_csr(identity: str, directory: Path | str, *, overwrite: bool = False) -> bytes:
    """On the booth: make ``<identity>.key`` (0600) in ``directory``; return the CSR PEM."""
    validate_identity(identity)
    directory = _private_directory(Path(directory))
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, identity)]))
        .sign(key, hashes.SHA256())
    )
    try:
        _write_private(directory / f"{identity}.key", _pem_private_key(key), overwrite=overwrite)
    except FileExistsError as err:
        raise PkiError(
            N_("A key for {identity!r} already exists; refusing to replace it"), identity=identity
        ) from err
    return csr.public_bytes(serialization.Encoding.PEM)


def install_certificate(
    identity: str, directory: Path | str, cert_pem: bytes, ca_cert_pem: bytes
) -> IssuedIdentity:
    """On the booth: store the signed certificate and the CA's beside the key made earlier."""
    directory = Path(directory)
    key_path = directory / f"{identity}.key"
    certificate = x509.load_pem_x509_certificate(cert_pem)
    key = serialization.load_pem_private_key(key_path.read_bytes(), None)
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(serialization.Encoding.DER, public) != (
        certificate.public_key().public_bytes(serialization.Encoding.DER, public)
    ):
        raise PkiError(
            N_("The certificate does not match the key of {identity!r}"), identity=identity
        )
    cert_path = directory / f"{identity}.crt"
    _write_public(cert_path, cert_pem)
    ca_cert_path = directory / CA_CERT_FILE
    _write_public(ca_cert_path, ca_cert_pem)
    return IssuedIdentity(identity, key_path, cert_path, ca_cert_path, certificate.serial_number)


def dev_issue_identity(
    ca: OfficeCA, identity: str, directory: Path | str, *, days: int = DEFAULT_CERT_DAYS
) -> IssuedIdentity:
    """Development/tests: key + CSR in ``directory``, signed by ``ca``, installed there."""
    csr_pem = make_key_and_csr(identity, directory, overwrite=True)
    cert_pem = ca.issue_certificate(csr_pem, common_name_expected=identity, days=days)
    return install_certificate(identity, directory, cert_pem, ca.cert_pem())


def dev_issue_booth(
    ca: OfficeCA, booth_id: str, directory: Path | str, *, days: int = DEFAULT_CERT_DAYS
) -> IssuedIdentity:
    """Development/tests: a booth identity (CN = ``booth_id``) in the booth's ``directory``."""
    return dev_issue_identity(ca, validate_booth_id(booth_id), directory, days=days)


def certificate_serial(cert_path: Path | str) -> int:
    """The serial number of the certificate in ``cert_path`` (for :meth:`OfficeCA.revoke`)."""
    return x509.load_pem_x509_certificate(Path(cert_path).read_bytes()).serial_number

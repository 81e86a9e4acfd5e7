"""The operator card's certificate: what the office writes on a card, and how it is checked.

An operator card makes its Ed25519 key pair itself; the private key never leaves
it. When the office issues the card, its CA signs an X.509 certificate for the
card's public key and writes it to the card (EF 0104, readable without the PIN).
The certificate names the operator (UID = operator id, CN = name, O = office)
and carries the extended key usage :data:`OPERATOR_LOGIN_USAGE`, so no other
certificate of the office (a booth's TLS identity, the broker's) passes as an
operator card.

A booth proves a card in two steps: :func:`verify_operator_certificate` (issued
by an office CA the booth trusts, an operator certificate, in its validity period,
not revoked), then :func:`verify_card_signature` (the card signed a fresh random
challenge with the key the certificate names). Either failure raises
:class:`CardNotGenuine` with a stable ``reason``.

:class:`OperatorCardIssuer` is the office side (and the card emulator's
personalisation): it signs the certificate and writes it to a card program.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Container, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from hardware.errors import CardError
from hardware.smartcard.cards import OperatorCard

OPERATOR_LOGIN_USAGE = x509.ObjectIdentifier("2.25.137634847810583612117164777730855817446")
"""Extended key usage "Rekam operator login" (a UUID-based OID, X.667: no registry needed)."""

CA_KEY_FILE = "ca.key"
CA_CERT_FILE = "ca.crt"
"""The office CA directory's files (the layout of ``edge_controller.pki.OfficeCA``)."""

DEFAULT_CARD_DAYS = 1825
_CLOCK_SKEW = dt.timedelta(minutes=5)
_DEVICE = "smartcard"

RefusalReason = Literal[
    "no_certificate",
    "bad_certificate",
    "unknown_issuer",
    "not_operator_card",
    "expired",
    "revoked",
    "wrong_key",
    "data_mismatch",
]
IssuerKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


class CardNotGenuine(CardError):
    """The card did not prove it was issued by the office. ``reason`` is a stable code;
    ``serial`` is the certificate's serial number when one was read (public data)."""

    def __init__(self, message: str, *, reason: RefusalReason, serial: int | None = None) -> None:
        super().__init__(message, device=_DEVICE)
        self.reason: RefusalReason = reason
        self.serial = serial


@dataclass(frozen=True)
class CertifiedOperator:
    """Who a verified operator certificate names, and the card key it certifies."""

    operator_id: str
    name: str
    public_key: bytes
    """The card's Ed25519 public key, 32 raw bytes."""
    serial: int
    issuer: str
    """The issuing CA's subject, RFC 4514 text (for the audit log)."""


def _single_text(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    if len(values) != 1 or not isinstance(values[0].value, str) or not values[0].value:
        return None
    return values[0].value


def _issued_by(certificate: x509.Certificate, issuers: Sequence[x509.Certificate]) -> str | None:
    """The subject of the trusted CA that signed ``certificate``, or None."""
    for issuer in issuers:
        try:
            certificate.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
            continue
        return issuer.subject.rfc4514_string()
    return None


def _is_operator_certificate(certificate: x509.Certificate) -> bool:
    extensions = certificate.extensions
    try:
        constraints = extensions.get_extension_for_class(x509.BasicConstraints).value
        usages = extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return not constraints.ca and OPERATOR_LOGIN_USAGE in usages


def verify_operator_certificate(
    certificate_der: bytes,
    issuers: Sequence[x509.Certificate],
    *,
    revoked_serials: Container[int] = frozenset(),
    now: dt.datetime | None = None,
) -> CertifiedOperator:
    """Check a card's certificate against the CAs the booth trusts; CardNotGenuine if not."""
    try:
        certificate = x509.load_der_x509_certificate(certificate_der)
    except ValueError as err:
        raise CardNotGenuine(
            "The card's certificate is not a valid X.509 certificate.", reason="bad_certificate"
        ) from err
    serial = certificate.serial_number
    issuer = _issued_by(certificate, issuers)
    if issuer is None:
        raise CardNotGenuine(
            "The card's certificate was not issued by an office CA this booth trusts "
            f"(it names {certificate.issuer.rfc4514_string()!r}).",
            reason="unknown_issuer",
            serial=serial,
        )
    public_key = certificate.public_key()
    operator_id = _single_text(certificate.subject, NameOID.USER_ID)
    name = _single_text(certificate.subject, NameOID.COMMON_NAME)
    if (
        not _is_operator_certificate(certificate)
        or not isinstance(public_key, ed25519.Ed25519PublicKey)
        or operator_id is None
        or name is None
    ):
        raise CardNotGenuine(
            "The certificate on the card is not an operator card certificate.",
            reason="not_operator_card",
            serial=serial,
        )
    moment = now or dt.datetime.now(dt.UTC)
    if not certificate.not_valid_before_utc <= moment <= certificate.not_valid_after_utc:
        raise CardNotGenuine(
            "The card's certificate is outside its validity period "
            f"({certificate.not_valid_before_utc:%Y-%m-%d} to "
            f"{certificate.not_valid_after_utc:%Y-%m-%d}).",
            reason="expired",
            serial=serial,
        )
    if serial in revoked_serials:
        raise CardNotGenuine(
            "The card's certificate is on the office's revocation list.",
            reason="revoked",
            serial=serial,
        )
    raw_key = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return CertifiedOperator(operator_id, name, raw_key, serial, issuer)


def verify_card_signature(operator: CertifiedOperator, challenge: bytes, signature: bytes) -> None:
    """The card's answer to ``challenge`` must verify with the certified key."""
    key = ed25519.Ed25519PublicKey.from_public_bytes(operator.public_key)
    try:
        key.verify(signature, challenge)
    except InvalidSignature as err:
        raise CardNotGenuine(
            "The card's signature does not match the key in its certificate.",
            reason="wrong_key",
            serial=operator.serial,
        ) from err


class OperatorCardIssuer:
    """An office CA that signs operator card certificates and writes them to cards."""

    def __init__(self, key: IssuerKey, certificate: x509.Certificate) -> None:
        self._key = key
        self.certificate = certificate

    def __repr__(self) -> str:
        return f"OperatorCardIssuer({self.certificate.subject.rfc4514_string()!r})"

    @classmethod
    def from_ca_directory(cls, directory: Path) -> OperatorCardIssuer:
        """Open the CA kept in ``directory`` (``ca.key`` and ``ca.crt``)."""
        try:
            key = serialization.load_pem_private_key((directory / CA_KEY_FILE).read_bytes(), None)
            certificate = x509.load_pem_x509_certificate((directory / CA_CERT_FILE).read_bytes())
        except (OSError, ValueError) as err:
            raise CardError(
                f"Cannot open the operator card issuer in {directory}.", device=_DEVICE
            ) from err
        if not isinstance(key, IssuerKey):
            raise CardError("The issuer key must be ECDSA, RSA or Ed25519.", device=_DEVICE)
        return cls(key, certificate)

    def certificate_for(
        self,
        public_key: bytes,
        *,
        operator_id: str,
        name: str,
        days: int = DEFAULT_CARD_DAYS,
        not_before: dt.datetime | None = None,
    ) -> bytes:
        """A DER certificate for a card's raw Ed25519 ``public_key``, naming the operator."""
        card_key = ed25519.Ed25519PublicKey.from_public_bytes(public_key)
        start = not_before or dt.datetime.now(dt.UTC) - _CLOCK_SKEW
        organisation = _single_text(self.certificate.subject, NameOID.ORGANIZATION_NAME)
        subject = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation or "Rekam")]
        subject += [
            x509.NameAttribute(NameOID.USER_ID, operator_id),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name(subject))
            .issuer_name(self.certificate.subject)
            .public_key(card_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=days))
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
            .add_extension(x509.ExtendedKeyUsage([OPERATOR_LOGIN_USAGE]), critical=False)
        )
        algorithm = None if isinstance(self._key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
        certificate = builder.sign(self._key, algorithm)
        return certificate.public_bytes(serialization.Encoding.DER)

    def personalise(self, card: OperatorCard, *, days: int = DEFAULT_CARD_DAYS) -> int:
        """Issue ``card``: certify the key it made, write the certificate; return its serial."""
        der = self.certificate_for(
            card.public_key, operator_id=card.operator_id, name=card.name, days=days
        )
        card.install_certificate(der)
        return x509.load_der_x509_certificate(der).serial_number

"""The operator card's certificate: how the office issues it, and how a booth checks it.

An operator card is a PIV card (NIST SP 800-73-4): it makes its ECC P-256 key pair
itself in the PIV Authentication slot (9A); the private key never leaves it. When the
office issues the card, its CA signs a certificate for the card's public key (profile:
:func:`ektp.pki.profiles.operator_builder`) and writes it to the slot's certificate
object (readable without the PIN).

A booth proves a card in two steps: :func:`verify_operator_certificate` (issued
by an office CA the booth trusts, an operator certificate, in its validity period,
not revoked), then :func:`verify_card_signature` (the card signed, ECDSA with SHA-256, a fresh
random challenge with the key the certificate names). Either failure raises
:class:`CardNotGenuine` with a stable ``reason``.

:class:`OperatorCardIssuer` is the office side (provisioning, and the personalisation
of emulated cards in tests and the demo): it signs the certificate and writes it to
any card that offers its key and takes a certificate (:class:`BlankOperatorCard`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Container, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from ektp.pki.files import CA_CERT_FILE, CA_KEY_FILE
from ektp.pki.identity import PkiError
from ektp.pki.profiles import (
    DEFAULT_CARD_DAYS,
    is_operator_certificate,
    operator_builder,
    single_text,
)
from ektp.pki.trust import issued_by

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


class CardNotGenuine(PkiError):
    """The card did not prove it was issued by the office. ``reason`` is a stable code;
    ``serial`` is the certificate's serial number when one was read (public data).
    The message is a sentence for the technician; the booth words the refusal itself."""

    code = "pki.card_not_genuine"

    def __init__(self, message: str, *, reason: RefusalReason, serial: int | None = None) -> None:
        super().__init__("{detail}", detail=message)
        self.reason: RefusalReason = reason
        self.serial = serial


class BlankOperatorCard(Protocol):
    """A card the office can issue: it offers its key and its holder, takes a certificate."""

    @property
    def public_key(self) -> bytes: ...
    @property
    def operator_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    def install_certificate(self, certificate_der: bytes) -> None: ...


@dataclass(frozen=True)
class CertifiedOperator:
    """Who a verified operator certificate names, and the card key it certifies."""

    operator_id: str
    name: str
    public_key: bytes
    """The card's P-256 public key, the uncompressed point (04 X Y, 65 bytes)."""
    serial: int
    issuer: str
    """The issuing CA's subject, RFC 4514 text (for the audit log)."""


def verify_operator_certificate(
    certificate_der: bytes | None,
    issuers: Sequence[x509.Certificate],
    *,
    revoked_serials: Container[int] = frozenset(),
    now: dt.datetime | None = None,
) -> CertifiedOperator:
    """Check a card's certificate (None: the card holds none) against the CAs the booth
    trusts; CardNotGenuine if it does not pass."""
    if not certificate_der:
        raise CardNotGenuine(
            "The operator card holds no certificate from the office.", reason="no_certificate"
        )
    try:
        certificate = x509.load_der_x509_certificate(certificate_der)
    except ValueError as err:
        raise CardNotGenuine(
            "The card's certificate is not a valid X.509 certificate.", reason="bad_certificate"
        ) from err
    serial = certificate.serial_number
    issuer = issued_by(certificate, issuers)
    if issuer is None:
        raise CardNotGenuine(
            "The card's certificate was not issued by an office CA this booth trusts "
            f"(it names {certificate.issuer.rfc4514_string()!r}).",
            reason="unknown_issuer",
            serial=serial,
        )
    public_key = certificate.public_key()
    operator_id = single_text(certificate.subject, NameOID.USER_ID)
    name = single_text(certificate.subject, NameOID.COMMON_NAME)
    if (
        not is_operator_certificate(certificate)
        or not isinstance(public_key, ec.EllipticCurvePublicKey)
        or not isinstance(public_key.curve, ec.SECP256R1)
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
    raw_key = public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return CertifiedOperator(operator_id, name, raw_key, serial, issuer)


def verify_card_signature(operator: CertifiedOperator, challenge: bytes, signature: bytes) -> None:
    """The card's answer to ``challenge`` (a DER ECDSA signature over SHA-256 of it, as a
    PIV card's GENERAL AUTHENTICATE in slot 9A gives) must verify with the certified key."""
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), operator.public_key)
    try:
        key.verify(signature, challenge, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError) as err:
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
            raise PkiError(
                "Cannot open the operator card issuer in {directory}.", directory=str(directory)
            ) from err
        if not isinstance(key, IssuerKey):
            raise PkiError("The issuer key must be ECDSA, RSA or Ed25519.")
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
        """A DER certificate for a card's P-256 ``public_key`` (the uncompressed point
        04 X Y a PIV card's GENERATE ASYMMETRIC KEY PAIR returns), naming the operator."""
        try:
            card_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public_key)
        except ValueError as err:
            raise PkiError("The card's public key is not a P-256 point.") from err
        builder = operator_builder(
            self.certificate,
            card_key,
            operator_id=operator_id,
            name=name,
            days=days,
            not_before=not_before,
        )
        algorithm = None if isinstance(self._key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
        certificate = builder.sign(self._key, algorithm)
        return certificate.public_bytes(serialization.Encoding.DER)

    def personalise(self, card: BlankOperatorCard, *, days: int = DEFAULT_CARD_DAYS) -> int:
        """Issue ``card``: certify the key it made, write the certificate; return its serial."""
        der = self.certificate_for(
            card.public_key, operator_id=card.operator_id, name=card.name, days=days
        )
        card.install_certificate(der)
        return x509.load_der_x509_certificate(der).serial_number
